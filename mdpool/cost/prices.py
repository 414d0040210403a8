"""Pay-as-you-go VM prices from the Azure Retail Prices API, cached on disk, or "unknown" offline.

The API is public and unauthenticated (learn.microsoft.com "Azure Retail Prices overview"): a GET of
`https://prices.azure.com/api/retail/prices` with an OData `$filter` answers `{"Items": [...],
"NextPageLink": ...}`, each item a meter with `armRegionName`, `armSkuName`, `productName` (Windows
meters end in "Windows"), `skuName`/`meterName` ("... Spot", "... Low Priority" for the discounted
kinds), `type` ("Consumption" is pay-as-you-go), `unitOfMeasure` ("1 Hour") and `retailPrice` in
`currencyCode` (USD, Microsoft's pricing currency). Filter values are case-sensitive from API version
2023-01-01-preview on, so the region and size are sent as ARM spells them.

No token is ever sent: the request carries nothing of the user's. It goes through azure-core with a
short, bounded retry (a review must not wait minutes on an unreachable price list), no redirects,
https only. MDPOOL_PRICES_ENDPOINT / MDPOOL_PRICES_CA_BUNDLE point it at a proxy or the tests'
loopback stand-in. A price that cannot be had is reported as unknown with the reason, never guessed.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PRICES_ENDPOINT = "https://prices.azure.com"
PRICES_PATH = "/api/retail/prices"
API_VERSION = "2023-01-01-preview"
CACHE_LIFETIME = timedelta(days=7)
"""How long a fetched price is used before it is asked for again (retail prices change rarely)."""
MAX_PAGES = 20
"""A size in one region has a few dozen meters (Linux/Windows, Spot, Low Priority, DevTest): 20
pages of 100 is far more than enough, and bounds a list that never ends."""
MAX_CACHE_BYTES = 4 * 1024 * 1024
OS_KINDS = ("Linux", "Windows")


@dataclass(frozen=True)
class HourlyPrice:
    """One size's pay-as-you-go price per hour in one region, for Linux and for Windows."""

    region: str
    size: str
    linux: float | None
    windows: float | None
    currency: str
    fetched: str
    """When the price list was read (ISO 8601, UTC)."""
    cached: bool = False

    def for_os(self, os_type: str) -> float | None:
        return self.windows if os_type == "Windows" else self.linux


@dataclass(frozen=True)
class UnknownPrice:
    region: str
    size: str
    reason: str


Price = HourlyPrice | UnknownPrice


def _filter(region: str, size: str) -> str:
    # OData string literals double a single quote; ARM names hold none, but a config value is data.
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return (
        f"serviceName eq 'Virtual Machines' and armRegionName eq {quoted(region)} "
        f"and armSkuName eq {quoted(size)} and priceType eq 'Consumption'"
    )


def hourly_from_items(region: str, size: str, items: list[Any], fetched: str) -> Price:
    """The Linux and Windows pay-as-you-go hourly prices among a price list's `Items`."""
    found: dict[str, float] = {}
    currency = "USD"
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("armSkuName") != size or str(item.get("armRegionName", "")).lower() != region.lower():
            continue
        if item.get("type") != "Consumption" or item.get("unitOfMeasure") != "1 Hour":
            continue
        names = f"{item.get('skuName', '')} {item.get('meterName', '')}"
        if "Spot" in names or "Low Priority" in names:
            continue
        price = item.get("retailPrice")
        if not isinstance(price, (int, float)) or isinstance(price, bool) or price < 0:
            continue
        os_type = "Windows" if str(item.get("productName", "")).endswith("Windows") else "Linux"
        if item.get("isPrimaryMeterRegion") is False and os_type in found:
            continue
        found[os_type] = float(price)
        currency = str(item.get("currencyCode") or currency)
    if not found:
        return UnknownPrice(region, size, f"the price list has no pay-as-you-go price for {size} in {region}")
    return HourlyPrice(region, size, found.get("Linux"), found.get("Windows"), currency, fetched)


