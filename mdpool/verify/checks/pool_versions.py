"""The pool's machines run the image versions the config expects (and, during a rollout, the canary's).

For each gallery image a pool runs: a pinned version is expected as is; `latest` is the newest Succeeded
version not excluded from latest (compute REST spec, publishingProfile.excludeFromLatest). While a
canary runs (mdpool.rollout), its version is expected too. The machines come from the pools API
2026-06-02, `GET {poolId}/resources` (ResourceDetailsObject `image`, `imageVersion`, `status`).

A machine on an older version is a warning: a stateful agent keeps its version until its maximum
lifetime, and `mdpool deploy --recycle` replaces the idle ones. Any other version (newer than expected,
a rolled-back canary, one the config never named) fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.model import CheckResult, failed, ok, warning
from mdpool.verify.targets import pool_targets

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Pool
    from mdpool.doctor.context import Context

NAME = "versions"
CHEAP = False


def applies(cfg: "EnvironmentConfig") -> bool:
    return any(image.gallery_image for pool in cfg.pools for image in pool.images)


def _rollout(ctx: "Context"):
    from mdpool.rollout.state import StateFileError, load, state_path

    if ctx.out is None:
        return None
    try:
        return load(state_path(ctx.cfg, ctx.out))
    except StateFileError:
        return None


def _latest(ctx: "Context", image_id: str) -> str | None:
    from mdpool.deploy.exclude_from_latest import GALLERY_API_VERSION, excluded_from_latest
    from mdpool.deploy.recycle import version_key

    versions = [
        str(item.get("name"))
        for item in ctx.arm.list(f"{image_id}/versions", GALLERY_API_VERSION, f"the versions of {image_id}")
        if (item.get("properties") or {}).get("provisioningState") == "Succeeded" and not excluded_from_latest(item)
    ]
    return max(versions, key=version_key) if versions else None


def expected_versions(ctx: "Context", pool: "Pool") -> dict[str, set[str]]:
    """Image definition id (lower case) -> the versions its machines may run."""
    from mdpool.rollout.overlay import with_rollout

    current = with_rollout(ctx.cfg, _rollout(ctx))  # a running canary: its version is expected too
    pool_now = next((p for p in current.pools if p.key == pool.key), pool)
    expected: dict[str, set[str]] = {}
    for entry in pool_now.images:
        if not entry.gallery_image:
            continue
        image_id = ctx.names.gallery_image_id(entry.gallery_image)
        version = _latest(ctx, image_id) if entry.version == "latest" else entry.version
        if version:
            expected.setdefault(image_id.lower(), set()).add(version)
    return expected


def run(ctx: "Context") -> list[CheckResult]:
    from mdpool.deploy.recycle import image_key, version_key

    rows = []
    for target in pool_targets(ctx.cfg):
        name = f"{NAME}:{target.name}"
        expected = expected_versions(ctx, target.pool)
        machines = ctx.arm.list(f"{target.id}/resources", DEVOPS_INFRASTRUCTURE_API, f"the machines of pool {target.name}")
        older, other, current = [], [], 0
        for machine in machines:
            properties = machine.get("properties") or {}
            wanted = expected.get(image_key(str(properties.get("image"))))
            if wanted is None:
                continue  # a well-known or external image: not the config's to version
            version = str(properties.get("imageVersion"))
            if version in wanted:
                current += 1
            elif all(version_key(version) < version_key(v) for v in wanted):
                older.append(f"{machine.get('name')} ({version}, {properties.get('status')})")
            else:
                other.append(f"{machine.get('name')} ({version})")
        expect = ", ".join(sorted(v for versions in expected.values() for v in versions)) or "none yet"
        if other:
            rows.append(
                failed(
                    name,
                    f"{len(other)} machine(s) run a version the config does not expect ({expect}): {', '.join(other[:5])}",
                    "find out where it came from (a version excluded after a failed canary, a pinned version changed by "
                    "hand); delete those machines in the portal (Pool > Agents) or wait for their maximum lifetime",
                )
            )
        elif older:
            rows.append(
                warning(
                    name,
                    f"{len(older)} machine(s) still run an older version (expected {expect}): {', '.join(older[:5])}",
                    "they go at their maximum lifetime; `mdpool deploy --recycle` replaces the idle ones now",
                )
            )
        else:
            rows.append(ok(name, f"{current} machine(s) of the config's gallery images, all on {expect}"))
    return rows
