"""The deploying identity may create what the deploy creates, role assignments included."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.checks.actions import allows
from mdpool.doctor.context import AUTHORIZATION_API
from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "permissions"
CHEAP = True
ROLE_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments/write"


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def needed(cfg: EnvironmentConfig) -> dict[str, list[str]]:
    """Actions per resource group the stacks create resources in (operation names from the providers'
    operations lists, learn.microsoft.com/azure/role-based-access-control/resource-provider-operations)."""
    names = cfg.names
    gallery = [
        "Microsoft.Compute/galleries/write",
        "Microsoft.Compute/galleries/images/write",
        "Microsoft.ManagedIdentity/userAssignedIdentities/write",
        "Microsoft.Authorization/roleDefinitions/write",
        ROLE_ASSIGNMENTS,
    ]
    if any(image.build for image in cfg.gallery.images):
        gallery += [
            "Microsoft.VirtualMachineImages/imageTemplates/write",
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
        ]
    scopes: dict[str, list[str]] = {names.gallery_resource_group: list(gallery)}
    for one in cfg.pools:  # each pool's stack creates its resources in its own resource group
        pool = [
            "Microsoft.DevCenter/devcenters/write",
            "Microsoft.DevCenter/projects/write",
            "Microsoft.DevOpsInfrastructure/pools/write",
        ]
        if one.network and one.network.new:
            pool += [
                "Microsoft.Network/virtualNetworks/write",
                "Microsoft.Network/virtualNetworks/subnets/write",
                ROLE_ASSIGNMENTS,
            ]
        if one.identity_ids:
            pool += ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"]
        actions = scopes.setdefault(names.for_pool(one).resource_group, [])
        actions += [a for a in pool if a not in actions]
    return scopes


def run(ctx: Context) -> list[CheckResult]:
    cfg, missing = ctx.cfg, []
    create_groups = "Microsoft.Resources/subscriptions/resourceGroups/write"
    if cfg.resource_groups.create and not allows(ctx.subscription_permissions, create_groups):
        missing.append((f"subscription {cfg.subscription_id}", create_groups))
    for rg, actions in needed(cfg).items():
        scope = f"{ctx.subscription}/resourceGroups/{rg}"
        # Permissions - List For Resource Group: GET {scope}/providers/Microsoft.Authorization/permissions
        reply = ctx.arm.get(f"{scope}/providers/Microsoft.Authorization/permissions", AUTHORIZATION_API)
        if reply.status == 404:  # the group does not exist yet: what the subscription grants applies to it
            permissions = ctx.subscription_permissions
        elif reply.ok:
            permissions = (reply.body or {}).get("value") or []
        else:
            raise Unchecked(f"could not read the deploying identity's permissions on {rg}: {reply.describe()}")
        missing += [(f"resource group {rg}", action) for action in actions if not allows(permissions, action)]
    if not missing:
        return [ok(NAME, "the deploying identity may create the resource groups, resources and role assignments")]
    where = sorted({scope for scope, _ in missing})
    listed = ", ".join(f"{action} on {scope}" for scope, action in missing)
    assigns = any(action == ROLE_ASSIGNMENTS for _, action in missing)
    role = "Owner, or Contributor plus Role Based Access Control Administrator" if assigns else "Contributor"
    return [
        failed(
            NAME,
            f"the deploying identity may not: {listed}",
            f"grant it {role} on {' and '.join(where)} (az role assignment create --assignee <its id> --role ... --scope ...)",
        )
    ]
