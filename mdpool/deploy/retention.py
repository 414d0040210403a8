"""Versions that don't pile up: after a successful build, delete an image's versions beyond the newest N.

Every build adds a gallery image version, billed per replica and region, for ever. `keep_versions`
(gallery.images[], default 5, 0 keeps all) says how many stay: the newest N by version number
(Major.Minor.Patch compared as numbers, compute REST spec `galleryImageVersionName`; the spec's
`publishingProfile.publishedDate` only breaks a tie). A version beyond them is deleted unless one of
these holds it, each checked against Azure or the config, never assumed:

- it is the newest version;
- it is what `latest` resolves to (the newest Succeeded version not excluded from latest: compute
  spec `excludeFromLatest`), so pools at `latest` keep an image;
- a pool pins it (`pools[].images[]` with `version: X.Y.Z`), or another image is built on it
  (`build.source` with `gallery_image` and `version: X.Y.Z`);
- a pool's machines run it (the pool's agents list, as `--recycle` reads it: mdpool.deploy.recycle);
- a build writes it: its provisioningState is neither Succeeded nor Failed (Creating, Updating,
  Deleting, Migrating...), or a running image template distributes to it by version id, or starts
  from it (its `SharedImageVersion` source);
- a canary rollout under way holds it (its new version, and the previous one its pools keep:
  mdpool.rollout.state).

When a check cannot be made (Azure answers an error), nothing of that image is deleted and a warning
says why: a version is deleted only when every guard was asked. A deletion is GalleryImageVersions_Delete
(DELETE .../versions/{v}, api-version 2024-03-03), a long-running operation polled through its
`Azure-AsyncOperation` header (the spec's example answers 200/202/204 with it); a failed deletion is a
warning, never a failed build or deploy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig

SETTLED = ("Succeeded", "Failed")
"""compute GalleryProvisioningState values after which nothing writes the version any more."""
DELETE_WAIT_SECONDS = 20 * 60.0
"""How long a deletion is watched; a version replicated to many regions takes minutes to go."""
NEW = "(new)"
"""The version a planned build will add (mdpool plan --stage images)."""


@dataclass(frozen=True)
class Decision:
    """One version: deleted, or kept and why (every reason that holds)."""

    version: str
    version_id: str
    delete: bool
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "id": self.version_id, "delete": self.delete, "kept_because": list(self.reasons)}


@dataclass
class Retention:
    """An image's retention: what is (or would be) deleted, what is kept and why, and what went wrong."""

    image: str
    keep_versions: int
    decisions: list[Decision] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def to_delete(self) -> list[Decision]:
        return [d for d in self.decisions if d.delete]

    def to_json(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "keep_versions": self.keep_versions,
            "delete": [d.version for d in self.to_delete],
            "deleted": list(self.deleted),
            "versions": [d.to_json() for d in self.decisions if d.version != NEW],
            "warnings": list(self.warnings),
        }

    def lines(self, planned: bool = False) -> list[str]:
        return describe(self.image, self.to_json(), planned)


def describe(image: str, document: Mapping[str, Any], planned: bool = False) -> list[str]:
    """What people read of a retention's JSON: the deleted (planned: to be deleted) versions, and every warning."""
    names = document.get("delete" if planned else "deleted") or []
    lines = []
    if names:
        verb = "would delete" if planned else "deleted"
        keep = document.get("keep_versions")
        lines.append(f"{image}: {verb} {len(names)} old version(s) (keep_versions {keep}): {', '.join(names)}")
    return lines + [f"{image}: warning: {warning}" for warning in document.get("warnings") or []]


# --- the rule -------------------------------------------------------------------------------------


def version_order(version: Mapping[str, Any]) -> tuple:
    """Newest first by number (0.25001.10 after 0.25001.9), then by publishedDate (an RFC 3339 string)."""
    from mdpool.deploy.recycle import version_key

    if version.get("name") == NEW:
        return (math.inf,)
    published = ((version.get("properties") or {}).get("publishingProfile") or {}).get("publishedDate") or ""
    return (*version_key(str(version.get("name") or "")), published)


