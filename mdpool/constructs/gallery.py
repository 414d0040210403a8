"""The Azure Compute Gallery and one image definition per configured image."""

from __future__ import annotations

from cdktn_provider_azurerm.role_assignment import RoleAssignment
from cdktn_provider_azurerm.shared_image import SharedImage
from cdktn_provider_azurerm.shared_image_gallery import SharedImageGallery
from constructs import Construct

from mdpool.config import Gallery
from mdpool.constructs.image_builder import ImageBuilder
from mdpool.constructs.roles import assign_role
from mdpool.constructs.site import Site


class ComputeGallery(Construct):
    """A Compute Gallery with an image definition per image; versions come from image builds.

    The gallery and its definitions are protected (`prevent_destroy`): deleting a definition deletes
    every image version in it, and pools using them fail.
    """

    def __init__(self, scope: Construct, id: str, *, gallery: Gallery, name: str, site: Site) -> None:
        super().__init__(scope, id)
        protect = {"prevent_destroy": True}
        self.resource = SharedImageGallery(
            self, "gallery", name=name, description=gallery.description, tags=site.tags, lifecycle=protect, **site.placement()
        )
        self.definitions: dict[str, SharedImage] = {}
        for image in gallery.images:
            self.definitions[image.name] = SharedImage(
                self,
                f"image-{image.name}",
                name=image.name,
                gallery_name=self.resource.name,
                os_type=image.os_type,
                architecture=image.architecture,
                hyper_v_generation=image.hyper_v_generation,
                specialized=image.specialized,
                description=image.description,
                identifier={
                    "publisher": image.identifier.publisher,
                    "offer": image.identifier.offer,
                    "sku": image.identifier.sku,
                },
                min_recommended_vcpu_count=image.min_recommended_vcpu_count,
                min_recommended_memory_in_gb=image.min_recommended_memory_in_gb,
                tags=site.tags,
                lifecycle=protect,
                **site.placement(),
            )

    def definition_ids(self) -> dict[str, str]:
        return {name: definition.id for name, definition in self.definitions.items()}

    def grant_read(self, principal_id: str, purpose: str) -> RoleAssignment:
        """Reader on the gallery, e.g. for the DevOpsInfrastructure service that pulls images into agents."""
        return assign_role(
            self, f"read-{purpose}", scope=self.resource.id, principal_id=principal_id, role_name="Reader", service_principal=True
        )

    def grant_publish(self, builder: ImageBuilder) -> RoleAssignment:
        """Let the image builder write image versions into this gallery, and nowhere else.

        The assignment's scope is the gallery itself, the narrowest scope distribution works at.
        """
        return assign_role(
            self,
            "publish-image-builder",
            scope=self.resource.id,
            principal_id=builder.identity.principal_id,
            role_definition_id=builder.role.role_definition_resource_id,
            service_principal=True,
        )
