"""Does a build's timeout, and an image's replica count, fit what Microsoft says they need? (warnings)

Two checks `mdpool validate` runs on the image definition files (through `mdpool.rules`), both
warnings: they rest on Microsoft's published averages, not on a limit Azure enforces.

- Build timeout. `buildTimeoutInMinutes` covers "all customizations, optimization, validations, and
  distributions" (Image Builder spec 2025-10-01, ImageTemplateProperties.buildTimeoutInMinutes).
  Microsoft's own figures for the phases mdpool can foresee: boot optimization adds a median 20
  minutes on Linux and 34 on Windows (Learn, "VM boot optimization"), and replicating a gallery
  image version takes 15-20 minutes per region (Learn, Azure Compute Gallery; the lower figure is
  used). Customization time is the user's own and not counted, so the estimate is a floor.
- Replicas. "One replica for every 20 VMs that you create concurrently" (Learn, Azure Compute
  Gallery, "Scaling"): a pool that may create `maximum_concurrency` machines at once wants
  ceil(maximum_concurrency / 20) replicas in its region; a target region's `ReplicaCount` defaults
  to 1 (Image Builder spec 2025-10-01, TargetRegion.replicaCount default 1). A pool whose region is
  no target region of its image is warned about too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from mdpool.validate.architecture import boot_optimization_on

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, GalleryImage
    from mdpool.imagebuild.definition import ImageDefinition

BOOT_OPTIMIZATION_MINUTES = {"Linux": 20, "Windows": 34}  # Learn, "VM boot optimization": median added build time
REPLICATION_MINUTES_PER_REGION = 15  # Learn, Azure Compute Gallery: replication 15-20 minutes per region (lower figure)
MACHINES_PER_REPLICA = 20  # Learn, Azure Compute Gallery, "Scaling": one replica per 20 VMs created concurrently
DEFAULT_REPLICA_COUNT = 1  # Image Builder spec 2025-10-01, TargetRegion.replicaCount default

Finding = tuple  # (loc, message, "warning"), as mdpool.rules yields them


@dataclass(frozen=True)
class PhaseNeed:
    what: str
    minutes: int


def phase_needs(image: "GalleryImage", definition: "ImageDefinition") -> list[PhaseNeed]:
    """The minutes Microsoft's figures give the phases this image's build will go through."""
    assert image.build is not None
    needs = []
    if boot_optimization_on(image.architecture, image.build.boot_optimization):
        minutes = BOOT_OPTIMIZATION_MINUTES[image.os_type]
        needs.append(PhaseNeed(f"boot optimization {minutes} min on {image.os_type}", minutes))
    regions = len(definition.target_regions)
    if regions:
        needs.append(
            PhaseNeed(
                f"replication {REPLICATION_MINUTES_PER_REGION} min x {regions} region{'s' * (regions != 1)}",
                REPLICATION_MINUTES_PER_REGION * regions,
            )
        )
    return needs


def timeout_findings(image: "GalleryImage", index: int, definition: "ImageDefinition") -> Iterator[Finding]:
    assert image.build is not None
    needs = phase_needs(image, definition)
    total = sum(need.minutes for need in needs)
    timeout = image.build.timeout_minutes
    if timeout < total:
        parts = ", ".join(need.what for need in needs)
        yield (
            ("gallery", "images", index, "build", "timeout_minutes"),
            f"{timeout} minutes is {total - timeout} short of the {total} minutes Microsoft's figures give this "
            f"image's phases ({parts}; Learn: VM boot optimization, Azure Compute Gallery), before any "
            f"customization runs; raise it to at least {total} (the build fails when it runs out)",
            "warning",
        )


def replica_findings(config: "EnvironmentConfig", definitions: dict[str, "ImageDefinition"]) -> Iterator[Finding]:
    """Each pool image of this config's gallery: enough replicas in the pool's region for its concurrency."""
    for pool in config.pools:
        location = config.location
        wanted = math.ceil(pool.maximum_concurrency / MACHINES_PER_REPLICA)
        for image_index, pool_image in enumerate(pool.images):
            definition = definitions.get(pool_image.gallery_image or "")
            if definition is None:
                continue  # not built by mdpool (or its file has problems, reported on their own)
            loc = pool.loc("images", image_index, "gallery_image")
            region = next((r for r in definition.target_regions if r.name == location), None)
            if region is None:
                regions = ", ".join(r.name for r in definition.target_regions) or "none"
                yield (
                    loc,
                    f"image {pool_image.gallery_image!r} is not replicated to the pool's region {location} (its "
                    f"TargetRegion: {regions}); add {location} with ReplicaCount {wanted} to its definition file",
                    "warning",
                )
                continue
            replicas = region.replica_count or DEFAULT_REPLICA_COUNT
            if replicas < wanted:
                yield (
                    loc,
                    f"image {pool_image.gallery_image!r} has {replicas} replica{'s' * (replicas != 1)} in {location}; "
                    f"the pool may create {pool.maximum_concurrency} machines at once, which wants {wanted} "
                    f"(one replica per {MACHINES_PER_REPLICA} machines created at once, Learn: Azure Compute "
                    f"Gallery, Scaling); set its ReplicaCount for {location} to {wanted}",
                    "warning",
                )


def build_fit_findings(config: "EnvironmentConfig") -> Iterator[Finding]:
    """Both checks over every buildable image whose definition file loads (broken files are reported elsewhere)."""
    from mdpool.imagebuild.images import image_specs, load_definition_once
    from mdpool.problems import InputError

    index_of = {image.name: index for index, image in enumerate(config.gallery.images)}
    images = {image.name: image for image in config.gallery.images}
    definitions: dict[str, ImageDefinition] = {}
    try:
        specs = image_specs(config)
    except InputError:
        return
    for spec in specs:
        try:
            definitions[spec.name] = load_definition_once(config, spec)
        except (InputError, OSError):
            continue
        yield from timeout_findings(images[spec.name], index_of[spec.name], definitions[spec.name])
    yield from replica_findings(config, definitions)
