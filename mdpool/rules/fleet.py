"""Rules across the pools of a fleet (`pools:`): names that must differ, a subnet per pool, the
organization's parallel jobs."""

from __future__ import annotations

from collections.abc import Iterator

from mdpool.config import EnvironmentConfig, Pool
from mdpool.rules.findings import WARNING, Finding


def fleet_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    yield from _pool_name_rules(config.pools)
    yield from _resource_name_rules(config)
    yield from _subnet_rules(config.pools)
    yield from _parallel_job_rules(config.pools)


def _pool_name_rules(pools: list[Pool]) -> Iterator[Finding]:
    # mdpool's own layout: the name is the stack's (pool-<env>-<name>), its state file's and its
    # pipeline job's, and a case-insensitive file system (Windows, macOS) holds one of two names
    # that differ only in case
    seen: dict[str, int] = {}
    for index, pool in enumerate(pools):
        if pool.key is None:
            continue
        key = pool.key.casefold()
        if key in seen:
            yield (
                pool.loc("key"),
                f"pool {pool.key!r} is already pools[{seen[key]}]; pool names must be unique, ignoring case",
            )
        seen.setdefault(key, index)


def _resource_name_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    """Two pools must not name the same resource: Azure compares names ignoring case within their scope
    (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules), and two stacks
    that both create one resource fail on the second create (azurerm: "already exists - to be managed
    via Terraform this resource needs to be imported")."""
    pools = config.pools
    if len(pools) < 2:
        return
    gallery_group = config.names.gallery_resource_group.casefold()
    groups: dict[str, int] = {}
    owned: dict[tuple[str, str, str], int] = {}
    for index, pool in enumerate(pools):
        names = config.names.for_pool(pool)
        group = names.resource_group.casefold()
        # each pool stack creates its resource group, unless the gallery stack owns it or none is created
        if config.resource_groups.create and group != gallery_group:
            if group in groups:
                yield (
                    ("resource_groups", "pool"),
                    (
                        f"every pool stack would create resource group {names.resource_group!r}; with several "
                        "pools leave resource_groups.pool out (each pool gets its own), use the gallery's group, "
                        "or set resource_groups.create to false"
                    ),
                )
                break
            groups[group] = index
    for index, pool in enumerate(pools):
        names = config.names.for_pool(pool)
        group = names.resource_group.casefold()
        for kind, field, name in (
            ("dev center", "dev_center_name", names.dev_center),
            ("dev center project", "project_name", names.project),
            ("managed devops pool", "name", names.pool),
        ):
            key = (kind, group, name.casefold())
            if key in owned:
                yield (
                    pool.loc(field),
                    f"{kind} {name!r} in resource group {names.resource_group!r} is also pools[{owned[key]}]'s; "
                    "each pool needs its own (Azure compares names ignoring case)",
                )
            owned.setdefault(key, index)


def _subnet_rules(pools: list[Pool]) -> Iterator[Finding]:
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-networking: the subnet is delegated
    # "for exclusive access by the pool. Other pools or resources can't use the subnet."
    seen: dict[str, int] = {}
    for index, pool in enumerate(pools):
        subnet = pool.network.subnet_id if pool.network else None
        if subnet is None:
            continue
        key = subnet.casefold()
        if key in seen:
            yield (
                pool.loc("network", "subnet_id"),
                f"this subnet already serves pools[{seen[key]}]; a subnet serves one pool, give each pool its own",
            )
        seen.setdefault(key, index)


def _parallel_job_rules(pools: list[Pool]) -> Iterator[Finding]:
    # learn.microsoft.com/azure/devops/pipelines/licensing/concurrent-jobs: with fewer parallel jobs than
    # running agents, jobs wait in the queue; Azure refuses nothing, so a warning
    agents: dict[str, int] = {}
    limit: dict[str, tuple[int, tuple]] = {}
    for pool in pools:
        for index, org in enumerate(pool.organizations):
            url = org.resolved_url.casefold()
            agents[url] = agents.get(url, 0) + (pool.parallelism_of(org) or 0)
            if org.parallel_jobs is not None and url not in limit:
                limit[url] = (org.parallel_jobs, pool.loc("organizations", index, "parallel_jobs"))
    for url, (jobs, loc) in limit.items():
        if agents[url] > jobs:
            yield (
                loc,
                f"the pools serving {url} may run {agents[url]} agents at once but the organization has {jobs} "
                "parallel jobs; jobs beyond them wait in the queue",
                WARNING,
            )
