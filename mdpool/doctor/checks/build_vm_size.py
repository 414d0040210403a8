"""The VM size Azure Image Builder builds on (each image's build.vm_size) is available in the region."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.checks.skus import location_restriction
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "build-vm-size"
CHEAP = True


def applies(cfg: EnvironmentConfig) -> bool:
    return any(image.build for image in cfg.gallery.images)


def run(ctx: Context) -> list[CheckResult]:
    location = ctx.cfg.location
    sizes: dict[str, list[str]] = {}
    for image in ctx.cfg.gallery.images:
        if image.build:
            sizes.setdefault(image.build_vm_size, []).append(image.name)
    problems = []
    for size, images in sizes.items():
        # Resource Skus - List (Compute), filtered by location: virtualMachines with their restrictions
        sku = ctx.compute_skus.get(size.lower())
        where = f"gallery.images[{', '.join(images)}].build.vm_size"
        if sku is None:
            listing = f"az vm list-skus --location {location} --resource-type virtualMachines"
            problems.append((f"{size} ({where}) is not a VM size in {location}", f"set {where} to a size listed by `{listing}`"))
            continue
        reason = location_restriction(sku, location)
        if reason:
            problems.append(
                (
                    f"{size} ({where}) is restricted for this subscription in {location} ({reason})",
                    f"set {where} to another size, or ask Azure support to lift the restriction",
                )
            )
    if problems:
        return [failed(NAME, "; ".join(p[0] for p in problems), "; ".join(p[1] for p in problems))]
    return [ok(NAME, f"build VM size {', '.join(sizes)} available in {location}")]
