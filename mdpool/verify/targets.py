"""The pools a verify looks at (every pool of a fleet), each with its Azure name and resource id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Organization, Pool


@dataclass(frozen=True)
class PoolTarget:
    pool: "Pool"
    name: str
    """The pool's name in Azure, which is also its agent pool's name in Azure DevOps."""
    id: str


def pool_targets(cfg: "EnvironmentConfig") -> list[PoolTarget]:
    return [PoolTarget(pool, cfg.names.for_pool(pool).pool, cfg.names.pool_id(pool)) for pool in cfg.pools]


def organizations(cfg: "EnvironmentConfig") -> "list[tuple[Organization, list[tuple[PoolTarget, Organization]]]]":
    """Each Azure DevOps organization once (by URL), with the pools that serve it and their settings there."""
    found: dict[str, tuple[Organization, list[tuple[PoolTarget, Organization]]]] = {}
    for target in pool_targets(cfg):
        for organization in target.pool.organizations:
            key = organization.resolved_url.rstrip("/").lower()
            found.setdefault(key, (organization, []))[1].append((target, organization))
    return list(found.values())


def org_name(organization: "Organization") -> str:
    from mdpool.doctor.checks.devops import _org_name

    return _org_name(organization)
