"""vCPU quota: maximum_concurrency agents of the pool's size fit in what is free in its SKU family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok, warning

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "quota"
CHEAP = True


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def vcpus(sku: dict[str, Any]) -> int | None:
    """The `vCPUs` capability of a Compute resource SKU (Resource Skus - List, capabilities)."""
    for capability in sku.get("capabilities") or []:
        if capability.get("name") == "vCPUs":
            try:
                return int(capability.get("value"))
            except (TypeError, ValueError):
                return None
    return None


def run(ctx: Context) -> list[CheckResult]:
    """One row per VM size: the pools of one size in the config's region share its family's quota, so
    their maximum_concurrency adds up; a pool with an instance mix is compared size by size on its own."""
    pools = ctx.cfg.pools
    single: dict[str, list] = {}  # size (as first written) -> the pools on it alone
    for pool in pools:
        if not pool.instance_mix:
            size = next((known for known in single if known.lower() == pool.sku.lower()), pool.sku)
            single.setdefault(size, []).append(pool)
    rows: list[CheckResult] = []
    for size, sharing in single.items():
        check = NAME if len(pools) == 1 else f"{NAME}:{size}"
        agents = sum(pool.maximum_concurrency for pool in sharing)
        try:
            rows.append(_size_result(ctx, size, check, agents, _whose(sharing, len(pools))))
        except Unchecked as error:
            if len(pools) == 1:
                raise
            rows.append(warning(check, error.message, error.fix))
    for pool in (pool for pool in pools if pool.instance_mix):
        rows += _mix_rows(ctx, pool, _whose([pool], len(pools)))
    return rows


def _whose(pools: list, count: int) -> str:
    """What to lower in the fix: the one pool's setting, or the pools' settings in a fleet."""
    if count == 1:
        return "pool.maximum_concurrency"
    return "maximum_concurrency of pools " + ", ".join(str(pool.key) for pool in pools)


def _mix_rows(ctx: Context, pool, whose: str) -> list[CheckResult]:
    # Instance mix: the service may put every agent on any of the sizes, so each size is compared alone;
    # a size that does not fit is a warning while another fits, a failure when none does
    rows = []
    suffix = "" if pool.key is None else f"@{pool.key}"
    for size in pool.vm_sizes:
        check = f"{NAME}:{size}{suffix}"
        try:
            rows.append(_size_result(ctx, size, check, pool.maximum_concurrency, whose))
        except Unchecked as error:
            rows.append(warning(check, error.message, error.fix))
    if any(row.status == "ok" for row in rows):
        rows = [
            warning(row.check, f"{row.message}; another size of the mix fits", row.fix) if row.failed else row for row in rows
        ]
    return rows


def _size_result(ctx: Context, size: str, check: str, agents: int, whose: str = "pool.maximum_concurrency") -> CheckResult:
    location = ctx.cfg.location
    sku = ctx.compute_skus.get(size.lower())
    per_vm = vcpus(sku) if sku else None
    family = str((sku or {}).get("family") or "")
    if sku is None or per_vm is None or not family:
        raise Unchecked(f"{size}: no vCPU count or family in the Compute resource SKUs of {location}; quota not checked")
    needed = agents * per_vm
    # SubscriptionUsages_Usages: GET .../Microsoft.DevOpsInfrastructure/locations/{loc}/usages (devopsinfrastructure.json):
    # Managed DevOps Pools has its own vCPU quota per SKU family (azure-devops-docs managed-devops-pools/prerequisites.md)
    usages = ctx.arm.list(
        f"{ctx.subscription}/providers/Microsoft.DevOpsInfrastructure/locations/{location}/usages",
        DEVOPS_INFRASTRUCTURE_API,
        f"the Managed DevOps Pools quota usages in {location}",
    )
    usage = next((u for u in usages if str((u.get("name") or {}).get("value", "")).lower() == family.lower()), None)
    if usage is None:
        return warning(
            check,
            f"needs {needed} vCPUs of {family} ({agents} x {size} at {per_vm} vCPUs); the service "
            f"lists no quota for {family} in {location}, so it was not compared",
            f"check Quotas > Managed DevOps Pools > {family} in {location} in the Azure portal",
        )
    limit, used = int(usage.get("limit") or 0), int(usage.get("currentValue") or 0)
    free = limit - used
    numbers = (
        f"needs {needed} vCPUs of {family} ({agents} x {size} at {per_vm} vCPUs); "
        f"{free} free in {location} (limit {limit}, {used} in use)"
    )
    if needed <= free:
        return ok(check, numbers)
    short = needed - free
    if ctx.our_pool is not None:  # its own agents are in the usage: the shortfall may not be real
        return warning(
            check,
            f"{numbers}; the pool already exists and its own agents count in use",
            f"if the pool's agents use less than {short} of them, raise the quota for {family} in "
            f"{location} by up to {short} (portal: Quotas > Managed DevOps Pools)",
        )
    return failed(
        check,
        numbers,
        f"raise the Managed DevOps Pools quota for {family} in {location} by {short} to at least "
        f"{limit + short} (portal: Quotas > Managed DevOps Pools > Request adjustment), "
        f"or lower {whose} to {free // per_vm}" + (" together" if "pools" in whose else ""),
    )
