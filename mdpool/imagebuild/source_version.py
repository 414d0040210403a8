"""Resolve a source's `latest` to the concrete version Azure would use today.

An image built from `latest` is only as fresh as its last build: when the publisher ships a newer
version, nothing in the definition changes. Resolving `latest` before a build makes the concrete
version part of the image's content hash (the source is hashed with it, mdpool.imagebuild.template
`content_hash`), so a moved source means a new build and an unchanged one means none; the template
then builds exactly the resolved version, the one the plan listed.

One ARM call per source: Compute's VirtualMachineImages_List (GET /subscriptions/{sub}/providers/
Microsoft.Compute/locations/{location}/publishers/{publisher}/artifacttypes/vmimage/offers/{offer}/
skus/{sku}/versions; azure-rest-api-specs specification/compute/.../virtualMachineImage.json), which
answers a JSON array of VirtualMachineImageResource ({name, location, id}). It goes through the image
builder client's own pipeline (credential, endpoint, TLS and azure-core's retry policy, as the build
flow uses), not through another SDK.

A gallery image version source (`SharedImageVersion`: one of this config's gallery images, or any
version id) resolves the same way, from the image definition's versions (GET .../images/{i}/versions,
mdpool.imagebuild.builder list_gallery_image_versions): `latest` is the newest version that finished
provisioning and is not excluded from latest. Its id is hashed, so a rebuilt base rebuilds the images
built on it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from mdpool.imagebuild.template import GallerySource, PlatformSource, Source

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mdpool.imagebuild.builder import Connection
    from mdpool.imagebuild.images import ImageSpec

COMPUTE_API_VERSION = "2024-07-01"  # Microsoft.Compute virtualMachineImages (GA)
LATEST = "latest"
_NUMBER = re.compile(r"\d+")


class SourceError(Exception):
    """The marketplace image cannot be resolved (unknown offer or sku in the region, or ARM said no): one line."""


def version_key(version: str) -> tuple:
    """Compare marketplace versions as numbers, part by part (22.04.202402010 > 22.04.99).

    Source: azure-rest-api-specs, compute ImageReference.version: "The allowed formats are
    Major.Minor.Build or 'latest'. Major, Minor, and Build are decimal numbers" ('latest': the
    latest version available at deploy time). A part that is not a number sorts after numbers.
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


def versions_path(subscription_id: str, location: str, source: PlatformSource) -> str:
    parts = [quote(value, safe="") for value in (location, source.publisher, source.offer, source.sku)]
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Compute/locations/{parts[0]}/publishers/"
        f"{parts[1]}/artifacttypes/vmimage/offers/{parts[2]}/skus/{parts[3]}/versions"
    )


def marketplace_versions(client: Any, subscription_id: str, location: str, source: PlatformSource) -> list[str]:
    """Every published version of the source's publisher/offer/sku in `location`, oldest first."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    where = f"{source.publisher}:{source.offer}:{source.sku} in {location}"
    try:
        response = client.send_request(
            HttpRequest("GET", versions_path(subscription_id, location, source), params={"api-version": COMPUTE_API_VERSION})
        )
        if response.status_code == 404:
            raise SourceError(
                f"marketplace image {where}: not found; check build.source (publisher, offer, sku) "
                f"with `az vm image list --all --publisher {source.publisher} --location {location}`"
            )
        response.raise_for_status()
        items = response.json()
    except AzureError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceError(f"marketplace image {where}: cannot list its versions: {detail}") from None
    names = [str(item.get("name")) for item in items or [] if isinstance(item, dict) and item.get("name")]
    return sorted(set(names), key=version_key)


def resolve_source(client: Any, subscription_id: str, location: str, source: Source) -> Source:
    """`source` with `latest` replaced by the newest published version; a pinned version is kept as it is."""
    if source.version.lower() != LATEST:
        return source
    if isinstance(source, GallerySource):
        if "/resourcegroups/" not in source.image_id.lower():
            return source  # a direct shared gallery: Image Builder evaluates `latest` itself (the hash holds the word)
        return source.with_version(newest_gallery_version(client, source))
    versions = marketplace_versions(client, subscription_id, location, source)
    if not versions:
        raise SourceError(
            f"marketplace image {source.publisher}:{source.offer}:{source.sku} in {location}: "
            f"no version published; check build.source"
        )
    return source.with_version(versions[-1])


def in_latest(version: "Mapping[str, Any]") -> bool:
    """Whether a gallery image version (ARM JSON) can be what `latest` means: it finished provisioning and
    is not held back (compute spec GalleryArtifactPublishingProfileBase.excludeFromLatest: "Virtual
    Machines deployed from the latest version of the Image Definition won't use this Image Version")."""
    properties = version.get("properties") or {}
    return properties.get("provisioningState") == "Succeeded" and not (properties.get("publishingProfile") or {}).get(
        "excludeFromLatest"
    )


def newest_gallery_version(client: Any, source: GallerySource) -> str:
    """The version `latest` of the source's gallery image stands for: the highest number in latest."""
    from azure.core.exceptions import AzureError

    from mdpool.imagebuild.builder import GalleryImageNotFound, list_gallery_image_versions

    named = f"base image {source.gallery_image}" if source.gallery_image else f"source image {source.image_id}"
    try:
        versions = list_gallery_image_versions(client, source.image_id)
    except GalleryImageNotFound:
        raise SourceError(f"{named}: the gallery image definition does not exist (yet); check build.source") from None
    except AzureError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceError(f"{named}: cannot list its versions: {detail}") from None
    names = [str(v.get("name")) for v in versions if v.get("name") and in_latest(v)]
    if not names:
        how = ""
        if source.gallery_image and source.gallery_image_built:
            how = f"; build it first (mdpool images build {source.gallery_image})"
        elif source.gallery_image:  # no build section: mdpool does not build it, so that hint would be refused
            how = "; mdpool does not build it (no build section): publish a version of it first"
        raise SourceError(f"{named}: no version that finished provisioning and is in latest{how}")
    return max(names, key=version_key)


def resolve_specs(specs: Sequence["ImageSpec"], connection: "Connection") -> list["ImageSpec"]:
    """The specs with every `latest` source resolved (one ARM call per distinct source)."""
    pending = [spec for spec in specs if spec.settings.source.version.lower() == LATEST]
    if not pending:
        return list(specs)
    connection = connection.with_credential()
    resolved: dict[tuple, Source] = {}
    with connection.client(pending[0].subscription_id) as client:
        for spec in pending:
            key = (spec.subscription_id, spec.settings.location, spec.settings.source)
            if key not in resolved:
                resolved[key] = resolve_source(client, *key)
    return [
        with_source(spec, resolved[(spec.subscription_id, spec.settings.location, spec.settings.source)])
        if spec in pending
        else spec
        for spec in specs
    ]


def with_source(spec: "ImageSpec", source: Source) -> "ImageSpec":
    return dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, source=source))
