"""The identity Azure Image Builder runs as, and its least-privilege custom role."""

from __future__ import annotations

import hashlib

from cdktn_provider_azurerm.resource_group import ResourceGroup
from cdktn_provider_azurerm.role_definition import RoleDefinition, RoleDefinitionPermissions
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity
from constructs import Construct

from mdpool.constructs.roles import assign_role
from mdpool.constructs.site import Site

# Exactly the blog's seven actions: read the gallery and its definitions, write image versions,
# and handle the managed image Azure Image Builder produces on the way.
IMAGE_BUILDER_ACTIONS = (
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/images/write",
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/delete",
)
# Learn, "Configure Azure VM Image Builder permissions" (existing virtual network): read the network
# and join its subnets, for the build VM and the isolated build's container instance.
NETWORK_JOIN_ACTIONS = (
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
)


class ImageBuilder(Construct):
    """A user-assigned identity for image builds and a custom role it can be granted with.

    The role is defined at the gallery's resource group and assignable only there (not at the whole
    subscription, as the blog does): nothing outside that group can be granted with it.
    """

    def __init__(self, scope: Construct, id: str, *, identity_name: str, role_name: str, site: Site) -> None:
        super().__init__(scope, id)
        self.identity = UserAssignedIdentity(self, "identity", name=identity_name, tags=site.tags, **site.placement())
        self.role = RoleDefinition(
            self,
            "role",
            name=role_name,
            scope=site.id,
            assignable_scopes=[site.id],
            description="Lets Azure Image Builder distribute image versions into a Compute Gallery (mdpool).",
            permissions=[RoleDefinitionPermissions(actions=list(IMAGE_BUILDER_ACTIONS))],
        )

    def add_staging_group(self, image: str, name: str, site: Site) -> ResourceGroup:
        """An empty staging resource group for one image's template, the builder identity a Contributor on it.

        Learn, image-builder-json (properties.stagingResourceGroup): the template's identity needs
        Contributor on a staging group it did not create; the 2025-10-01 spec: it must be empty and in
        the template's region (the config's location, as the group here).
        """
        group = ResourceGroup(self, f"staging-{image}", name=name, location=site.location, tags=site.tags)
        assign_role(
            self,
            f"staging-contributor-{image}",
            scope=group.id,
            principal_id=self.identity.principal_id,
            role_name="Contributor",
            service_principal=True,
        )
        return group

    def grant_network_join(self, vnet_id: str, role_name: str) -> None:
        """Let the builder identity use an existing virtual network's subnets (a role assignable there only)."""
        key = hashlib.sha256(vnet_id.lower().encode()).hexdigest()[:8]  # stable per network, whatever its name
        resource_group = vnet_id[: vnet_id.lower().find("/providers/")]
        role = RoleDefinition(
            self,
            f"network-role-{key}",
            name=role_name,
            scope=resource_group,
            assignable_scopes=[vnet_id],
            description="Lets Azure Image Builder place build VMs in this virtual network's subnets (mdpool).",
            permissions=[RoleDefinitionPermissions(actions=list(NETWORK_JOIN_ACTIONS))],
        )
        assign_role(
            self,
            f"network-join-{key}",
            scope=vnet_id,
            principal_id=self.identity.principal_id,
            role_definition_id=role.role_definition_resource_id,
            service_principal=True,
        )
