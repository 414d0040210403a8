"""The Azure DevOps side of the pool: the agent pool exists, each named project has a queue for it, open access holds.

- Pools - Get Agent Pools: `GET {org}/_apis/distributedtask/pools?poolName=...&api-version=7.1`
  (learn.microsoft.com/rest/api/azure/devops/distributedtask/pools/get-agent-pools). Managed DevOps
  Pools creates the organization's agent pool under the pool resource's own name.
- Queues - Get Agent Queues: `GET {org}/{project}/_apis/distributedtask/queues?queueName=...&api-version=7.1`
  (learn.microsoft.com/rest/api/azure/devops/distributedtask/queues/get-agent-queues): a project uses a
  pool through a queue of the same name.
- Pipeline Permissions - Get: `GET {org}/{project}/_apis/pipelines/pipelinePermissions/queue/{id}?api-version=7.1-preview.1`
  (learn.microsoft.com/rest/api/azure/devops/approvalsandchecks/pipeline-permissions/get):
  `allPipelines.authorized` is what `open_access: true` promises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from mdpool.doctor.http import Unchecked, one_line
from mdpool.doctor.model import CheckResult, failed, ok, warning
from mdpool.verify.targets import organizations, org_name

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Organization
    from mdpool.doctor.context import Context
    from mdpool.verify.targets import PoolTarget

NAME = "devops-pool"
CHEAP = True
API_VERSION = "7.1"
PERMISSIONS_API_VERSION = "7.1-preview.1"


def applies(cfg: "EnvironmentConfig") -> bool:
    return any(pool.organizations for pool in cfg.pools)


def run(ctx: "Context") -> list[CheckResult]:
    rows: list[CheckResult] = []
    for organization, served in organizations(ctx.cfg):
        for target, settings in served:
            try:
                rows.extend(_pool_rows(ctx, target, settings))
            except Unchecked as error:
                rows.append(warning(f"{NAME}:{org_name(organization)}", error.message, error.fix))
            except Exception as error:  # noqa: BLE001 - no token for Azure DevOps, unreachable: not checked
                rows.append(
                    warning(
                        f"{NAME}:{org_name(organization)}",
                        f"{organization.resolved_url}: not checked ({one_line(error)})",
                        "sign in with an identity that can get a token for Azure DevOps (az login)",
                    )
                )
    return rows


def _pool_rows(ctx: "Context", target: "PoolTarget", organization: "Organization") -> list[CheckResult]:
    configured = organization.resolved_url.rstrip("/")
    base = ctx.endpoints.devops_url(configured)
    label = org_name(organization)
    reply = ctx.devops.get(f"{base}/_apis/distributedtask/pools", {"poolName": target.name, "api-version": API_VERSION})
    if not reply.ok:
        raise Unchecked(f"could not list the agent pools of {configured}: {reply.describe()}")
    pools = [p for p in (reply.body or {}).get("value") or [] if str(p.get("name", "")).lower() == target.name.lower()]
    if not pools:
        return [
            failed(
                f"{NAME}:{label}",
                f"{configured} has no agent pool {target.name}; Azure's pool does not serve this organization",
                f"look at the pool's provisioning state (az resource show --ids {target.id}) and deploy the pool stage "
                f"again (mdpool deploy --stage pool); the deploying identity must administer agent pools (mdpool doctor)",
            )
        ]
    rows = [ok(f"{NAME}:{label}", f"{configured} has agent pool {target.name}")]
    for project in organization.projects:
        rows.append(_queue_row(ctx, base, configured, label, project, target, organization.open_access is True))
    return rows


def _queue_row(
    ctx: "Context", base: str, configured: str, label: str, project: str, target: "PoolTarget", open_access: bool
) -> CheckResult:
    name = f"devops-queue:{label}/{project}"
    project_url = f"{base}/{quote(project, safe='')}"
    reply = ctx.devops.get(
        f"{project_url}/_apis/distributedtask/queues", {"queueName": target.name, "api-version": API_VERSION}
    )
    if reply.status == 404:
        return failed(name, f"{configured} has no project {project} ({reply.describe()})", "correct pool.organizations[].projects")
    if not reply.ok:
        return warning(name, f"could not list the queues of {configured}/{project}: {reply.describe()}")
    queues = [q for q in (reply.body or {}).get("value") or [] if str(q.get("name", "")).lower() == target.name.lower()]
    if not queues:
        return failed(
            name,
            f"project {project} has no queue for agent pool {target.name}; its pipelines cannot use the pool",
            f"add it: {configured}/{quote(project)}/_settings/agentqueues > Add pool > existing pool {target.name} "
            "(or deploy the pool stage again: the pool adds a queue to each project it lists)",
        )
    if not open_access:
        return ok(name, f"project {project} has queue {target.name}")
    queue_id = queues[0].get("id")
    permissions = ctx.devops.get(
        f"{project_url}/_apis/pipelines/pipelinePermissions/queue/{queue_id}", {"api-version": PERMISSIONS_API_VERSION}
    )
    if not permissions.ok:
        return warning(name, f"project {project} has queue {target.name}; open access not checked: {permissions.describe()}")
    authorized = ((permissions.body or {}).get("allPipelines") or {}).get("authorized") is True
    if authorized:
        return ok(name, f"project {project} has queue {target.name}, open to every pipeline")
    return failed(
        name,
        f"project {project} has queue {target.name}, but not open to every pipeline although open_access is true",
        f"{configured}/{quote(project)}/_settings/agentqueues > {target.name} > Security > Pipeline permissions > "
        "Open access (or deploy the pool stage again)",
    )
