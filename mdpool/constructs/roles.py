"""Role assignments, the one way constructs grant a principal access to what they own."""

from __future__ import annotations

from typing import Any

from cdktn_provider_azurerm.role_assignment import RoleAssignment
from constructs import Construct


def assign_role(
    owner: Construct,
    purpose: str,
    *,
    scope: str,
    principal_id: str,
    role_name: str | None = None,
    role_definition_id: str | None = None,
    service_principal: bool = False,
) -> RoleAssignment:
    """Assign a built-in role (by name) or a custom one (by id) to `principal_id` on `scope`.

    `service_principal=True` sets the principal type and skips the Entra ID lookup, which avoids
    the replication-delay failures Azure reports for freshly created identities and first-party
    service principals.
    """
    extra: dict[str, Any] = {}
    if service_principal:
        extra = {"principal_type": "ServicePrincipal", "skip_service_principal_aad_check": True}
    return RoleAssignment(
        owner,
        purpose,
        scope=scope,
        principal_id=principal_id,
        role_definition_name=role_name,
        role_definition_id=role_definition_id,
        **extra,
    )
