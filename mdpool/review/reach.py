"""Which pools a change to a gallery image reaches: in a fleet, one image serves several pools.

A pool stack refers to a gallery image through the gallery stack's output (a cross-stack
reference); resolved against the head, the pool's body names the image as `«<gallery stack>: <image>»`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mdpool.review.diff import Review
from mdpool.review.pool_words import is_pool
from mdpool.review.references import Resolver

GALLERY_IMAGE_TYPE = "azurerm_shared_image"


@dataclass(frozen=True)
class ImageReach:
    image: str
    change: str  # create | update | replace | destroy
    stack: str
    pools: tuple[tuple[str, str], ...]
    """(pool stack, pool name) of every pool whose head body uses the image."""


def image_reach(review: Review) -> list[ImageReach]:
    resolver = Resolver(review.head)
    reached: list[ImageReach] = []
    for stack in review.stacks:
        for change in stack.of_kind("resource"):
            block = change.block
            if block.type != GALLERY_IMAGE_TYPE or not block.azure_name:
                continue
            verb = "replace" if change.replaced else {"added": "create", "removed": "destroy", "changed": "update"}[change.status]
            marker = f"«{stack.name}: {block.azure_name}»"
            pools = []
            for name, head_stack in sorted(review.head.stacks.items()):
                for pool in head_stack.blocks.values():
                    if pool.kind == "resource" and is_pool(pool.type, pool.values):
                        if marker in resolver.readable(name, json.dumps(pool.values, sort_keys=True)):
                            pools.append((name, pool.azure_name or pool.address))
            reached.append(ImageReach(block.azure_name, verb, stack.name, tuple(pools)))
    return reached