def decide(
    versions: Sequence[Mapping[str, Any]],
    keep: int,
    *,
    pinned: Mapping[str, Sequence[str]] = {},
    running: Mapping[str, Sequence[str]] = {},
    targeted: Mapping[str, Sequence[str]] = {},
    held: Mapping[str, str] = {},
) -> list[Decision]:
    """Each version of `versions` (ARM JSON), newest first: delete or keep, and why. Keys of the maps are lowercased version names."""
    ranked = sorted(versions, key=version_order, reverse=True)
    from mdpool.imagebuild.source_version import in_latest

    latest = next((v for v in ranked if in_latest(v)), None)
    decisions = []
    for rank, version in enumerate(ranked):
        name = str(version.get("name") or "")
        key = name.lower()
        state = (version.get("properties") or {}).get("provisioningState")
        reasons = []
        if keep == 0:
            reasons.append("keep_versions 0 keeps every version")
        elif rank < keep:
            reasons.append(f"among the newest {keep}")
        if rank == 0:
            reasons.append("the newest version")
        if version is latest:
            reasons.append("what `latest` resolves to")
        if state not in SETTLED:
            reasons.append(f"being written (provisioningState {state})")
        reasons += [f"pinned by {user}" for user in pinned.get(key, ())]
        reasons += [f"run by machines of pool {pool}" for pool in running.get(key, ())]
        reasons += list(targeted.get(key, ()))  # written by / built on by a running build
        if key in held:
            reasons.append(held[key])
        decisions.append(Decision(name, str(version.get("id") or ""), not reasons, tuple(reasons)))
    return decisions


# --- what Azure and the config say ------------------------------------------------------------------


class _Unchecked(Exception):
    """A guard could not be asked: nothing of the image is deleted."""


def plan_retention(
    cfg: "EnvironmentConfig",
    image: str,
    client: Any,
    *,
    gallery_image_id: str,
    resource_group: str,
    rollout_state: Path | None = None,
    new_version: bool = False,
    new_excluded: bool = False,
) -> Retention:
    """The retention of `image` now (after its build), or with `new_version` as a build about to run would leave it.

    `client` is an ARM client of azure-mgmt-imagebuilder (mdpool.imagebuild.builder.Connection.client):
    its pipeline lists the versions and the machines, its operations the running templates.
    """
    from mdpool.imagebuild.builder import GalleryImageNotFound, list_gallery_image_versions

    settings = next(i for i in cfg.gallery.images if i.name == image)
    retention = Retention(image, settings.keep_versions)
    try:
        versions = list_gallery_image_versions(client, gallery_image_id)
    except GalleryImageNotFound:
        versions = []
    except Exception as error:  # noqa: BLE001 - a warning: the build itself succeeded
        retention.warnings.append(f"old versions not tidied: cannot list the versions of {gallery_image_id}: {_one_line(error)}")
        return retention
    if new_version:
        versions = [*versions, _planned_version(new_excluded)]
    if settings.keep_versions == 0 or len(versions) <= settings.keep_versions:
        retention.decisions = decide(versions, settings.keep_versions)  # nothing beyond N: no guard to ask
        return retention
    try:
        retention.decisions = decide(
            versions,
            settings.keep_versions,
            pinned=pinned_versions(cfg, image),
            running=running_versions(cfg, image, client, gallery_image_id),
            targeted=targeted_versions(client, resource_group, gallery_image_id),
            held=held_versions(rollout_state, image),
        )
    except _Unchecked as error:
        retention.decisions = [Decision(d.version, d.version_id, False, ("not checked",)) for d in decide(versions, 0)]
        retention.warnings.append(f"old versions not tidied: {error}")
    return retention


