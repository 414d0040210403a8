"""An ephemeral OS disk on the resource disk needs a VM size with a local temporary disk.

learn.microsoft.com/azure/virtual-machines/ephemeral-os-disks: the resource (temp) disk placement
needs a size that has one; the Compute resource SKUs say how big it is (`MaxResourceVolumeMB`
capability, 0 for a size without one). `mdpool validate` only guesses from the size's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "resource-disk"
CHEAP = True


def applies(cfg: EnvironmentConfig) -> bool:
    return any(image.ephemeral == "ResourceDisk" for pool in cfg.pools for image in pool.images)


def resource_disk_mb(sku: dict[str, Any]) -> int | None:
    """The `MaxResourceVolumeMB` capability of a Compute resource SKU (Resource Skus - List), or None."""
    for capability in sku.get("capabilities") or []:
        if capability.get("name") == "MaxResourceVolumeMB":
            try:
                return int(capability.get("value"))
            except (TypeError, ValueError):
                return None
    return None


def run(ctx: Context) -> list[CheckResult]:
    location = ctx.cfg.location
    sizes = [size for pool in ctx.cfg.pools for size in pool.vm_sizes]
    without, unknown = [], []
    for size in dict.fromkeys(sizes):
        sku = ctx.compute_skus.get(size.lower())
        megabytes = resource_disk_mb(sku) if sku else None
        if megabytes is None:
            unknown.append(size)
        elif megabytes <= 0:
            without.append(size)
    if without:
        return [
            failed(
                NAME,
                f"ephemeral ResourceDisk needs a VM size with a temporary disk; {', '.join(without)} has none in {location}",
                "use a size with a temporary disk (a 'd' feature letter, e.g. Standard_D2ads_v5), or ephemeral CacheDisk or Automatic",
            )
        ]
    if unknown:
        raise Unchecked(f"{', '.join(unknown)}: no MaxResourceVolumeMB in the Compute resource SKUs of {location}; not checked")
    return [ok(NAME, f"{', '.join(dict.fromkeys(sizes))} has a temporary disk for the ephemeral OS disk")]
