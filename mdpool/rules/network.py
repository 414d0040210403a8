"""Rules for a pool's network: an existing subnet, or a VNet and subnet the pool stack makes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from mdpool.config import Pool
from mdpool.rules.findings import WARNING, Finding
from mdpool.validate import formats

RESERVED_SUBNET_ADDRESSES = 5


def network_rules(pool: Pool) -> Iterator[Finding]:
    network = pool.network
    if network is None:
        return
    needed = pool.maximum_concurrency + RESERVED_SUBNET_ADDRESSES
    if network.subnet_id is not None:
        # managed_devops_pool_resource.go subnet_id: commonids.ValidateSubnetID (case-sensitive segments)
        problem = formats.arm_id_problem(network.subnet_id, formats.SUBNET_ID)
        if problem:
            yield pool.loc("network", "subnet_id"), f"not a subnet id: {problem}"
        elif not formats.GUID.fullmatch(network.subnet_id.split("/")[2]):
            yield pool.loc("network", "subnet_id"), "the subscription in this id is not a GUID", WARNING
    new = network.new
    if new is None:
        return
    loc = pool.loc("network", "new")
    try:
        space = ipaddress.ip_network(new.address_space)
    except ValueError:
        yield (*loc, "address_space"), f"{new.address_space!r} is not a network; allowed: CIDR like 10.0.0.0/24"
        return
    try:
        subnet = ipaddress.ip_network(new.subnet_prefix)
    except ValueError:
        yield (*loc, "subnet_prefix"), f"{new.subnet_prefix!r} is not a network; allowed: CIDR like 10.0.0.0/26"
        return
    if subnet.version != space.version or not subnet.subnet_of(space):  # type: ignore[arg-type]
        yield (*loc, "subnet_prefix"), f"{subnet} is not inside address_space {space}"
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-networking: one address per agent,
    # plus the 5 Azure reserves in every subnet (learn.microsoft.com/azure/virtual-network/virtual-networks-faq)
    if subnet.num_addresses < needed:
        yield (
            (*loc, "subnet_prefix"),
            (
                f"{subnet} has {subnet.num_addresses} addresses; the pool needs "
                f"maximum_concurrency + {RESERVED_SUBNET_ADDRESSES} = {needed}"
            ),
        )
