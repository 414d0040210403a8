"""Hold a gallery image version back from `latest`, or let it back in (`publishingProfile.excludeFromLatest`).

A pool image at `latest` runs the newest version whose `excludeFromLatest` is false (compute REST spec,
GalleryImageVersionPublishingProfile.excludeFromLatest: "If set to true, Virtual Machines deployed from
the latest version of the Image Definition won't use this Image Version"). `mdpool rollout` holds a new
version back while its canary runs and leaves a failed one excluded.

One PATCH per change (Gallery Image Versions - Update, learn.microsoft.com/rest/api/compute/gallery-image-versions/update,
api-version 2024-03-03), through the image builder client's azure-core pipeline (same credential,
endpoint and retries as `mdpool images build`). The update is long-running; the version is read back
until it says what was asked (bounded), so a caller never goes on while Azure still serves the old value.

`mdpool rollout` and `mdpool images exclude` both use it.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from mdpool.deploy.errors import DeployError

GALLERY_API_VERSION = "2024-03-03"  # Microsoft.Compute/galleries (GA), as mdpool.imagebuild.builder
WAIT_SECONDS = 600.0
"""How long a version may take to show the new value (a gallery update replicates; minutes at most)."""


def excluded_from_latest(version: dict[str, Any]) -> bool:
    """Whether a version's ARM JSON says it is held back from `latest`."""
    profile = (version.get("properties") or {}).get("publishingProfile") or {}
    return bool(profile.get("excludeFromLatest"))


def set_excluded_from_latest(
    client: Any,
    version_id: str,
    excluded: bool,
    *,
    sleep: Callable[[float], None] = time.sleep,
    wait_seconds: float = WAIT_SECONDS,
) -> None:
    """Set `excludeFromLatest` on the version `version_id`; return once Azure reports it (no call if it already does)."""
    from azure.core.exceptions import AzureError

    try:
        current = _get(client, version_id)
        if excluded_from_latest(current) == excluded:
            return
        # GalleryImageVersionUpdate: GalleryImageVersionProperties requires storageProfile; Microsoft's update
        # example (GalleryImageVersion_Update_WithoutSourceId.json) sends it empty beside what it changes
        body = {"properties": {"publishingProfile": {"excludeFromLatest": excluded}, "storageProfile": {}}}
        _send(client, "PATCH", version_id, body)
        deadline, pause = time.monotonic() + wait_seconds, 1.0
        while True:
            current = _get(client, version_id)
            state = (current.get("properties") or {}).get("provisioningState")
            if excluded_from_latest(current) == excluded and state not in ("Updating", "Creating"):
                return
            if time.monotonic() >= deadline:
                raise DeployError(
                    f"{version_id}: excludeFromLatest still not {str(excluded).lower()} after {wait_seconds:.0f} s "
                    f"(provisioningState {state}); look at the version in the portal and run again"
                )
            sleep(pause)
            pause = min(pause * 2, 30.0)
    except AzureError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DeployError(f"{version_id}: cannot set excludeFromLatest to {str(excluded).lower()}: {detail}") from None


def _get(client: Any, version_id: str) -> dict[str, Any]:
    return _send(client, "GET", version_id) or {}


def _send(client: Any, method: str, url: str, body: Any = None) -> Any:
    from azure.core.rest import HttpRequest

    params = {"api-version": GALLERY_API_VERSION}
    request = HttpRequest(method, url, params=params, json=body) if body is not None else HttpRequest(method, url, params=params)
    response = client.send_request(request)
    response.raise_for_status()
    return response.json() if response.content else None
