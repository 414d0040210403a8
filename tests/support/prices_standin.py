"""A loopback stand-in of the Azure Retail Prices API (`GET /api/retail/prices?$filter=...`).

It answers as the API does (learn.microsoft.com "Azure Retail Prices overview"): `{"BillingCurrency",
"CustomerEntityId", "CustomerEntityType", "Items": [...], "NextPageLink", "Count"}`, each item a
meter with the documented fields. It evaluates the `$filter` mdpool sends (`eq` joined by `and`,
case-sensitive as from API version 2023-01-01-preview) over the meters a test publishes, and pages
them `page_size` at a time. The prices are the stand-in's own, not Azure's: tests compute the
expected figure by hand from them.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.loopback_https import LoopbackServer, write_ca

_CLAUSE = re.compile(r"\s*(\w+) eq '((?:[^']|'')*)'\s*")


def meter(
    region: str, size: str, price: float, *, windows: bool = False, kind: str = "", type_: str = "Consumption"
) -> dict[str, Any]:
    """One meter as the API lists it: Linux or Windows, plain or `Spot`/`Low Priority`."""
    short = size.removeprefix("Standard_").replace("_", " ")
    sku_name = f"{short} {kind}".strip()
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2026-01-01T00:00:00Z",
        "meterId": f"{region}-{size}-{windows}-{kind}-{type_}",
        "meterName": sku_name,
        "productId": "DZH318Z0BQ4W",
        "skuId": "DZH318Z0BQ4W/00BQ",
        "productName": "Virtual Machines Standby Series" + (" Windows" if windows else ""),
        "skuName": sku_name,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": type_,
        "isPrimaryMeterRegion": True,
        "armSkuName": size,
    }


class PricesStandIn:
    def __init__(self, folder: Path, *, page_size: int = 2) -> None:
        self.ca, self.ca_path = write_ca(folder)
        self.meters: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.fail_with: int | None = None
        self.page_size = page_size
        self._lock = threading.Lock()
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, body = standin._answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = LoopbackServer(Handler, "prices-standin", self.ca)
        self.base_url = self.server.base_url

    def publish(self, *meters: dict[str, Any]) -> None:
        with self._lock:
            self.meters.extend(meters)

    def _answer(self, path: str) -> tuple[int, Any]:
        parts = urlsplit(path)
        with self._lock:
            self.requests.append(path)
            if self.fail_with is not None:
                return self.fail_with, {"Error": {"Code": "Unavailable", "Message": "stand-in failure"}}
            meters = list(self.meters)
        if parts.path != "/api/retail/prices":
            return 404, {"Error": {"Code": "NotFound", "Message": parts.path}}
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        clauses = [_CLAUSE.fullmatch(clause) for clause in query.get("$filter", "").split(" and ")]
        if not all(clauses):
            return 400, {"Error": {"Code": "InvalidFilter", "Message": query.get("$filter", "")}}
        wanted = {match.group(1): match.group(2).replace("''", "'") for match in clauses if match}
        field = {"priceType": "type"}
        items = [m for m in meters if all(m.get(field.get(key, key)) == value for key, value in wanted.items())]
        skip = int(query.get("$skip", "0"))
        page = items[skip : skip + self.page_size]
        next_link = None
        if skip + self.page_size < len(items):
            next_query = {**query, "$skip": str(skip + self.page_size)}
            next_link = f"{self.base_url}{parts.path}?{urlencode(next_query)}"
        return 200, {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": next_link,
            "Count": len(page),
        }

    def stop(self) -> None:
        self.server.stop()
