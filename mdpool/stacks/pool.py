"""Pool stack: Dev Center, project, optional network, and the Managed DevOps Pool."""

from __future__ import annotations

from cdktn import TerraformOutput, TerraformStack
from constructs import Construct

from mdpool.config import EnvironmentConfig, Pool
from mdpool.constructs.dev_center import DevCenterProjectSite
from mdpool.constructs.gallery import ComputeGallery
from mdpool.constructs.network import PoolNetwork
from mdpool.constructs.pool import ManagedPool
from mdpool.constructs.site import Site
from mdpool.stacks.foundation import configure, configure_azapi


class PoolStack(TerraformStack):
    """Make a Dev Center project and the pool in it, running on the gallery's images.

    The gallery's definition ids cross the stack boundary as a reference, which cdktn turns into
    an output of the gallery stack and a remote-state lookup here; that is also why the pool stack
    can only be applied after the gallery stack (and its image builds).
    """

    def __init__(self, scope: Construct, config: EnvironmentConfig, pool: Pool, *, gallery: ComputeGallery) -> None:
        super().__init__(scope, config.stack_of(pool))
        configure(self, config)
        configure_azapi(self, config)
        names = config.names.for_pool(pool)
        # One resource group for both stacks is allowed; then the gallery stack owns it.
        shared_group = names.resource_group == config.names.gallery_resource_group
        site = Site(
            self,
            "site",
            name=names.resource_group,
            location=config.location,
            tags={**config.tags, **pool.tags},
            subscription_id=config.subscription_id,
            create=config.resource_groups.create and not shared_group,
        )
        project = DevCenterProjectSite(
            self, "dev-center", dev_center_name=names.dev_center, project_name=names.project, site=site
        )
        subnet_id, network_grants = None, []
        if pool.network is not None and pool.network.joins_subnet:
            network = PoolNetwork(
                self, "network", network=pool.network, vnet_name=names.vnet, subnet_name=names.subnet, site=site
            )
            # The service must be able to join the subnet before the pool is created.
            network_grants = network.grant_join(config.devops_infrastructure_principal_id, "devops-infrastructure")
            subnet_id = network.subnet_id
        self.pool = ManagedPool(
            self,
            "pool",
            pool=pool,
            name=names.pool,
            project_id=project.project.id,
            site=site,
            gallery_image_ids=gallery.definition_ids(),
            gallery=(config.names.gallery_id, config.names.gallery),
            known_id=config.names.pool_id(pool),
            subnet_id=subnet_id,
            depends_on=network_grants,
        )

        TerraformOutput(self, "pool_id", value=self.pool.resource.id)
        TerraformOutput(self, "pool_name", value=self.pool.resource.name)
        if pool.network is not None and pool.network.static_ip_count:
            # Filled in by the service: the addresses to put on firewall allow-lists.
            TerraformOutput(self, "static_ip_addresses", value=self.pool.exported("ip_addresses"))
