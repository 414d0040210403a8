"""The standby cost of each pool of a synthesized output, and how a change moves it (for the review).

Reads the pool's azapi body (what mdpool deploys), its `location`, and each pool image's OS: a
well-known image by its name, a gallery image of this project through the gallery stack's
`azurerm_shared_image.os_type`, a marketplace id by its publisher. A pool synthesized by mdpool 0.1
(the azurerm resource) has no body to read: its figure is unknown and the review says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from mdpool.cost.estimate import PoolCost, marketplace_os, pool_cost, well_known_os
from mdpool.cost.prices import PriceList
from mdpool.cost.standby import StandbyHours
from mdpool.review.pool_words import is_pool
from mdpool.review.references import Resolver
from mdpool.review.synthesized import Synthesized

_REFERENCE_WITH_VERSION = re.compile(r"^(?P<reference>\$\{[^}]+\})(?:/versions/[^/]+)?$")


@dataclass(frozen=True)
class CostChange:
    pool: str
    base: PoolCost | None
    head: PoolCost | None


def _os_of(resolver: Resolver, stack: str):
    def os_of(image: Mapping[str, Any]) -> str | None:
        if image.get("wellKnownImageName"):
            return well_known_os(str(image["wellKnownImageName"]))
        resource_id = str(image.get("resourceId") or "")
        reference = _REFERENCE_WITH_VERSION.match(resource_id)
        if reference:
            target = resolver.target(stack, reference.group("reference"))
            found = resolver.synthesized.stacks.get(target.stack) if target else None
            block = found.blocks.get(f"{target.type}.{target.name}") if found and target else None
            os_type = block.values.get("os_type") if block and isinstance(block.values, dict) else None
            return os_type if os_type in ("Linux", "Windows") else None
        return marketplace_os(resource_id)

    return os_of


def pool_costs(synthesized: Synthesized, prices: PriceList) -> dict[str, PoolCost]:
    """Pool name -> its standby estimate, for every pool of every stack."""
    resolver = Resolver(synthesized)
    costs: dict[str, PoolCost] = {}
    for stack in synthesized.stacks.values():
        for block in stack.of_kind("resource"):
            if not is_pool(block.type, block.values):
                continue
            values = block.values if isinstance(block.values, dict) else {}
            name = str(values.get("name") or block.address)
            region = str(values.get("location") or "")
            body = values.get("body")
            properties = body.get("properties") if isinstance(body, dict) else None
            if not isinstance(properties, dict):
                unknown = StandbyHours("unknown", None, "a pool synthesized before mdpool 0.2 (azurerm): no body to read")
                costs[name] = PoolCost(name, region, (), unknown, None, note=unknown.note)
                continue
            costs[name] = pool_cost(name, region, properties, _os_of(resolver, stack.name), prices)
    return costs


def cost_changes(base: Synthesized, head: Synthesized, prices: PriceList) -> list[CostChange]:
    """One entry per pool on either side, in name order."""
    before, after = pool_costs(base, prices), pool_costs(head, prices)
    return [CostChange(name, before.get(name), after.get(name)) for name in sorted(before.keys() | after.keys())]
