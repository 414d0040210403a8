"""The Managed DevOps Pool itself, as `azapi_resource` on the pools API 2026-06-02.

The body comes from `mdpool.constructs.pool_body`; the pool's other resources (Dev Center, project,
network) stay on azurerm.

A state that still holds the former `azurerm_managed_devops_pool` (mdpool round 1) hands the pool
over without replacing it: a `removed` block with `destroy = false` forgets the azurerm address
(Terraform >= 1.7), and an `import` block adopts the pool at the azapi address with
`?api-version=2026-06-02` in its id (azapi's id parser honours it; Terraform >= 1.5, `for_each` on
import >= 1.7). Not a `moved` block: azapi's MoveState gives the moved resource the newest API version
it knows, sorted as strings, i.e. a preview version, so the first refresh would read the pool with it.
The import runs only when the variable `import_azurerm_pool` is true; `mdpool plan`/`deploy` set it when
`terraform state list` shows the azurerm pool (mdpool.deploy.migration), so a fresh deploy never imports.
Someone running plain terraform on such a state passes `-var import_azurerm_pool=true` once.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from cdktn import ITerraformDependable, TerraformResourceLifecycle, TerraformStack
from cdktn_provider_azapi.resource import Resource, ResourceIdentity, ResourceRetry
from constructs import Construct

from mdpool.config import Pool
from mdpool.constructs.handover import emit_hand_over
from mdpool.constructs.pool_body import API_VERSION, EXPORTED_VALUES, RESOURCE_TYPE, pool_body
from mdpool.constructs.site import Site
from mdpool.constructs.version_guard import GalleryDefinitions, GalleryVersions, definition_precondition, image_precondition
from mdpool.deploy.migration import FORMER_TYPE, IMPORT_VARIABLE

RETRY_ERRORS = [
    # Azure/terraform-azurerm-avm-res-devopsinfrastructure-pool variables.tf managed_devops_pool_retry_on_error:
    # the pool's identity reaches the Azure DevOps organization only after a propagation delay
    # (Managed DevOps Pools troubleshooting: "The logged in user ... was not found in the Azure DevOps organization")
    "Failed to provision agent pool. Exception: The logged in user,.*, was not found in the Azure DevOps organization provided,.*",
]


class ManagedPool(Construct):
    """A Managed DevOps Pool in a Dev Center project.

    `gallery_image_ids` maps this config's gallery image names to their definition ids (a
    cross-stack reference when the gallery lives in another stack). For every gallery image the
    pool uses, a precondition refuses to plan while the image has no usable version; with `gallery`
    (its id and name) another one first refuses while the gallery has no definition of that image.
    `known_id`, the pool's id as plain text, enables the hand-over from the round-1 azurerm pool.
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
        gallery: tuple[str, str] | None = None,
        known_id: str | None = None,
        subnet_id: str | None = None,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id)
        guards, guarded = [], set()
        definitions = None
        for image in pool.images:
            if image.gallery_image is None or (image.gallery_image, image.version) in guarded:
                continue  # well-known and external images need no guard
            guarded.add((image.gallery_image, image.version))
            checks = []
            if gallery is not None:  # (gallery id, gallery name): first that the definition exists
                definitions = definitions or GalleryDefinitions(self, "definitions", gallery_id=gallery[0])
                checks.append(definition_precondition(image.gallery_image, gallery[1], definitions.names))
            versions = GalleryVersions(
                self,
                f"versions-{image.gallery_image}-{image.version}",
                definition_id=gallery_image_ids[image.gallery_image],
                preconditions=checks,
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
            retry=ResourceRetry(error_message_regex=list(RETRY_ERRORS)),
            lifecycle=TerraformResourceLifecycle(precondition=guards) if guards else None,
            depends_on=list(depends_on) or None,
        )
        if known_id is not None:  # the pool's id as plain text: an import id must be known before the plan
            self._hand_over_from_azurerm(known_id)

    def _hand_over_from_azurerm(self, pool_id: str) -> None:
        """Forget the round-1 azurerm pool without deleting it; import it here on API 2026-06-02 when asked.

        Same construct path, so the same logical id the azurerm pool had.
        """
        address = self.resource.friendly_unique_id
        emit_hand_over(
            TerraformStack.of(self),
            variable=IMPORT_VARIABLE,
            former=f"{FORMER_TYPE}.{address}",
            to=f"{self.resource.terraform_resource_type}.{address}",
            import_id=f"{pool_id}?api-version={API_VERSION}",
            description=(
                "Import the pool into azapi_resource (true once, when the state still holds the "
                f"{FORMER_TYPE} of mdpool round 1; mdpool plan/deploy set it)"
            ),
        )

    def exported(self, key: str) -> Any:
        """A value the service filled in (see pool_body.EXPORTED_VALUES), as a reference."""
        return self.resource.interpolation_for_attribute(f"output.{key}")
