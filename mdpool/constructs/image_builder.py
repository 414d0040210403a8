"""The identity Azure Image Builder runs as, and its least-privilege custom role."""

from __future__ import annotations

from cdktn_provider_azurerm.role_definition import RoleDefinition, RoleDefinitionPermissions
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity
from constructs import Construct

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
