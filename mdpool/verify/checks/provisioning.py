"""The pool exists in Azure, is not Failed, and reported no agent provisioning errors in the last hour.

The pools API 2026-06-02 (tests/data/managed-devops-pools) gives a pool's `provisioningState` (Pools_Get)
and each machine's `status` (Pools resources list), but no errors. Those are Azure Monitor's: the pool's
`Count` metric, "Total number of agents provisioned, grouped by status", with dimensions `Status` and
`ErrorCode` (learn.microsoft.com/azure/devops/managed-devops-pools/monitor-pool, "Available metrics" and
"Error codes"), read with Metrics - List, `GET {poolId}/providers/Microsoft.Insights/metrics?api-version=2023-10-01`
(learn.microsoft.com/rest/api/monitor/metrics/list): the last hour, `Status eq 'Failed'`, split by ErrorCode.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.model import CheckResult, failed, ok, warning
from mdpool.verify.targets import pool_targets

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context
    from mdpool.verify.targets import PoolTarget

NAME = "provisioning"
CHEAP = True
METRICS_API = "2023-10-01"
WINDOW = timedelta(hours=1)
now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731 - the tests' clock is the stand-in's


def applies(cfg: "EnvironmentConfig") -> bool:
    return True


def run(ctx: "Context") -> list[CheckResult]:
    return [_row(ctx, target) for target in pool_targets(ctx.cfg)]


def _row(ctx: "Context", target: "PoolTarget") -> CheckResult:
    name = f"{NAME}:{target.name}"
    pool = ctx.arm.get(target.id, DEVOPS_INFRASTRUCTURE_API)
    if pool.status == 404:
        return failed(name, f"pool {target.name} does not exist in Azure", "deploy it: mdpool deploy --stage pool")
    if not pool.ok:
        return warning(name, f"could not read pool {target.name}: {pool.describe()}", "let the identity read the pool (Reader)")
    state = ((pool.body or {}).get("properties") or {}).get("provisioningState")
    if state != "Succeeded":
        return failed(
            name,
            f"pool {target.name} is {state}, not Succeeded",
            f"see its activity log (az monitor activity-log list --resource-id {target.id}) and deploy the pool stage again",
        )
    end = now()
    start = end - WINDOW
    reply = ctx.arm.get(
        f"{target.id}/providers/Microsoft.Insights/metrics",
        METRICS_API,
        metricnames="Count",
        aggregation="Count",
        interval="PT1H",
        timespan=f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
        **{"$filter": "Status eq 'Failed' and ErrorCode eq '*'"},
    )
    if not reply.ok:
        return warning(
            name,
            f"pool {target.name} is Succeeded; its provisioning errors could not be read: {reply.describe()}",
            "see the pool's Overview > Error Codes chart in the portal (Monitoring Reader lets mdpool read it)",
        )
    errors: dict[str, int] = {}
    for metric in (reply.body or {}).get("value") or []:
        for series in metric.get("timeseries") or []:
            code = next(
                (
                    str(item.get("value"))
                    for item in series.get("metadatavalues") or []
                    if str((item.get("name") or {}).get("value", "")).lower() == "errorcode"
                ),
                "unknown",
            )
            count = sum(int(point.get("count") or point.get("total") or 0) for point in series.get("data") or [])
            if count:
                errors[code] = errors.get(code, 0) + count
    if errors:
        listed = ", ".join(f"{code} {count}" for code, count in sorted(errors.items()))
        return failed(
            name,
            f"pool {target.name}: {sum(errors.values())} agent(s) failed to provision in the last hour ({listed})",
            "see learn.microsoft.com/azure/devops/managed-devops-pools/monitor-pool#error-codes for each code; "
            "ImageNotFound: the image version must exist and the DevOpsInfrastructure principal read the gallery",
        )
    return ok(name, f"pool {target.name} is Succeeded, no agent provisioning errors in the last hour")
