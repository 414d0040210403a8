"""Rules for the gallery and its image definitions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from mdpool.config import EnvironmentConfig, GalleryImage
from mdpool.rules.findings import WARNING, Finding
from mdpool.validate import formats


def gallery_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    seen_identifiers: dict[tuple[str, str, str], int] = {}
    folded_identifiers: dict[tuple[str, ...], int] = {}
    for index, image in enumerate(config.gallery.images):
        loc = ("gallery", "images", index)
        # Arm64 sizes are Hyper-V generation 2 only (learn.microsoft.com/azure/virtual-machines/generation-2);
        # the Azure Verified Module for gallery images refuses V1 with Arm64
        if image.architecture == "Arm64" and image.hyper_v_generation == "V1":
            yield (
                (*loc, "hyper_v_generation"),
                "V1 is not allowed for an Arm64 image; allowed: V2 (Arm64 VMs are generation 2 only)",
            )
        # shared_image_resource.go identifier: publisher 128, offer 64, sku 64
        for part, limit in (("publisher", 128), ("offer", 64), ("sku", 64)):
            problem = formats.gallery_identifier_problem(getattr(image.identifier, part), limit)
            if problem:
                yield (*loc, "identifier", part), f"{part} {problem}"
        ident = (image.identifier.publisher, image.identifier.offer, image.identifier.sku)
        folded = tuple(part.casefold() for part in ident)
        # Azure: an image definition's publisher/offer/sku is unique within its gallery
        # (learn.microsoft.com/azure/virtual-machines/shared-image-galleries, "Image definitions")
        if ident in seen_identifiers:
            yield (
                (*loc, "identifier"),
                (
                    f"publisher/offer/sku {'/'.join(ident)} is used by images[{seen_identifiers[ident]}] "
                    "too; each image definition in a gallery needs its own identifier"
                ),
            )
        elif folded in folded_identifiers:  # case-only difference: no source says how Azure compares
            yield (
                (*loc, "identifier"),
                (
                    f"publisher/offer/sku {'/'.join(ident)} differs from images[{folded_identifiers[folded]}] "
                    "only in case; Azure may treat them as the same identifier"
                ),
                WARNING,
            )
        seen_identifiers.setdefault(ident, index)
        folded_identifiers.setdefault(folded, index)
        if image.build is not None:  # mdpool's input format: a definition file beside the config
            path = image.build.definition_path
            if not path.is_file():
                yield (
                    (*loc, "build", "definition"),
                    (f"file {image.build.definition!r} not found (looked in {path}); give a path relative to the config file"),
                )
            elif not (path.name.endswith(".json") or path.name.endswith(".json.j2")):
                yield (*loc, "build", "definition"), "image definition files end in .json or .json.j2"


def build_network_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    for index, image in enumerate(config.gallery.images):
        network = image.build.network if image.build else None
        if network is None:
            continue
        for key in ("subnet_id", "container_instance_subnet_id"):
            value = getattr(network, key)
            # Image Builder 2025-10-01 VirtualNetworkConfig: "Resource id of a pre-existing subnet"
            problem = formats.arm_id_problem(value, formats.SUBNET_ID) if value is not None else None
            if problem:
                yield ("gallery", "images", index, "build", "network", key), f"not a subnet id: {problem}"


# The forms of id Image Builder's SharedImageVersion source names (imagebuilder 2025-10-01
# ImageTemplateSharedImageVersionSource: "an image version in an Azure Compute Gallery or a Direct
# Shared Gallery"): a gallery's version in a resource group, or a direct shared gallery's.
GALLERY_VERSION_ID = re.compile(
    r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/galleries/[^/]+/images/[^/]+/versions/[^/]+",
    re.IGNORECASE,
)
SHARED_GALLERY_VERSION_ID = re.compile(
    r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/sharedGalleries/[^/]+/images/[^/]+/versions/[^/]+",
    re.IGNORECASE,
)


def build_source_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    """`build.source`: a base image of this config that exists, fits and forms no cycle; a version id Azure can read."""
    images = {image.name: image for image in config.gallery.images}
    for index, image in enumerate(config.gallery.images):
        source = image.build.source if image.build else None
        if source is None:
            continue
        loc = ("gallery", "images", index, "build", "source")
        if source.gallery_image is not None:
            yield from _base_image_rules(config, image, loc)
            problem = formats.gallery_version_problem(source.version)  # compute galleryImageVersionName
            if problem:
                yield (*loc, "version"), problem
        elif source.image_version_id is not None:
            yield from _version_id_rules(config, source.image_version_id, (*loc, "image_version_id"))
    yield from _cycles(images)


def _base_image_rules(config: EnvironmentConfig, image: GalleryImage, loc: tuple) -> Iterator[Finding]:
    assert image.build is not None and image.build.source.gallery_image is not None
    name = image.build.source.gallery_image
    names = [entry.name for entry in config.gallery.images]
    base = next((entry for entry in config.gallery.images if entry.name == name), None)
    if base is None:
        # a name differing only in case first: Azure's names ignore case, the config's references do not
        close = [entry for entry in names if entry.lower() == name.lower()] or difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield (*loc, "gallery_image"), f"{name!r} is not an image of this config's gallery; {hint}allowed: {', '.join(names)}"
        return
    # no source says how Image Builder treats a base of another kind: warnings (the image definition's
    # osType, architecture and hyperVGeneration describe what its versions are)
    for field_name in ("os_type", "architecture", "hyper_v_generation"):
        mine, theirs = getattr(image, field_name), getattr(base, field_name)
        if mine != theirs:
            yield (
                (*loc, "gallery_image"),
                f"base image {name!r} has {field_name} {theirs}, this image {mine}; a build keeps its source's {field_name}",
                WARNING,
            )


def _version_id_rules(config: EnvironmentConfig, value: str, loc: tuple) -> Iterator[Finding]:
    # ARM ids are key/value pairs under /subscriptions/<id> (azurerm helpers/azure/resourceid.go ParseAzureResourceID)
    problem = formats.resource_id_problem(value)
    if problem:
        what = problem.split("; allowed:")[0]  # one `allowed:`, the form this field takes
        yield loc, f"{what}; allowed: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<g>/images/<i>/versions/<version>"
        return
    if SHARED_GALLERY_VERSION_ID.fullmatch(value):
        if value.rsplit("/", 1)[-1].lower() == "latest":
            yield (
                loc,
                "a direct shared gallery's `latest` is evaluated by Image Builder at each build; mdpool cannot see it move, so a newer version does not rebuild this image",
                WARNING,
            )
        return
    match = GALLERY_VERSION_ID.fullmatch(value)
    if match is None:
        yield loc, "is not a gallery image version id mdpool knows (…/galleries/<g>/images/<i>/versions/<version>); Azure may refuse it", WARNING
        return
    problem = formats.gallery_version_problem(value.rsplit("/", 1)[-1])
    if problem:
        yield loc, f"version {problem}"
    subscription, group = match.group(1), match.group(2)
    if subscription.lower() != config.subscription_id.lower() or group.lower() != config.names.gallery_resource_group.lower():
        # Learn, "Configure Azure VM Image Builder permissions": the identity reads the source image version
        # (Microsoft.Compute/galleries/read, images/read, images/versions/read); mdpool grants them in the gallery's group only
        yield (
            loc,
            "outside this config's gallery resource group: give the builder identity read access to it "
            "(Microsoft.Compute/galleries/images/versions/read), or the build fails",
            WARNING,
        )


def _cycles(images: dict[str, GalleryImage]) -> Iterator[Finding]:
    """Images built on each other in a ring cannot be built in any order: each image of a ring is refused once."""
    positions = {name: index for index, name in enumerate(images)}

    def base_of(name: str) -> str | None:
        build = images[name].build
        base = build.source.gallery_image if build else None
        return base if base in images else None

    reported: set[str] = set()
    for start in images:
        path: list[str] = []
        name: str | None = start
        while name is not None and name not in path:
            path.append(name)
            name = base_of(name)
        if name is None or name in reported:
            continue
        ring = path[path.index(name) :]
        reported.update(ring)
        for member in ring:
            at = ring.index(member)
            order = ring[at:] + ring[:at] + [member]
            yield (
                ("gallery", "images", positions[member], "build", "source", "gallery_image"),
                f"images built on each other in a ring ({' -> '.join(order)}); no order builds them: start one from another source",
            )
