"""Rules for the gallery and its image definitions."""

from __future__ import annotations

from collections.abc import Iterator

from mdpool.config import EnvironmentConfig
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
