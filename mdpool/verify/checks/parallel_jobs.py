"""The organization's purchased self-hosted parallel jobs cover what the pools may run at once.

A Managed DevOps Pools agent runs a job only within the organization's self-hosted parallel jobs
(learn.microsoft.com/azure/devops/managed-devops-pools/pricing; "Configure and pay for parallel jobs":
one free, then one per purchase). The pools may run, in an organization, up to the sum of
min(parallelism there, maximum_concurrency) over the pools serving it; beyond the purchased count,
jobs wait in the queue while agents stand idle.

Read with Resource usage - Get: `GET {org}/_apis/distributedtask/resourceusage?parallelismTag=Private&poolIsHosted=false`
(`resourceLimit.totalCount`), a preview API with no page in the REST reference: its route and
parameters are the Azure DevOps clients' (microsoft/azure-devops-node-api TaskAgentApiBase.getResourceUsage,
routeTemplate `_apis/distributedtask/resourceusage`; the .NET TaskAgentHttpClient.GetResourceUsageAsync).
When it does not answer, the row warns and says where to look instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.http import one_line
from mdpool.doctor.model import CheckResult, failed, ok, warning
from mdpool.verify.targets import organizations, org_name

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "parallel-jobs"
CHEAP = True
API_VERSION = "7.1-preview"


def applies(cfg: "EnvironmentConfig") -> bool:
    return any(pool.organizations for pool in cfg.pools)


def needed(served) -> int:
    """What the pools may run at once in one organization: each pool's parallelism there, capped by its maximum."""
    return sum(min(settings.parallelism, target.pool.maximum_concurrency) for target, settings in served)


def run(ctx: "Context") -> list[CheckResult]:
    rows = []
    for organization, served in organizations(ctx.cfg):
        configured = organization.resolved_url.rstrip("/")
        name = f"{NAME}:{org_name(organization)}"
        want = needed(served)
        where = f"{configured}/_settings/buildqueue?_a=resourceLimits (Organization settings > Parallel jobs > Self-hosted)"
        try:
            reply = ctx.devops.get(
                f"{ctx.endpoints.devops_url(configured)}/_apis/distributedtask/resourceusage",
                {"parallelismTag": "Private", "poolIsHosted": "false", "includeRunningRequests": "false", "api-version": API_VERSION},
            )
        except Exception as error:  # noqa: BLE001 - no token, unreachable: not checked
            rows.append(warning(name, f"{configured}: not checked ({one_line(error)})", f"compare {want} with {where}"))
            continue
        limit = (reply.body or {}).get("resourceLimit") if reply.ok and isinstance(reply.body, dict) else None
        total = limit.get("totalCount") if isinstance(limit, dict) else None
        if not isinstance(total, int):
            answer = reply.describe() if not reply.ok else "no resourceLimit.totalCount in the answer"
            rows.append(
                warning(
                    name,
                    f"{configured}: the purchased self-hosted parallel jobs could not be read ({answer}; a preview API)",
                    f"check that {where} shows at least {want}",
                )
            )
            continue
        if total < want:
            rows.append(
                failed(
                    name,
                    f"{configured} has {total} self-hosted parallel job(s); the pools may run {want} jobs at once there, "
                    f"so {want - total} agent(s) would wait for a parallel job",
                    f"buy {want - total} more self-hosted parallel job(s) in {configured}/_settings/billing, or lower "
                    "pool.organizations[].parallelism",
                )
            )
        else:
            rows.append(ok(name, f"{configured} has {total} self-hosted parallel job(s); the pools may run {want} at once"))
    return rows
