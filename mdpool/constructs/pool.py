"""The Managed DevOps Pool itself, as `azapi_resource` on the pools API 2026-06-02.

The body comes from `mdpool.constructs.pool_body`; the pool's other resources (Dev Center, project,
network) stay on azurerm. A state that still holds the former `azurerm_managed_devops_pool` at the
same construct path moves to this resource through a `moved` block, without replacing the pool:
the azapi provider moves state from any azurerm resource by its id (Terraform >= 1.8; tested in
Azure/terraform-provider-azapi internal/services/azapi_resource_move_state_test.go).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from cdktn import ITerraformDependable, TerraformResourceLifecycle
from cdktn_provider_azapi.resource import Resource, ResourceIdentity
from constructs import Construct

from mdpool.config import Pool
from mdpool.constructs.pool_body import EXPORTED_VALUES, RESOURCE_TYPE, pool_body
from mdpool.constructs.site import Site
from mdpool.constructs.version_guard import GalleryVersions, image_precondition

FORMER_TYPE = "azurerm_managed_devops_pool"
"""The resource type the pool had before it moved to azapi (mdpool round 1, azurerm 5.10)."""


class ManagedPool(Construct):
    """A Managed DevOps Pool in a Dev Center project.

    `gallery_image_ids` maps this config's gallery image names to their definition ids (a
    cross-stack reference when the gallery lives in another stack). For every gallery image the
    pool uses, a precondition refuses to plan while the image has no usable version.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pool: Pool,
        name: str,
        project_id: str,
        site: Site,
        gallery_image_ids: Mapping[str, str],
        subnet_id: str | None = None,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id)
        guards, guarded = [], set()
        for image in pool.images:
            if image.gallery_image is None or (image.gallery_image, image.version) in guarded:
                continue  # well-known and external images need no guard
            guarded.add((image.gallery_image, image.version))
            versions = GalleryVersions(
                self, f"versions-{image.gallery_image}-{image.version}", definition_id=gallery_image_ids[image.gallery_image]
            )
            guards.append(image_precondition(image.gallery_image, image.version, versions.succeeded))
        self.resource = Resource(
            self,
            "pool",
            type=RESOURCE_TYPE,
            name=name,
            parent_id=site.id,
            location=site.location,
            tags=site.tags,
            identity=[ResourceIdentity(type="UserAssigned", identity_ids=list(pool.identity_ids))] if pool.identity_ids else None,
            body=pool_body(pool, project_id=project_id, gallery_image_ids=gallery_image_ids, subnet_id=subnet_id),
            response_export_values=dict(EXPORTED_VALUES),
            lifecycle=TerraformResourceLifecycle(precondition=guards) if guards else None,
            depends_on=list(depends_on) or None,
        )
        # Same construct path, so the same logical id the azurerm pool had: move its state here.
        self.resource.move_from_id(f"{FORMER_TYPE}.{self.resource.friendly_unique_id}")

    def exported(self, key: str) -> Any:
        """A value the service filled in (see pool_body.EXPORTED_VALUES), as a reference."""
        return self.resource.interpolation_for_attribute(f"output.{key}")
