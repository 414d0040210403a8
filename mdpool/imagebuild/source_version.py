"""Resolve a marketplace source's `latest` to the concrete version Azure would use today.

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
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from mdpool.imagebuild.template import PlatformSource

if TYPE_CHECKING:
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


def resolve_source(client: Any, subscription_id: str, location: str, source: PlatformSource) -> PlatformSource:
    """`source` with `latest` replaced by the newest published version; a pinned version is kept as it is."""
    if source.version.lower() != LATEST:
        return source
    versions = marketplace_versions(client, subscription_id, location, source)
    if not versions:
        raise SourceError(
            f"marketplace image {source.publisher}:{source.offer}:{source.sku} in {location}: "
            f"no version published; check build.source"
        )
    return dataclasses.replace(source, version=versions[-1])


def resolve_specs(specs: Sequence["ImageSpec"], connection: "Connection") -> list["ImageSpec"]:
    """The specs with every `latest` source resolved (one ARM call per distinct source)."""
    pending = [spec for spec in specs if spec.settings.source.version.lower() == LATEST]
    if not pending:
        return list(specs)
    connection = connection.with_credential()
    resolved: dict[tuple, PlatformSource] = {}
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


def with_source(spec: "ImageSpec", source: PlatformSource) -> "ImageSpec":
    return dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, source=source))
