"""The difference between two synthesized outputs: per stack, blocks added, removed and changed.

A changed block lists its attributes that differ as dotted paths (`stateful_agent.grace_period_time_span`,
list items by index: `virtual_machine_scale_set_fabric.image.2.buffer`). A list of plain values
(aliases, actions) is one attribute, compared as a whole, because an alias list reads better
whole than item by item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal

from mdpool.review.replacement import forces_replacement
from mdpool.review.image_inputs import ImageInputChange, image_input_changes
from mdpool.review.synthesized import Block, Stack, Synthesized


class _Missing:
    """An attribute that is not set on one side."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class AttributeChange:
    path: str
    old: Any
    new: Any
    forces_replacement: bool


@dataclass(frozen=True)
class BlockChange:
    status: Status
    old: Block | None
    new: Block | None
    attributes: tuple[AttributeChange, ...] = ()

    @property
    def block(self) -> Block:
        """The block as it is after the change (or was, when it is removed)."""
        return self.new or self.old  # type: ignore[return-value]

    @property
    def address(self) -> str:
        return self.block.address

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def replaced(self) -> bool:
        """Terraform will certainly destroy and re-create this resource."""
        return any(change.forces_replacement for change in self.attributes)


@dataclass(frozen=True)
class StackDiff:
    name: str
    status: Status | Literal["unchanged"]
    base: Stack | None
    head: Stack | None
    changes: tuple[BlockChange, ...]

    def of_kind(self, kind: str) -> list[BlockChange]:
        return [change for change in self.changes if change.kind == kind]


@dataclass(frozen=True)
class Review:
    base: Synthesized
    head: Synthesized
    stacks: tuple[StackDiff, ...]
    images: tuple[ImageInputChange, ...] = ()
    """What changes in the image builds' inputs (variables, rendered definitions): not in any stack."""

    @property
    def has_changes(self) -> bool:
        return any(stack.changes for stack in self.stacks) or bool(self.images)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by dotted path. Empty containers and lists of plain values are leaves."""
    if isinstance(value, dict) and value:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list) and value and not all(_is_scalar(item) for item in value):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _path_order(path: str) -> tuple:
    """Natural order: image.2 before image.10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"\.", path))


def attribute_changes(old: Block, new: Block) -> tuple[AttributeChange, ...]:
    before, after = flatten(old.values), flatten(new.values)
    changes = []
    for path in sorted(before.keys() | after.keys(), key=_path_order):
        was, now = before.get(path, MISSING), after.get(path, MISSING)
        if was != now or type(was) is not type(now):
            replaced = new.kind == "resource" and forces_replacement(new.type, path)
            changes.append(AttributeChange(path, was, now, replaced))
    return tuple(changes)


def diff_stacks(base: Stack | None, head: Stack | None) -> StackDiff:
    old_blocks = base.blocks if base else {}
    new_blocks = head.blocks if head else {}
    changes: list[BlockChange] = []
    for address in sorted(old_blocks.keys() | new_blocks.keys()):
        old, new = old_blocks.get(address), new_blocks.get(address)
        if old is None:
            changes.append(BlockChange("added", None, new))
        elif new is None:
            changes.append(BlockChange("removed", old, None))
        else:
            attributes = attribute_changes(old, new)
            if attributes:
                changes.append(BlockChange("changed", old, new, attributes))
    name = (head or base).name  # type: ignore[union-attr]
    status: Status | Literal["unchanged"] = (
        "added" if base is None else "removed" if head is None else "changed" if changes else "unchanged"
    )
    return StackDiff(name, status, base, head, tuple(changes))


def diff_synthesized(base: Synthesized, head: Synthesized) -> Review:
    """Compare every stack of `head` with the stack of the same name in `base`."""
    names = list(head.stacks) + [name for name in base.stacks if name not in head.stacks]
    stacks = tuple(diff_stacks(base.stacks.get(name), head.stacks.get(name)) for name in names)
    return Review(base, head, stacks, image_input_changes(base.image_inputs, head.image_inputs))