def _planned_version(excluded: bool) -> dict[str, Any]:
    return {
        "name": NEW,
        "id": NEW,
        "properties": {"provisioningState": "Succeeded", "publishingProfile": {"excludeFromLatest": excluded}},
    }


def pinned_versions(cfg: "EnvironmentConfig", image: str) -> dict[str, list[str]]:
    """Version (lowercased) -> who pins it: `pool P` (`version: X.Y.Z` on a pool image of `image`) or
    `image I (build.source)` (an image built on that version of `image`)."""
    pinned: dict[str, list[str]] = {}
    for pool in cfg.pools:
        for entry in pool.images:
            if entry.gallery_image == image and entry.version.lower() != "latest":
                pinned.setdefault(entry.version.lower(), []).append(f"pool {cfg.names.for_pool(pool).pool}")
    for other in cfg.gallery.images:
        source = other.build.source if other.build else None
        if source is not None and source.gallery_image == image and source.version.lower() != "latest":
            pinned.setdefault(source.version.lower(), []).append(f"image {other.name} (build.source)")
    return pinned


def running_versions(cfg: "EnvironmentConfig", image: str, client: Any, gallery_image_id: str) -> dict[str, list[str]]:
    """Version (lowercased) -> the pools whose machines run it, from each pool's agents list (pools API 2026-06-02).

    Every pool that uses `image` is asked; a pool that does not exist yet (404) has no machines.
    """
    from mdpool.deploy.errors import DeployError
    from mdpool.deploy.recycle import PoolMachines, image_key

    running: dict[str, list[str]] = {}
    wanted = image_key(gallery_image_id)
    for pool in cfg.pools:
        if not any(entry.gallery_image == image for entry in pool.images):
            continue
        name = cfg.names.for_pool(pool).pool
        try:
            machines = PoolMachines(client, cfg.names.pool_id(pool)).machines(missing_ok=True)
        except DeployError as error:
            raise _Unchecked(f"cannot list the machines of pool {name}: {error.lines[0]}") from None
        for machine in machines:
            if image_key(machine.image) == wanted:
                users = running.setdefault(machine.image_version.lower(), [])
                if name not in users:
                    users.append(name)
    return running


def targeted_versions(client: Any, resource_group: str, gallery_image_id: str) -> dict[str, list[str]]:
    """Version (lowercased) -> why running image templates (of the gallery's resource group) need it: they
    distribute to it by id, or build on it."""
    from mdpool.deploy.recycle import image_key
    from mdpool.imagebuild.builder import RUNNING_STATES

    targeted: dict[str, list[str]] = {}
    wanted = image_key(gallery_image_id)
    try:
        templates = list(client.virtual_machine_image_templates.list_by_resource_group(resource_group))
    except Exception as error:  # noqa: BLE001 - a guard not asked: nothing is deleted
        raise _Unchecked(f"cannot list the image templates of {resource_group}: {_one_line(error)}") from None
    for template in templates:
        properties = template.properties
        status = properties.last_run_status if properties else None
        state = getattr(status.run_state, "value", status.run_state) if status else None
        if state not in RUNNING_STATES:
            continue
        for distributor in (properties.distribute or []) if properties else []:
            target = str(getattr(distributor, "gallery_image_id", None) or "").rstrip("/")
            if "/versions/" in target.lower() and image_key(target) == wanted:
                version = target.rsplit("/", 1)[-1].lower()
                targeted.setdefault(version, []).append(f"written by the running build {template.name}")
        # a running build on a version of this image (SharedImageVersion source): `exactVersion` when
        # the service resolved `latest` (spec 2025-10-01, readOnly), else the id it was given
        source = properties.source if properties else None
        read = str(getattr(source, "exact_version", None) or getattr(source, "image_version_id", None) or "").rstrip("/")
        if "/versions/" in read.lower() and image_key(read) == wanted:
            targeted.setdefault(read.rsplit("/", 1)[-1].lower(), []).append(f"the source of the running build {template.name}")
    return targeted


