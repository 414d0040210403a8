"""A loopback stand-in for a Managed DevOps Pool's machines, served by the ARM stand-in.

Registers, on an existing :class:`tests.support.arm_standin.ArmStandIn`, the two endpoints of the pools
API 2026-06-02 that `mdpool deploy --recycle` calls:

- ``GET .../providers/Microsoft.DevOpsInfrastructure/pools/{name}/resources``: the machines
  (ResourceDetailsObject: ``id``, ``name``, ``properties.status/image/imageVersion``), paged by
  ``page_size`` with ``nextLink``;
- ``POST`` to the same path with DeleteResourcesDetails ``{"resourceIds": [...]}``: deletes them and
  answers 200 with no body (Pools_DeleteResources). A body out of the spec's shape answers 400. Deleting
  a machine that runs a job (Leased, Allocated) is recorded in ``busy_deleted`` for tests to refuse.

For `mdpool verify` it also serves the pool itself and its Azure Monitor metric:

- ``GET {pool_id}``: the pool (Pools_Get) with ``provisioning_state`` (``None``: 404 ResourceNotFound);
- ``GET {pool_id}/providers/Microsoft.Insights/metrics``: Metrics - List (api-version 2023-10-01) of the
  pool's ``Count`` metric filtered on ``Status eq 'Failed'`` and split by ``ErrorCode``, from
  ``provisioning_errors`` (error code -> agents that failed to provision in the window asked); a request
  without metricnames, a start/end timespan or api-version answers 400, as Azure Monitor does.

Usage::

    with ArmStandIn() as arm:
        pool = PoolStandIn(arm, pool_id)
        pool.add_machine("m1", status="Ready", image=definition_id, image_version="0.1.0")
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from tests.support.arm_standin import ArmStandIn, StandInRequest

BUSY = ("Leased", "Allocated")


@dataclass
class StandInMachine:
    name: str
    status: str
    image: str
    image_version: str


class PoolStandIn:
    def __init__(self, arm: ArmStandIn, pool_id: str, *, page_size: int = 2) -> None:
        self.arm, self.pool_id, self.page_size = arm, pool_id.rstrip("/"), page_size
        self.machines: dict[str, StandInMachine] = {}
        self.deleted: list[str] = []
        self.busy_deleted: list[str] = []
        self.delete_bodies: list[Any] = []
        self._lock = threading.Lock()
        self.provisioning_state: str | None = "Succeeded"
        self.provisioning_errors: dict[str, int] = {}
        self.metric_queries: list[dict[str, str]] = []
        path = re.escape(self.pool_id) + r"/resources$"
        arm.route("GET", path, self._list)
        arm.route("POST", path, self._delete)
        arm.route("GET", re.escape(self.pool_id) + r"/?$", self._pool)
        arm.route("GET", re.escape(self.pool_id) + r"/providers/Microsoft\.Insights/metrics$", self._metrics)

    def machine_id(self, name: str) -> str:
        return f"{self.pool_id}/resources/{name}"

    def add_machine(self, name: str, *, status: str, image: str, image_version: str) -> None:
        with self._lock:
            self.machines[name] = StandInMachine(name, status, image, image_version)

    def _list(self, request: StandInRequest) -> tuple[int, dict, Any]:
        start = int(request.query.get("skip", "0"))
        with self._lock:
            names = sorted(self.machines)
            page = names[start : start + self.page_size]
            value = [
                {
                    "id": self.machine_id(n),
                    "name": n,
                    "type": "Microsoft.DevOpsInfrastructure/pools/resources",
                    "properties": {
                        "status": self.machines[n].status,
                        "image": self.machines[n].image,
                        "imageVersion": self.machines[n].image_version,
                    },
                }
                for n in page
            ]
        body: dict[str, Any] = {"value": value}
        if start + self.page_size < len(names):
            body["nextLink"] = f"{self.arm.base_url}{self.pool_id}/resources?api-version=2026-06-02&skip={start + self.page_size}"
        return 200, {}, body

    def _delete(self, request: StandInRequest) -> tuple[int, dict, Any]:
        body = request.body
        self.delete_bodies.append(body)
        ids = body.get("resourceIds") if isinstance(body, dict) else None
        if (
            not isinstance(ids, list)
            or not all(isinstance(i, str) for i in ids)
            or set(body) != {"resourceIds"}
            or request.query.get("api-version") != "2026-06-02"
        ):
            return 400, {}, {"error": {"code": "InvalidRequestContent", "message": "resourceIds (array of string) is required"}}
        with self._lock:
            for resource_id in ids:
                name = resource_id.rsplit("/", 1)[-1]
                machine = self.machines.pop(name, None)
                if machine is not None:
                    self.deleted.append(name)
                    if machine.status in BUSY:
                        self.busy_deleted.append(name)
        return 200, {}, None

    def _pool(self, request: StandInRequest) -> tuple[int, dict, Any]:
        name = self.pool_id.rsplit("/", 1)[-1]
        if self.provisioning_state is None:
            return 404, {}, {"error": {"code": "ResourceNotFound", "message": f"The Resource 'Microsoft.DevOpsInfrastructure/pools/{name}' was not found."}}
        if request.query.get("api-version") != "2026-06-02":
            return 400, {}, {"error": {"code": "InvalidApiVersionParameter", "message": "api-version 2026-06-02 expected"}}
        return 200, {}, {
            "id": self.pool_id,
            "name": name,
            "type": "Microsoft.DevOpsInfrastructure/pools",
            "location": "westeurope",
            "properties": {"provisioningState": self.provisioning_state, "maximumConcurrency": 2},
        }

    def _metrics(self, request: StandInRequest) -> tuple[int, dict, Any]:
        import datetime as dt

        query = dict(request.query)
        self.metric_queries.append(query)
        start, _, end = query.get("timespan", "").partition("/")
        try:
            window = dt.datetime.fromisoformat(end.replace("Z", "+00:00")) - dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            window = None
        if query.get("api-version") != "2023-10-01" or query.get("metricnames") != "Count" or window is None:
            return 400, {}, {"code": "BadRequest", "message": "api-version, metricnames and timespan start/end are required"}
        failed_only = "Status eq 'Failed'" in query.get("$filter", "")
        series = [
            {
                "metadatavalues": [{"name": {"value": "errorcode", "localizedValue": "errorcode"}, "value": code}],
                "data": [{"timeStamp": start, "count": count}],
            }
            for code, count in sorted(self.provisioning_errors.items())
            if failed_only
        ]
        return 200, {}, {
            "cost": 0,
            "timespan": query["timespan"],
            "interval": query.get("interval", "PT1H"),
            "namespace": "Microsoft.DevOpsInfrastructure/pools",
            "resourceregion": "westeurope",
            "value": [
                {
                    "id": f"{self.pool_id}/providers/Microsoft.Insights/metrics/Count",
                    "type": "Microsoft.Insights/metrics",
                    "name": {"value": "Count", "localizedValue": "Count"},
                    "unit": "Count",
                    "timeseries": series,
                    "errorCode": "Success",
                }
            ],
        }

# --- the pool itself, as the service answers a PUT and later reads -------------------------------


def _dotnet_timespan(text: str) -> str:
    """What the service returns for a time span: .NET's constant format `[d.]hh:mm:ss`
    (Microsoft's Managed DevOps Pools docs show `7.00:00:00` and `00:30:00`)."""
    days, _, clock = text.rpartition(".") if text.count(":") == 2 and "." in text.split(":")[0] else ("", "", text)
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    day_count = int(days or 0) + hours // 24
    clock = f"{hours % 24:02d}:{minutes:02d}:{seconds:02d}"
    return f"{day_count}.{clock}" if day_count else clock


def service_read(properties: dict[str, Any]) -> dict[str, Any]:
    """The `properties` a GET returns after a PUT of `properties`, as Microsoft's response examples show it
    (examples/CreateOrUpdatePool*.json, 200/201): `provisioningState` added, `isEphemeral` beside an
    `ephemeralType`, the assigned `ipAddresses` beside `staticIpAddressCount`, an organization's
    `openAccess` not returned; time spans in .NET's form."""
    import copy

    body = copy.deepcopy(properties)
    body["provisioningState"] = "Succeeded"
    for org in (body.get("organizationProfile") or {}).get("organizations") or []:
        org.pop("openAccess", None)
    agent = body.get("agentProfile") or {}
    for key in ("gracePeriodTimeSpan", "maxAgentLifetime"):
        if key in agent:
            agent[key] = _dotnet_timespan(agent[key])
    fabric = body.get("fabricProfile") or {}
    for image in fabric.get("images") or []:
        if "ephemeralType" in image:
            image["isEphemeral"] = image["ephemeralType"] != "None"
    network = fabric.get("networkProfile") or {}
    if network.get("staticIpAddressCount"):
        network["ipAddresses"] = [f"{index}.{index}.{index}.{index}" for index in range(1, network["staticIpAddressCount"] + 1)]
    return body