def cache_path() -> Path:
    """$MDPOOL_CACHE_DIR, else $XDG_CACHE_HOME/mdpool, else ~/.cache/mdpool; the file prices.json in it."""
    folder = os.environ.get("MDPOOL_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = str(Path(base) / "mdpool")
    return Path(folder) / "prices.json"


class PriceCache:
    """region|size -> the last price read, in one JSON file mdpool owns (anything else in it is ignored)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = self._read()

    def _read(self) -> dict[str, Any]:
        try:
            if not self.path.is_file() or self.path.is_symlink() or self.path.stat().st_size > MAX_CACHE_BYTES:
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a cache that cannot be read is a cache that is empty
        entries = data.get("prices") if isinstance(data, dict) and data.get("mdpool-price-cache") == 1 else None
        return entries if isinstance(entries, dict) else {}

    @staticmethod
    def key(region: str, size: str) -> str:
        return f"{region.lower()}|{size.lower()}"

    def get(self, region: str, size: str, now: datetime, *, any_age: bool) -> HourlyPrice | None:
        entry = self.entries.get(self.key(region, size))
        if not isinstance(entry, dict):
            return None
        try:
            fetched = datetime.fromisoformat(str(entry["fetched"]))
            price = HourlyPrice(
                region, size, entry.get("linux"), entry.get("windows"), str(entry["currency"]), str(entry["fetched"]), True
            )
        except (KeyError, TypeError, ValueError):
            return None
        if not any_age and not (timedelta(0) <= now - fetched <= CACHE_LIFETIME):
            return None
        return price

    def put(self, price: HourlyPrice) -> None:
        self.entries[self.key(price.region, price.size)] = {
            "linux": price.linux,
            "windows": price.windows,
            "currency": price.currency,
            "fetched": price.fetched,
        }
        self._write()

    def _write(self) -> None:
        """Replace the file whole (a sibling renamed over it); a cache that cannot be written is skipped."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
                return  # never write through a link or over something mdpool did not make
            temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump({"mdpool-price-cache": 1, "prices": self.entries}, stream, indent=1, sort_keys=True)
                os.replace(temporary, self.path)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
        except OSError:
            pass


def _https(name: str, value: str | None) -> str | None:
    if value and urlsplit(value).scheme != "https":
        raise ValueError(f"{name}={value}: must be an https:// URL")
    return value or None


class PriceList:
    """Hourly prices by region and size: from the cache when fresh, else from the Retail Prices API.

    `offline` never asks the API: a cached price (of any age, said as such) or unknown.
    """

    def __init__(
        self,
        *,
        offline: bool = False,
        endpoint: str | None = None,
        verify: str | bool | None = None,
        cache: PriceCache | None = None,
        now: datetime | None = None,
    ) -> None:
        self.offline = offline
        self.endpoint = (endpoint or PRICES_ENDPOINT).rstrip("/")
        self.verify = verify
        self.cache = cache if cache is not None else PriceCache(cache_path())
        self.now = now or datetime.now(timezone.utc)
        self._client: Any = None
        self._answers: dict[str, Price] = {}

    @classmethod
    def from_environment(cls, *, offline: bool = False) -> PriceList:
        env = os.environ.get
        return cls(
            offline=offline,
            endpoint=_https("MDPOOL_PRICES_ENDPOINT", env("MDPOOL_PRICES_ENDPOINT")),
            verify=env("MDPOOL_PRICES_CA_BUNDLE") or None,
        )

    def price(self, region: str, size: str) -> Price:
        key = PriceCache.key(region, size)
        if key not in self._answers:
            self._answers[key] = self._price(region, size)
        return self._answers[key]

    def _price(self, region: str, size: str) -> Price:
        cached = self.cache.get(region, size, self.now, any_age=self.offline)
        if cached is not None:
            return cached
        if self.offline:
            return UnknownPrice(region, size, "offline, and no price of it was read before")
        try:
            items = self._items(region, size)
        except Exception as error:  # any failure to read the price list makes the price unknown, never the command fail
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            return UnknownPrice(region, size, f"the Azure Retail Prices API did not answer ({first[:200]})")
        price = hourly_from_items(region, size, items, self.now.isoformat(timespec="seconds"))
        if isinstance(price, HourlyPrice):
            self.cache.put(price)
        return price

    def _pipeline(self) -> Any:
        if self._client is None:
            from azure.core import PipelineClient
            from azure.core.pipeline.policies import RedirectPolicy, RetryPolicy, UserAgentPolicy

            policies = [
                UserAgentPolicy("mdpool-cost"),
                RedirectPolicy(permit_redirects=False),
                # Throttling and 5xx retried, briefly: a review must not hang on an unreachable price list.
                RetryPolicy(retry_total=2, retry_backoff_factor=0.5, retry_backoff_max=5, timeout=60),
            ]
            kwargs: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30}
            if self.verify is not None:
                kwargs["connection_verify"] = self.verify
            self._client = PipelineClient(self.endpoint, policies=policies, **kwargs)
        return self._client

    def _items(self, region: str, size: str) -> list[Any]:
        from azure.core.rest import HttpRequest

        client = self._pipeline()
        request = HttpRequest(
            "GET", self.endpoint + PRICES_PATH, params={"api-version": API_VERSION, "$filter": _filter(region, size)}
        )
        items: list[Any] = []
        host = urlsplit(self.endpoint).netloc
        for _ in range(MAX_PAGES):
            response = client.send_request(request)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("Items"), list):
                raise RuntimeError("the answer is not a price list")
            items.extend(body["Items"])
            link = body.get("NextPageLink")
            if not link:
                return items
            parts = urlsplit(str(link))
            if parts.scheme != "https" or parts.netloc != host:
                raise RuntimeError("the next page is on another host")
            request = HttpRequest("GET", str(link))
        return items

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
