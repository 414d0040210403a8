"""Rules for the images a pool runs on: well-known, this config's gallery images, or any image id."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from mdpool.config import EnvironmentConfig, Pool
from mdpool.rules.findings import WARNING, Finding
from mdpool.validate import formats
from mdpool.yamlsource import Loc

WELL_KNOWN_IMAGES = ("ubuntu-22.04", "ubuntu-24.04", "windows-2022", "windows-2025")

IMAGE_KINDS = "give exactly one of `well_known` (e.g. ubuntu-22.04/latest), `gallery_image` (a gallery image name) or `resource_id` (any image resource id)"
KNOWN_IMAGE_IDS = [
    re.compile(
        r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/images/[^/]+(/versions/[^/]+)?",
        re.IGNORECASE,
    ),
    re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/images/[^/]+", re.IGNORECASE),
    re.compile(
        r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/publishers/[^/]+/artifactTypes/vmImage/offers/[^/]+/skus/[^/]+/versions/[^/]+",
        re.IGNORECASE,
    ),
]


def image_rules(config: EnvironmentConfig, pool: Pool) -> Iterator[Finding]:
    gallery_names = [image.name for image in config.gallery.images]
    numeric: list[int] = []
    any_star = False
    aliases: dict[str, int] = {}
    for index, image in enumerate(pool.images):
        loc = pool.loc("images", index)
        # managed_devops_pool_resource.go validateVirtualMachineScaleSetFabricImages: one of id / well_known_image_name
        kinds = [kind for kind in (image.well_known, image.gallery_image, image.resource_id) if kind is not None]
        if len(kinds) != 1:
            yield loc, IMAGE_KINDS
        if image.well_known is not None:
            yield from _well_known_rules(loc, image.well_known)
        if image.resource_id is not None:
            yield from _resource_id_rules(loc, image.resource_id)
        if image.gallery_image is not None:
            if image.gallery_image not in gallery_names:
                close = difflib.get_close_matches(image.gallery_image, gallery_names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                known = ", ".join(gallery_names) or "none: gallery.images is empty"
                yield (
                    (*loc, "gallery_image"),
                    f"{image.gallery_image!r} is not an image of this config's gallery; {hint}allowed: {known}",
                )
            problem = formats.gallery_version_problem(image.version)  # SharedImageVersionName; 32-bit parts
            if problem:
                yield (*loc, "version"), problem
        elif image.version != "latest":
            yield (
                (*loc, "version"),
                "version applies to gallery images; put a well-known image's version after a slash, or the version in resource_id",
            )
        buffer = str(image.buffer)
        # managed_devops_pool_resource.go image.buffer: StringMatch `^(?:\*|[0-9][0-9]?|100)$`
        if buffer == "*":
            any_star = True
        elif re.fullmatch(r"[0-9][0-9]?|100", buffer):
            numeric.append(int(buffer))
        else:
            yield (*loc, "buffer"), f"{image.buffer!r} is not allowed; allowed: * (even share) or a number from 0 to 100"
        for position, alias in enumerate(image.aliases):
            # no source on how Azure treats a repeated alias: a warning
            key = alias.casefold()
            if key in aliases:
                yield (
                    (*loc, "aliases", position),
                    (
                        f"alias {alias!r} is already used by pool.images[{aliases[key]}] "
                        "(compared ignoring case); a pipeline's demand would match either"
                    ),
                    WARNING,
                )
            aliases.setdefault(key, index)
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-images ("The total of all image buffer
    # values must equal 100"); `*` shares what is left evenly (the provider's default buffer)
    total = sum(numeric)
    if numeric and not any_star and total != 100:
        yield pool.loc("images"), f"numeric buffers add up to {total}; they must add up to 100 (or use * for an even share)"
    if any_star and total > 100:
        yield pool.loc("images"), f"numeric buffers add up to {total}; with * images they may add up to 100 at most"


def _well_known_rules(loc: Loc, well_known: str) -> Iterator[Finding]:
    base, _, version = well_known.partition("/")
    # managed_devops_pool_resource.go well_known_image_name: StringIsNotEmpty
    if not well_known:
        yield (*loc, "well_known"), f"must not be empty; allowed: {', '.join(WELL_KNOWN_IMAGES)}"
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-images: windows-2019 retired for new pools
    elif base == "windows-2019":
        yield (
            (*loc, "well_known"),
            "windows-2019 is blocked for new pools since 2025-11-01; allowed: " + ", ".join(WELL_KNOWN_IMAGES),
        )
    elif base not in WELL_KNOWN_IMAGES:  # the docs' list grows: an unknown name is a warning
        close = difflib.get_close_matches(base, WELL_KNOWN_IMAGES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield (
            (*loc, "well_known"),
            (
                f"{base!r} is not a well-known image mdpool knows; {hint}known: "
                f"{', '.join(WELL_KNOWN_IMAGES)} (optionally /latest or /<version>)"
            ),
            WARNING,
        )
    elif version and not re.fullmatch(r"latest|[0-9]+(\.[0-9]+){1,3}", version):
        yield (
            (*loc, "well_known"),
            f"version {version!r} is not one mdpool knows; known: latest or a version like 20250101.1.0",
            WARNING,
        )


def _resource_id_rules(loc: Loc, resource_id: str) -> Iterator[Finding]:
    if formats.MARKETPLACE_SHORT_ID.fullmatch(resource_id):  # Microsoft's 2026-06-02 example form
        return
    # managed_devops_pool_resource.go image.id: azure.ValidateResourceID (helpers/azure/resourceid.go ParseAzureResourceID)
    problem = formats.resource_id_problem(resource_id)
    if problem:
        yield (
            (*loc, "resource_id"),
            f"{problem}; allowed: e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<image>",
        )
    elif not any(form.fullmatch(resource_id) for form in KNOWN_IMAGE_IDS):
        yield (
            (*loc, "resource_id"),
            (
                "is not a form of image id mdpool knows (a gallery image or version, a managed image, "
                "or a marketplace image version); Azure may refuse it"
            ),
            WARNING,
        )


def storage_rules(config: EnvironmentConfig, pool: Pool) -> Iterator[Finding]:
    disk = pool.data_disk
    if disk is None or disk.drive_letter is None:
        return
    loc = pool.loc("data_disk", "drive_letter")
    letter = disk.drive_letter
    # managed_devops_pool_resource.go storage.drive_letter: StringMatch `^[F-Zf-z]$` (not A, C, D or E; B neither)
    if not re.fullmatch(r"[F-Zf-z]", letter):
        yield loc, f"{letter!r} is not allowed; allowed: one letter from F to Z"
    elif not any(
        image.well_known
        and image.well_known.startswith("windows")
        or (image.gallery_image and _gallery_os(config, image.gallery_image) == "Windows")
        for image in pool.images
    ):
        # the provider's complete acceptance test sets drive letter F on Ubuntu images: accepted, so a warning
        yield loc, "a drive letter names the disk on Windows agents; this pool has no Windows image mdpool can see", WARNING


def _gallery_os(config: EnvironmentConfig, name: str) -> str | None:
    return next((image.os_type for image in config.gallery.images if image.name == name), None)
