"""What a pool's standby schedule costs a month: agent-hours times the size's pay-as-you-go price.

Inputs are the pool's body (`properties`, API 2026-06-02), its region, and a way to tell each pool
image's OS, so the same estimate serves `mdpool plan` (the config's body) and `mdpool review` (a
synthesized body, base and head). The figure:

    monthly = weekly standby agent-hours * 730 / 168 * sum(share of the image's OS * hourly price)

- 730 hours a month is the month of Azure's pricing calculator and of its hourly meters.
- An image's share of the standby agents is its `buffer` ("Standby agent percentage": `*` shares
  equally, integers 0-100 are percentages of the standby agents; Microsoft "Configure scaling").
- An instance mix may start any of its sizes: the estimate is then a range, cheapest to dearest.
- Left out, and said so wherever the figure is shown: the time jobs run beyond the standby count,
  OS and data disks, network egress, static IP addresses, and Azure DevOps parallel jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from mdpool.cost.prices import HourlyPrice, PriceList, UnknownPrice
from mdpool.cost.standby import HOURS_PER_WEEK, StandbyHours, standby_hours

HOURS_PER_MONTH = 730
LEFT_OUT = (
    "Standby only, at pay-as-you-go prices: it leaves out the time jobs run beyond the standby count, "
    "OS and data disks, network egress, static IP addresses and Azure DevOps parallel jobs."
)

OsOf = Callable[[Mapping[str, Any]], "str | None"]
"""A pool image entry of the body -> "Linux", "Windows", or None when it cannot be told."""


@dataclass(frozen=True)
class PoolCost:
    pool: str
    region: str
    sizes: tuple[str, ...]
    standby: StandbyHours
    monthly: tuple[float, float] | None
    """Cheapest and dearest monthly cost of the standby agents (equal without an instance mix);
    None when unknown (automatic standby, a price that could not be had, an image whose OS is unknown)."""
    currency: str = "USD"
    note: str = ""
    """Why there is no figure, or where the price came from (a cached price list)."""

    @property
    def weekly_hours(self) -> float | None:
        return self.standby.weekly


def os_shares(images: list[Any], os_of: OsOf) -> dict[str, float] | str:
    """The share of standby agents each OS gets from the images' buffers; a reason string when unknown."""
    shares: dict[str, float] = {}
    starred: list[str] = []
    given = 0.0
    for image in images:
        if not isinstance(image, Mapping):
            return "a pool image is not readable"
        os_type = os_of(image)
        if os_type is None:
            return f"the OS of pool image {image.get('wellKnownImageName') or image.get('resourceId')!r} is unknown"
        buffer = str(image.get("buffer", "*")).strip()
        if buffer == "*":
            starred.append(os_type)
            continue
        if not (buffer.isascii() and buffer.isdigit()):
            return f"a buffer of {buffer!r} is neither * nor a percentage"
        shares[os_type] = shares.get(os_type, 0.0) + int(buffer) / 100
        given += int(buffer) / 100
    if starred:
        rest = max(0.0, 1.0 - given) if given else 1.0
        for os_type in starred:
            shares[os_type] = shares.get(os_type, 0.0) + rest / len(starred)
    return shares


def _sizes(properties: Mapping[str, Any]) -> tuple[str, ...]:
    sku = (properties.get("fabricProfile") or {}).get("sku") or {}
    mix = sku.get("vmSizes") if isinstance(sku, Mapping) else None
    if isinstance(mix, list) and mix:
        return tuple(str(size.get("name")) for size in mix if isinstance(size, Mapping))
    return (str(sku.get("name")),) if isinstance(sku, Mapping) and sku.get("name") else ()


def pool_cost(pool: str, region: str, properties: Mapping[str, Any], os_of: OsOf, prices: PriceList) -> PoolCost:
    """The standby estimate of one pool (see the module's formula)."""
    standby = standby_hours(properties.get("agentProfile"))
    sizes = _sizes(properties)
    if standby.weekly is None:
        return PoolCost(pool, region, sizes, standby, None, note=standby.note)
    if standby.weekly == 0:
        return PoolCost(pool, region, sizes, standby, (0.0, 0.0))
    images = (properties.get("fabricProfile") or {}).get("images") or []
    shares = os_shares(list(images), os_of)
    if isinstance(shares, str):
        return PoolCost(pool, region, sizes, standby, None, note=shares)
    if not sizes:
        return PoolCost(pool, region, sizes, standby, None, note="the pool names no VM size")
    per_size: list[float] = []
    currency, notes = "USD", set()
    for size in sizes:
        price = prices.price(region, size)
        if isinstance(price, UnknownPrice):
            return PoolCost(pool, region, sizes, standby, None, note=f"price of {size} in {region} unknown: {price.reason}")
        assert isinstance(price, HourlyPrice)
        hourly = 0.0
        for os_type, share in shares.items():
            if share == 0:
                continue  # an OS with no standby share needs no price
            os_price = price.for_os(os_type)
            if os_price is None:
                return PoolCost(
                    pool, region, sizes, standby, None, note=f"the price list has no {os_type} price for {size} in {region}"
                )
            hourly += share * os_price
        per_size.append(standby.weekly * HOURS_PER_MONTH / HOURS_PER_WEEK * hourly)
        currency = price.currency
        if price.cached:
            notes.add(f"prices read {price.fetched[:10]}")
    return PoolCost(pool, region, sizes, standby, (min(per_size), max(per_size)), currency, "; ".join(sorted(notes)))


def well_known_os(name: str) -> str | None:
    """The OS of a well-known image name (Microsoft's "Azure Pipelines images": windows-*, ubuntu-*)."""
    lowered = name.lower()
    if lowered.startswith("windows-"):
        return "Windows"
    if lowered.startswith("ubuntu-"):
        return "Linux"
    return None


def marketplace_os(resource_id: str) -> str | None:
    """The OS of a marketplace image id by its publisher (the short `/Publisher/Offer/Sku/Version` form
    or `.../publishers/{publisher}/...`): Microsoft's Windows publishers, else Linux for the known Linux ones."""
    lowered = resource_id.lower()
    parts = [part for part in lowered.split("/") if part]
    publisher = parts[parts.index("publishers") + 1] if "publishers" in parts[:-1] else (parts[0] if len(parts) == 4 else "")
    if publisher.startswith("microsoftwindows") or publisher == "microsoftvisualstudio":
        return "Windows"
    if publisher in {"canonical", "redhat", "suse", "debian", "almalinux", "oracle", "microsoftcblmariner"}:
        return "Linux"
    return None