def held_versions(rollout_state: Path | None, image: str) -> dict[str, str]:
    """Version (lowercased) -> why the rollout under way holds it (its canary and the previous version)."""
    from mdpool.rollout.state import StateFileError, load

    if rollout_state is None:
        return {}
    try:
        state = load(rollout_state)
    except StateFileError as error:
        raise _Unchecked(str(error)) from None
    if state is None or state.finished or state.image != image:
        return {}
    return {
        state.previous.lower(): f"the previous version of the rollout under way ({state.phase})",
        state.version.lower(): f"the new version of the rollout under way ({state.phase})",
    }


# --- deleting ---------------------------------------------------------------------------------------


def delete_versions(
    retention: Retention,
    client: Any,
    *,
    sleep: Callable[[float], None] = time.sleep,
    wait_seconds: float = DELETE_WAIT_SECONDS,
) -> Retention:
    """Delete what `retention` decided, one version after the other; each failure a warning."""
    for decision in retention.to_delete:
        problem = delete_version(client, decision.version_id, sleep=sleep, wait_seconds=wait_seconds)
        if problem is None:
            retention.deleted.append(decision.version)
        else:
            retention.warnings.append(f"version {decision.version} not deleted: {problem}")
    return retention


def delete_version(
    client: Any, version_id: str, *, sleep: Callable[[float], None] = time.sleep, wait_seconds: float = DELETE_WAIT_SECONDS
) -> str | None:
    """GalleryImageVersions_Delete, watched to its end through `Azure-AsyncOperation`; None when done, else why not."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    from mdpool.imagebuild.builder import GALLERY_API_VERSION

    try:
        response = client.send_request(HttpRequest("DELETE", version_id, params={"api-version": GALLERY_API_VERSION}))
        if response.status_code == 404:
            return None  # gone already
        if response.status_code >= 400:
            return _error_text(response)
        operation = response.headers.get("Azure-AsyncOperation")
        if response.status_code == 204 or not operation:
            return None
        deadline = time.monotonic() + wait_seconds
        while True:
            pause = _retry_after(response.headers.get("Retry-After"))
            response = client.send_request(HttpRequest("GET", operation))
            if response.status_code >= 400:
                return f"its deletion could not be watched: {_error_text(response)}"
            body = response.json() if response.content else {}
            status = str(body.get("status") or "")
            if status == "Succeeded":
                return None
            if status in ("Failed", "Canceled"):
                error = body.get("error") or {}
                return f"the deletion ended {status}: {error.get('code') or ''} {error.get('message') or ''}".strip()
            if time.monotonic() >= deadline:
                return f"still being deleted after {wait_seconds:.0f} s (Azure goes on; look at the version later)"
            sleep(pause)
    except AzureError as error:
        return _one_line(error)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value), 0.0), 60.0) if value else 5.0
    except ValueError:
        return 5.0


def _error_text(response: Any) -> str:
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        error = {}
    return f"HTTP {response.status_code} {error.get('code') or ''} {error.get('message') or ''}".strip()


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- after a build ----------------------------------------------------------------------------------


def tidy_after_builds(
    cfg: "EnvironmentConfig",
    built: Sequence[tuple[str, str, str]],
    connection: Any,
    *,
    rollout_state: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Retention]:
    """For each (image, gallery image id, resource group) just built: plan its retention and delete what it says."""
    results: dict[str, Retention] = {}
    if not built:
        return results
    connection = connection.with_credential()
    with connection.client(cfg.subscription_id) as client:
        for image, gallery_image_id, resource_group in built:
            retention = plan_retention(
                cfg, image, client, gallery_image_id=gallery_image_id, resource_group=resource_group, rollout_state=rollout_state
            )
            results[image] = delete_versions(retention, client, sleep=sleep)
    return results
