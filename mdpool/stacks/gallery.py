"""Gallery stack: the gallery, its image definitions, and who may write and read them."""

from __future__ import annotations

from cdktn import TerraformOutput, TerraformStack
from constructs import Construct

from mdpool.config import EnvironmentConfig
from mdpool.constructs.gallery import ComputeGallery
from mdpool.constructs.image_builder import ImageBuilder
from mdpool.constructs.site import Site
from mdpool.stacks.foundation import configure


class GalleryStack(TerraformStack):
    """Make the gallery, let the image builder publish versions into it, let the pool service read it."""

    def __init__(self, scope: Construct, config: EnvironmentConfig) -> None:
        super().__init__(scope, config.gallery_stack)
        configure(self, config)
        names = config.names
        site = Site(
            self,
            "site",
            name=names.gallery_resource_group,
            location=config.location,
            tags=config.tags,
            subscription_id=config.subscription_id,
            create=config.resource_groups.create,
        )
        self.gallery = ComputeGallery(self, "gallery", gallery=config.gallery, name=names.gallery, site=site)
        self.builder = ImageBuilder(
            self, "image-builder", identity_name=names.builder_identity, role_name=names.builder_role, site=site
        )
        self.gallery.grant_publish(self.builder)
        for image, group in names.staging_resource_groups.items():
            self.builder.add_staging_group(image, group, site)
        networks = {
            image.build.network.vnet_id.lower(): image.build.network.vnet_id
            for image in config.gallery.images
            if image.build is not None and image.build.network is not None
        }
        for vnet_id in sorted(networks.values()):
            parts = vnet_id.split("/")  # /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v
            self.builder.grant_network_join(vnet_id, f"{names.builder_role} network {parts[4]}/{parts[-1]}")
        self.gallery.grant_read(config.devops_infrastructure_principal_id, "devops-infrastructure")
        self.site = site

        # What image builds and operators need (ids are also derivable from the config: see naming).
        TerraformOutput(self, "resource_group", value=site.name)
        TerraformOutput(self, "location", value=config.location)
        TerraformOutput(self, "gallery_id", value=self.gallery.resource.id)
        TerraformOutput(self, "image_definition_ids", value=self.gallery.definition_ids())
        TerraformOutput(self, "builder_identity_id", value=self.builder.identity.id)
        TerraformOutput(self, "builder_principal_id", value=self.builder.identity.principal_id)
