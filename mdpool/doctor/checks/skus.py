"""The pool's VM size is offered by Managed DevOps Pools in the region, and the build VM size by Compute."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "pool-sku"
CHEAP = True


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def location_restriction(sku: dict[str, Any], location: str) -> str | None:
    """The reason a SKU may not be used in `location`, or None.

    A restriction of type Location lists the regions where the SKU cannot be used (`values`,
    `restrictionInfo.locations`); type Zone only limits zones. Shape: ResourceSkuRestrictions in
    devopsinfrastructure.json 2026-06-02 and Compute's Resource Skus - List.
    """
    props: dict[str, Any] = sku["properties"] if isinstance(sku.get("properties"), dict) else sku
    for restriction in props.get("restrictions") or []:
        if str(restriction.get("type", "")).lower() != "location":
            continue
        places = list(restriction.get("values") or []) + list((restriction.get("restrictionInfo") or {}).get("locations") or [])
        if any(str(place).lower() == location.lower() for place in places):
            return str(restriction.get("reasonCode") or "restricted")
    return None


def _sku_name(sku: dict[str, Any]) -> str:
    props = sku.get("properties") or {}
    if props.get("tier") and props.get("size"):
        return f"{props['tier']}_{props['size']}"
    return str(sku.get("name") or "")


def _sizes(cfg: EnvironmentConfig) -> list[str]:
    """Every VM size any pool may run on (its sku, or each size of its instance mix), once each ignoring case."""
    sizes: dict[str, str] = {}
    for pool in cfg.pools:
        for size in pool.vm_sizes:
            sizes.setdefault(size.lower(), size)
    return list(sizes.values())


def run(ctx: Context) -> list[CheckResult]:
    location, sizes = ctx.cfg.location, _sizes(ctx.cfg)
    # Sku_ListByLocation: GET .../providers/Microsoft.DevOpsInfrastructure/locations/{loc}/skus (devopsinfrastructure.json)
    offered = ctx.arm.list(
        f"{ctx.subscription}/providers/Microsoft.DevOpsInfrastructure/locations/{location}/skus",
        DEVOPS_INFRASTRUCTURE_API,
        f"the Managed DevOps Pools SKUs in {location}",
    )
    by_name: dict[str, dict[str, Any]] = {}
    for item in offered:
        for name in {str(item.get("name") or ""), _sku_name(item)}:
            if name:
                by_name[name.lower()] = item
    mix = len(sizes) > 1 or any(pool.instance_mix for pool in ctx.cfg.pools)
    # in a fleet a size may be one pool's sku and another's mix: the row names the size, not the setting
    several = "a size of pool.instance_mix" if len(ctx.cfg.pools) == 1 else "the pools' VM size"
    return [_size_result(size, location, by_name, offered, mix, several) for size in sizes]


def _size_result(
    size: str, location: str, by_name: dict[str, dict[str, Any]], offered: list[dict[str, Any]], mix: bool, several: str
) -> CheckResult:
    """One row per VM size: the pool's sku, or each size of its instance mix (of every pool, in a fleet)."""
    check, setting = (f"{NAME}:{size}", several) if mix else (NAME, "pool.sku")
    sku = by_name.get(size.lower())
    if sku is None:
        close = difflib.get_close_matches(size, sorted({_sku_name(s) for s in offered}), n=3, cutoff=0.6)
        hint = f" (close: {', '.join(close)})" if close else ""
        return failed(
            check,
            f"{setting} {size} is not offered by Managed DevOps Pools in {location}{hint}",
            f"use a size the service lists for {location} "
            f"(az rest --url .../providers/Microsoft.DevOpsInfrastructure/locations/{location}/skus), "
            "or choose another location",
        )
    reason = location_restriction(sku, location)
    if reason:
        return failed(
            check,
            f"{setting} {size} is restricted for this subscription in {location} ({reason})",
            f"choose another size, or ask Azure support to lift the restriction on {size} in {location}",
        )
    return ok(check, f"{size} is offered by Managed DevOps Pools in {location}")
