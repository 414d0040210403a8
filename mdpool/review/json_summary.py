"""`mdpool review --json`: the review as data, for scripts (the Markdown is for people)."""

from __future__ import annotations

from typing import Any

from mdpool.cost.summary import cost_json
from mdpool.review.cost import CostChange
from mdpool.review.diff import MISSING, Review


def _value(value: Any) -> Any:
    return None if value is MISSING else value


def review_document(review: Review, markdown: str, out: str | None, costs: list[CostChange] | None = None) -> dict[str, Any]:
    """Per stack, each changed block with its attribute changes; `set` says whether a side has the attribute."""
    return {
        "base": review.base.label,
        "head": review.head.label,
        "has_changes": review.has_changes,
        "replaced": [
            f"{stack.name}: {change.address}"
            for stack in review.stacks
            for change in stack.changes
            if change.replaced or (change.status == "removed" and change.kind == "resource")
        ],
        "stacks": [
            {
                "name": stack.name,
                "status": stack.status,
                "changes": [
                    {
                        "address": change.address,
                        "kind": change.kind,
                        "status": change.status,
                        "azure_name": change.block.azure_name,
                        "replaced": change.replaced,
                        "attributes": [
                            {
                                "path": attribute.path,
                                "old": _value(attribute.old),
                                "new": _value(attribute.new),
                                "old_set": attribute.old is not MISSING,
                                "new_set": attribute.new is not MISSING,
                                "forces_replacement": attribute.forces_replacement,
                            }
                            for attribute in change.attributes
                        ],
                    }
                    for change in stack.changes
                ],
            }
            for stack in review.stacks
        ],
        "images": [
            {
                "image": change.image,
                "change": change.what,
                "variable": change.name or None,
                "old": change.old,
                "new": change.new,
                "diff": list(change.diff),
            }
            for change in review.images
        ],
        "images_compared": review.base.image_inputs is not None and review.head.image_inputs is not None,
        "standby_cost": [
            {"pool": change.pool, "base": cost_json(change.base), "head": cost_json(change.head)} for change in costs or []
        ],
        "out": out,
        "markdown": None if out else markdown,
    }
