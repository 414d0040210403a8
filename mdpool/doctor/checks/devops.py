"""Azure DevOps: the deploying identity is a member of each organization and may administer agent pools.

Managed DevOps Pools creates the organization's agent pool as the identity that deploys the pool; it
must be an organization-level agent pools Administrator (or a Project Collection Administrator), or
pool creation fails with PoolProvisioningFailed (MicrosoftDocs/azure-devops-docs
docs/managed-devops-pools/prerequisites.md, "Verify Azure DevOps permissions"; troubleshooting.md).
Asked with an Entra token for Azure DevOps (no PAT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mdpool.doctor.http import Unchecked, one_line
from mdpool.doctor.model import CheckResult, failed, ok, warning

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Organization
    from mdpool.doctor.context import Context

NAME = "devops"
CHEAP = True
# Security namespace DistributedTask (agent pools) and its action bits: MicrosoftDocs/azure-devops-docs
# docs/organizations/security/namespace-reference.md (View 1, Manage 2, Listen 4, AdministerPermissions 8,
# Use 16, Create 32); token `AgentPools` is the organization's "all agent pools" level.
AGENT_POOLS_NAMESPACE = "101eae8c-1709-47f9-b228-0e476c35b3ba"
AGENT_POOLS_TOKEN = "AgentPools"
MANAGE, ADMINISTER_PERMISSIONS, CREATE = 2, 8, 32
ADMINISTER_AGENT_POOLS = MANAGE | ADMINISTER_PERMISSIONS | CREATE
API_VERSION = "7.1"


def applies(cfg: EnvironmentConfig) -> bool:
    return any(pool.organizations for pool in cfg.pools)


def _org_name(organization: Organization) -> str:
    parts = urlsplit(organization.resolved_url)
    return parts.path.strip("/").split("/")[0] if parts.path.strip("/") else parts.netloc.split(".")[0]


def _organizations(cfg: EnvironmentConfig) -> list[Organization]:
    """Every organization any pool serves, once each: the rights asked for are the organization's, not a pool's."""
    seen: dict[str, Organization] = {}
    for pool in cfg.pools:
        for organization in pool.organizations:
            seen.setdefault(organization.resolved_url.rstrip("/").lower(), organization)
    return list(seen.values())


def run(ctx: Context) -> list[CheckResult]:
    rows = []
    for organization in _organizations(ctx.cfg):  # one row each; one not answering does not hide the others
        try:
            rows.append(_check(ctx, organization))
        except Unchecked as error:
            rows.append(warning(f"{NAME}:{_org_name(organization)}", error.message, error.fix))
    return rows


def _check(ctx: Context, organization: Organization) -> CheckResult:
    name = f"{NAME}:{_org_name(organization)}"
    configured = organization.resolved_url.rstrip("/")
    base = ctx.endpoints.devops_url(configured)
    try:
        # Connection data (Location service, learn.microsoft.com/javascript/api/azure-devops-extension-api/connectiondata):
        # GET {org}/_apis/connectionData names the signed-in identity; a non-member is answered 401 (TF400813)
        who = ctx.devops.get(f"{base}/_apis/connectionData")
        if who.status in (401, 403):
            return failed(
                name,
                f"the deploying identity is not a member of {configured} ({who.describe()})",
                f"add it to the organization: {configured}/_settings/users (Add users; for a service "
                "principal or managed identity, add it by its name), connected to your Entra tenant",
            )
        if who.status == 404:
            return failed(
                name, f"{configured}: no such Azure DevOps organization ({who.describe()})", "correct pool.organizations[].url"
            )
        if not who.ok:
            raise Unchecked(f"could not ask {configured} who the deploying identity is: {who.describe()}")
        user = (who.body or {}).get("authenticatedUser") or {}
        identity = user.get("providerDisplayName") or user.get("id") or "the deploying identity"
        # Permissions - Has Permissions (learn.microsoft.com/rest/api/azure/devops/security/permissions/has-permissions):
        # evaluates the caller's permissions; true only when every requested bit is allowed
        reply = ctx.devops.get(
            f"{base}/_apis/security/permissions/{AGENT_POOLS_NAMESPACE}/{ADMINISTER_AGENT_POOLS}",
            {"tokens": AGENT_POOLS_TOKEN, "alwaysAllowAdministrators": "true", "api-version": API_VERSION},
        )
    except Unchecked:
        raise
    except Exception as error:  # noqa: BLE001 - no token for Azure DevOps, unreachable: not checked
        raise Unchecked(
            f"{configured}: not checked ({one_line(error)})",
            "sign in with an identity that can get a token for Azure DevOps (az login)",
        ) from None
    if not reply.ok:
        raise Unchecked(f"could not evaluate {identity}'s agent pool permissions in {configured}: {reply.describe()}")
    values = (reply.body or {}).get("value") or []
    if values and all(value is True for value in values):
        return ok(name, f"{identity} is a member of {configured} and may administer its agent pools")
    return failed(
        name,
        f"{identity} is a member of {configured} but may not administer agent pools "
        "(Manage, Administer Permissions and Create on all agent pools); pool creation would fail "
        "with PoolProvisioningFailed",
        f"in {configured}/_settings/agentpools choose Security and give {identity} the Administrator "
        "role, or add it to Project Collection Administrators",
    )
