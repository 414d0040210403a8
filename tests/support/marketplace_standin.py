"""The marketplace side of the ARM stand-in: Compute's VirtualMachineImages list, per publisher/offer/sku.

    GET /subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/publishers/{publisher}
        /artifacttypes/vmimage/offers/{offer}/skus/{sku}/versions?api-version=...

answers, as Compute does (azure-rest-api-specs compute VirtualMachineImages_List), a JSON array of
VirtualMachineImageResource ``{"name", "location", "id"}``. Every publisher/offer/sku has one version,
``DEFAULT_VERSION``, until a test publishes another (``arm.marketplace.publish(...)``) or withdraws
the offer (``arm.marketplace.withdraw(...)``: 404, as for an offer that does not exist in the region).

Installed on every ``ArmStandIn`` as ``arm.marketplace``; requests are recorded like any other.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from tests.support.arm_standin import ArmStandIn, StandInRequest

DEFAULT_VERSION = "1.0.20240101"
VERSIONS_PATH = (
    r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Compute/locations/(?P<location>[^/]+)"
    r"/publishers/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)"
    r"/skus/(?P<sku>[^/]+)/versions/?$"
)


class Marketplace:
    def __init__(self, arm: "ArmStandIn") -> None:
        self._lock = threading.Lock()
        self._published: dict[tuple[str, str, str, str], list[str]] = {}
        self._withdrawn: set[tuple[str, str, str, str]] = set()
        arm.route("GET", VERSIONS_PATH, self._list)

    @staticmethod
    def _key(location: str, publisher: str, offer: str, sku: str) -> tuple[str, str, str, str]:
        return (location.lower(), publisher.lower(), offer.lower(), sku.lower())

    def publish(self, location: str, publisher: str, offer: str, sku: str, version: str) -> None:
        """A new version of the image in `location` (the default version stays published too)."""
        with self._lock:
            self._published.setdefault(self._key(location, publisher, offer, sku), [DEFAULT_VERSION]).append(version)

    def withdraw(self, location: str, publisher: str, offer: str, sku: str) -> None:
        with self._lock:
            self._withdrawn.add(self._key(location, publisher, offer, sku))

    def _list(self, request: "StandInRequest") -> tuple[int, dict, Any]:
        parts = {name: unquote(value) for name, value in request.match.groupdict().items()}
        if "api-version" not in request.query:
            return (
                400,
                {},
                {"error": {"code": "MissingApiVersionParameter", "message": "The api-version query parameter is required."}},
            )
        key = self._key(parts["location"], parts["publisher"], parts["offer"], parts["sku"])
        with self._lock:
            if key in self._withdrawn:
                return 404, {}, {"error": {"code": "NotFound", "message": "Artifact: VMImage was not found."}}
            versions = list(self._published.get(key, [DEFAULT_VERSION]))
        base = (
            f"/Subscriptions/{parts['sub']}/Providers/Microsoft.Compute/Locations/{parts['location']}"
            f"/Publishers/{parts['publisher']}/ArtifactTypes/VMImage/Offers/{parts['offer']}/Skus/{parts['sku']}"
            f"/Versions"
        )
        return 200, {}, [{"name": v, "location": parts["location"], "id": f"{base}/{v}"} for v in versions]
