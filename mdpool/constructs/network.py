"""Networking for pool agents: a new VNet with a delegated subnet, or a subnet that exists."""

from __future__ import annotations

from cdktn_provider_azurerm.role_assignment import RoleAssignment
from cdktn_provider_azurerm.subnet import Subnet, SubnetDelegation, SubnetDelegationServiceDelegation
from cdktn_provider_azurerm.virtual_network import VirtualNetwork
from constructs import Construct

from mdpool.config import Network
from mdpool.constructs.roles import assign_role
from mdpool.constructs.site import Site

POOL_DELEGATION = "Microsoft.DevOpsInfrastructure/pools"


class PoolNetwork(Construct):
    """The subnet pool agents join (delegated to Microsoft.DevOpsInfrastructure/pools).

    `subnet_id` is what the pool needs; `grant_join` gives the DevOpsInfrastructure service what it
    needs on the VNet (Reader + Network Contributor) before the pool is created.
    """

    def __init__(self, scope: Construct, id: str, *, network: Network, vnet_name: str, subnet_name: str, site: Site) -> None:
        super().__init__(scope, id)
        self.vnet: VirtualNetwork | None = None
        if network.new is not None:
            self.vnet = VirtualNetwork(
                self, "vnet", name=vnet_name, address_space=[network.new.address_space], tags=site.tags, **site.placement()
            )
            subnet = Subnet(
                self,
                "subnet",
                name=subnet_name,
                resource_group_name=site.name,
                virtual_network_name=self.vnet.name,
                address_prefixes=[network.new.subnet_prefix],
                delegation=[
                    SubnetDelegation(  # a struct, not a dict: see constructs/pool.py
                        name="managed-devops-pools",
                        service_delegation=SubnetDelegationServiceDelegation(
                            name=POOL_DELEGATION, actions=["Microsoft.Network/virtualNetworks/subnets/join/action"]
                        ),
                    )
                ],
            )
            self.subnet_id, self.vnet_id = subnet.id, self.vnet.id
        else:
            assert network.subnet_id is not None  # the config guarantees one of the two
            self.subnet_id = network.subnet_id
            self.vnet_id = network.subnet_id.rsplit("/subnets/", 1)[0]

    def grant_join(self, principal_id: str, purpose: str) -> list[RoleAssignment]:
        """Reader and Network Contributor on the VNet, as Managed DevOps Pools require for VNet injection."""
        return [
            assign_role(
                self,
                f"{purpose}-{role.lower().replace(' ', '-')}",
                scope=self.vnet_id,
                principal_id=principal_id,
                role_name=role,
                service_principal=True,
            )
            for role in ("Reader", "Network Contributor")
        ]
