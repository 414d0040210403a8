"""The DevOpsInfrastructure service principal id in the config is the tenant's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.http import Unchecked, one_line
from mdpool.doctor.model import CheckResult, failed, ok, warning

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "service-principal"
CHEAP = False  # reading the directory is often not allowed in CI; it only ever warns then
DISPLAY_NAME = "DevOpsInfrastructure"
FIX = "compare devops_infrastructure_principal_id with: az ad sp list --display-name DevOpsInfrastructure --query [].id -o tsv"


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def run(ctx: Context) -> list[CheckResult]:
    configured = ctx.cfg.devops_infrastructure_principal_id
    # Microsoft Graph: List servicePrincipals with $filter on displayName
    # (learn.microsoft.com/graph/api/serviceprincipal-list, v1.0)
    try:
        reply = ctx.graph.get(
            f"{ctx.endpoints.graph.rstrip('/')}/v1.0/servicePrincipals",
            {"$filter": f"displayName eq '{DISPLAY_NAME}'", "$select": "id,appId,displayName"},
        )
    except Unchecked:
        raise
    except Exception as error:  # noqa: BLE001 - no Graph token for this identity, directory unreachable: not checked
        raise Unchecked(f"not checked: the directory could not be read ({one_line(error)})", FIX) from None
    if not reply.ok:
        return [warning(NAME, f"not checked: the directory could not be read ({reply.describe()})", FIX)]
    ids = [str(sp.get("id", "")).lower() for sp in (reply.body or {}).get("value") or []]
    if not ids:
        return [
            warning(
                NAME,
                "the tenant has no DevOpsInfrastructure service principal yet (it appears once "
                "Microsoft.DevOpsInfrastructure is registered)",
                "register the provider, then set devops_infrastructure_principal_id to: az ad sp list "
                "--display-name DevOpsInfrastructure --query [].id -o tsv",
            )
        ]
    if configured.lower() in ids:
        return [ok(NAME, f"devops_infrastructure_principal_id {configured} is the tenant's DevOpsInfrastructure")]
    return [
        failed(
            NAME,
            f"devops_infrastructure_principal_id {configured} is not the tenant's DevOpsInfrastructure "
            f"service principal ({', '.join(ids)})",
            f"set devops_infrastructure_principal_id: {ids[0]} in the config",
        )
    ]
