"""The review as Markdown for a pull request (Azure DevOps and GitHub both render it).

Order of importance: what Terraform will destroy or replace first, then per stack the pool in plain
words, the resources table, and the attribute changes of each changed block.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from mdpool.cost.estimate import LEFT_OUT, PoolCost
from mdpool.review.cost import CostChange
from mdpool.review.diff import MISSING, BlockChange, Review, StackDiff
from mdpool.review.escape import code as _code
from mdpool.review.escape import code_block
from mdpool.review.escape import text as _text
from mdpool.review.pool_words import (
    DAYS,
    PoolFacts,
    PoolImage,
    describe_pool,
    is_pool,
)
from mdpool.review.image_inputs import MAX_DIFF_LINES, ImageInputChange
from mdpool.review.reach import ImageReach, image_reach
from mdpool.review.references import Resolver

NO_CHANGES = "No changes: the synthesized stacks are identical."
_VERB = {"added": "create", "removed": "destroy", "changed": "update"}
_MARK = {"create": "+", "destroy": "−", "update": "~", "replace": "±"}


def _cell(text: str) -> str:
    """Safe inside a table cell: pipes escaped, newlines shown as \\n."""
    return text.replace("|", "\\|").replace("\n", "\\n")


def _value(value: Any, stack: str, resolver: Resolver) -> str:
    if value is MISSING:
        return "(not set)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return _cell(_code(resolver.readable(stack, text)))


def _verb(change: BlockChange) -> str:
    return "replace" if change.replaced else _VERB[change.status]


def _entries(stack: StackDiff, kind: str) -> list[dict]:
    block = stack.head.blocks.get(kind) if stack.head else None
    entries = block.values if block and isinstance(block.values, list) else []
    return [entry for entry in entries if isinstance(entry, dict)]


def moved_blocks(stack: StackDiff) -> dict[str, str]:
    """from -> to of what the head hands over without destroying: its `moved` blocks, and a `removed` block
    with `destroy = false` paired with an `import` block (mdpool.constructs.handover, the pool's hand-over
    from azurerm): Terraform keeps the resource."""
    moves = {
        entry["from"]: entry["to"]
        for entry in _entries(stack, "moved")
        if isinstance(entry.get("from"), str) and isinstance(entry.get("to"), str)
    }
    forgotten = [
        entry["from"]
        for entry in _entries(stack, "removed")
        if isinstance(entry.get("from"), str) and (entry.get("lifecycle") or {}).get("destroy") is False
    ]
    imported = [entry["to"] for entry in _entries(stack, "import") if isinstance(entry.get("to"), str)]
    if len(forgotten) == len(imported):  # one hand-over each (the pool stack has exactly one)
        moves.update(zip(forgotten, imported))
    return moves


def _moved_from_base(stack: StackDiff, address: str) -> bool:
    """`address` is the target of a move whose source the base has."""
    base = stack.base.blocks if stack.base else {}
    return any(target == address and source in base for source, target in moved_blocks(stack).items())


def _moved_names(stack: StackDiff) -> set[tuple[str, str]]:
    """(type, Azure name) pairs that one address drops and another adds: the construct id changed."""

    def named(status: str) -> set[tuple[str, str]]:
        return {
            (c.block.type, c.block.azure_name) for c in stack.of_kind("resource") if c.status == status and c.block.azure_name
        }

    return named("added") & named("removed")


def _headline(review: Review) -> str:
    stacks = len(review.stacks)
    changed = sum(1 for stack in review.stacks if stack.changes)
    counts = {"create": 0, "update": 0, "replace": 0, "destroy": 0}
    for stack in review.stacks:
        moves = moved_blocks(stack)
        for change in stack.of_kind("resource"):
            if change.status == "removed" and change.address in moves:
                continue  # counted once, as the update of the address it moves to
            moved_here = change.status == "added" and _moved_from_base(stack, change.address)
            counts["update" if moved_here else _verb(change)] += 1
    per_verb = ", ".join(f"{count} to {verb}" for verb, count in counts.items())
    images = f" Image build inputs: {len(review.images)} change(s)." if review.images else ""
    return f"**{stacks} stack(s), {changed} with changes. Resources: {per_verb}.{images}**"


def _warnings(review: Review) -> list[str]:
    lines = []
    for stack in review.stacks:
        moved = _moved_names(stack)
        moves = moved_blocks(stack)
        for change in stack.of_kind("resource"):
            block = change.block
            if change.status == "removed" and change.address in moves:
                lines.append(
                    f"> {_code(block.address)} in stack {_code(stack.name)} moves to "
                    f"{_code(moves[change.address])} (a `moved` block, or `removed` with destroy = false and an "
                    "`import`): Terraform keeps the resource, "
                    "nothing is destroyed or created."
                )
            elif change.replaced:
                causes = ", ".join(_code(a.path) for a in change.attributes if a.forces_replacement)
                lines.append(
                    f"> **Terraform will replace** {_code(block.address)} in stack {_code(stack.name)} "
                    f"({causes} changed): it is destroyed and created again."
                    + (" A replaced pool drops its agents." if is_pool(block.type, block.values) else "")
                )
            elif change.status == "removed":
                why = (
                    " (its construct id changed; the same Azure name is created again under a new address)"
                    if (block.type, block.azure_name) in moved
                    else ""
                )
                lines.append(f"> **Terraform will destroy** {_code(block.address)} in stack {_code(stack.name)}{why}.")
    return lines


def _facts_line(label: str, before: str | None, after: str | None) -> str:
    before = None if before is None else _text(before)
    after = None if after is None else _text(after)
    if before is None:
        return f"- {label}: {after}"
    if after is None:
        return f"- {label}: {before} (removed)"
    if before == after:
        return f"- {label}: {after}"
    return f"- {label}: **{before} → {after}**"


def _schedule_table(before: PoolFacts | None, after: PoolFacts | None) -> list[str]:
    old = before.standby.days if before else {}
    new = after.standby.days if after else {}
    if not old and not new:
        return []
    if before and after and old != new:
        rows = [
            f"| {day.capitalize()} | {_cell(_text(old.get(day, '-')))} | {_cell(_text(new.get(day, '-')))} |"
            for day in DAYS
            if old.get(day) != new.get(day)
        ]
        return ["", "| Day | Standby agents before | Standby agents after |", "|---|---|---|", *rows]
    days = new or old
    return [
        "",
        "| Day | Standby agents (time -> count) |",
        "|---|---|",
        *(f"| {day.capitalize()} | {_cell(_text(days[day]))} |" for day in DAYS),
    ]


def _image_change(was: PoolImage | None, now: PoolImage | None) -> str:
    if was is None:
        return "added"
    if now is None:
        return "removed"
    notes = []
    if was.aliases != now.aliases:
        notes.append(f"aliases were {', '.join(_text(alias) for alias in was.aliases) or 'none'}")
    if was.buffer != now.buffer:
        notes.append(f"buffer {_text(was.buffer)} → {_text(now.buffer)}")
    if was.options != now.options:
        notes.append(f"options were {', '.join(was.options) or 'none'}")
    return "; ".join(notes) or "unchanged"


def _images_table(before: PoolFacts | None, after: PoolFacts | None) -> list[str]:
    """One row per image, matched by source; with a Change column when both sides exist."""
    compare = before is not None and after is not None
    old = {image.image: image for image in before.images} if before else {}
    new = {image.image: image for image in after.images} if after else {}
    header = ["Image", "Aliases", "Buffer"] + (["Change"] if compare else [])
    rows = [header, ["---"] * len(header)]
    for key in list(new) + [key for key in old if key not in new]:
        was, now = old.get(key), new.get(key)
        shown = now or was
        assert shown is not None
        # image and options are Markdown already (pool_words escapes the values it quotes)
        cells = [
            shown.image + "".join(f"; {option}" for option in shown.options),
            ", ".join(_code(alias) for alias in shown.aliases) or "(none)",
            _text(shown.buffer),
        ]
        rows.append(cells + ([_image_change(was, now)] if compare else []))
    return [""] + ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]


def _pool_section(change: BlockChange, stack: str, base: Resolver, head: Resolver) -> list[str]:
    before = describe_pool(change.old.values, stack, base) if change.old else None
    after = describe_pool(change.new.values, stack, head) if change.new else None
    facts = after or before
    assert facts is not None
    state = {"added": "new", "removed": "removed", "changed": "changed"}[change.status]
    lines = ["", f"### Pool {_code(facts.name)} in plain words ({state})", ""]
    if change.status == "removed":
        return lines + ["The pool is deleted: its agents stop and pipelines that use it find no agents."]

    def pair(get) -> tuple[str | None, str | None]:
        return (get(before) if before else None), (get(after) if after else None)

    lines.append(_facts_line("Agents", *pair(lambda f: f.agents)))
    lines.append(_facts_line("Organizations", *pair(lambda f: "; ".join(f.organizations) or "none")))
    lines.append(_facts_line("Standby", *pair(lambda f: f.standby.summary)))
    lines += _schedule_table(before, after)
    lines += ["", "Images:"] + _images_table(before, after)
    lines += ["", "Sizing:", ""]
    for label in (after or before).sizing:  # type: ignore[union-attr]
        lines.append(_facts_line(label, *pair(lambda f: f.sizing.get(label, "-"))))  # noqa: B023 - called at once
    return lines


def _resources_table(stack: StackDiff) -> list[str]:
    moved = _moved_names(stack)
    moves = moved_blocks(stack)
    rows = []
    for change in stack.of_kind("resource"):
        verb = _verb(change)
        name = change.block.azure_name
        note = ""
        if change.status == "removed" and change.address in moves:
            verb, note = "update", f"moved to {moves[change.address]} (state moves; nothing destroyed)"
        elif change.status == "added" and _moved_from_base(stack, change.address):
            verb, note = "update", "moved here from its former address (state moves; nothing created)"
        elif change.status in ("added", "removed") and (change.block.type, name) in moved:
            note = "construct id changed: destroyed and created again"
        elif change.replaced:
            note = "forces replacement: " + ", ".join(_code(a.path) for a in change.attributes if a.forces_replacement)
        rows.append(
            f"| {_MARK[verb]} {verb} | {_cell(_code(change.address))} | {_cell(_code(name)) if name else ''} | {_cell(note)} |"
        )
    if not rows:
        return []
    return ["", "### Resources", "", "| Change | Resource | Azure name | Note |", "|---|---|---|---|", *rows]


def _attribute_tables(changes: Iterable[BlockChange], stack: str, base: Resolver, head: Resolver) -> list[str]:
    lines: list[str] = []
    for change in changes:
        if change.status != "changed":
            continue
        lines += ["", f"#### {_code(change.address)} ({_verb(change)})", "", "| Attribute | Before | After |", "|---|---|---|"]
        for attribute in change.attributes:
            flag = " (forces replacement)" if attribute.forces_replacement else ""
            lines.append(
                f"| {_cell(_code(attribute.path))}{flag} | {_value(attribute.old, stack, base)} "
                f"| {_value(attribute.new, stack, head)} |"
            )
    return lines


def _other_changes(stack: StackDiff, base: Resolver, head: Resolver) -> list[str]:
    others = [change for change in stack.changes if change.kind != "resource"]
    if not others:
        return []
    lines = ["", "### Outputs, data sources and settings"]
    created_or_destroyed = [f"- {_VERB[c.status]} {_code(c.address)}" for c in others if c.status != "changed"]
    if created_or_destroyed:
        lines += ["", *created_or_destroyed]
    return lines + _attribute_tables(others, stack.name, base, head)


def _stack_section(stack: StackDiff, base: Resolver, head: Resolver) -> list[str]:
    title = {"added": "new stack", "removed": "stack removed", "changed": "changed", "unchanged": "no changes"}
    lines = ["", f"## Stack {_code(stack.name)}: {title[stack.status]}"]
    if not stack.changes:
        return lines
    moves = moved_blocks(stack)
    for change in stack.of_kind("resource"):
        if not is_pool(change.block.type, change.block.values):
            continue
        if change.status == "removed" and change.address in moves:
            continue  # told with the address it moves to
        source = next((old for old, new in moves.items() if new == change.address), None)
        if change.status == "added" and stack.base and source in stack.base.blocks:
            # a moved pool: its words before (former type) and after (new type), side by side
            change = BlockChange("changed", stack.base.blocks[source], change.new)
        lines += _pool_section(change, stack.name, base, head)
    lines += _resources_table(stack)
    lines += _attribute_tables(stack.of_kind("resource"), stack.name, base, head)
    lines += _other_changes(stack, base, head)
    return lines


def _hours(cost: PoolCost | None) -> str:
    if cost is None:
        return "-"
    return "unknown" if cost.weekly_hours is None else f"{cost.weekly_hours:g}"


def _money(cost: PoolCost | None) -> str:
    if cost is None:
        return "-"
    if cost.monthly is None:
        return "unknown"
    low, high = cost.monthly
    same = f"{low:,.2f}" == f"{high:,.2f}"
    return f"{low:,.2f} {cost.currency}" if same else f"{low:,.2f} to {high:,.2f} {cost.currency}"


def _change(before: float | None, after: float | None, form: str) -> str:
    """` (+10)`: how much a figure moves, when both sides have one and it moves."""
    if before is None or after is None or format(before, form) == format(after, form):
        return ""
    difference = after - before
    return f" ({'+' if difference > 0 else '-'}{format(abs(difference), form)})"


def _cost_section(changes: list[CostChange]) -> list[str]:
    """Per pool, standby agent-hours a week and their monthly cost, before and after, and what is left out."""
    if not changes:
        return []
    lines = [
        "",
        "## Standby cost (estimate)",
        "",
        "| Pool | Standby agent-hours a week | A month at pay-as-you-go prices |",
        "|---|---|---|",
    ]
    notes: list[str] = []
    for change in changes:
        base, head = change.base, change.head
        same = base == head
        hours = _hours(head) if _hours(base) == _hours(head) else f"{_hours(base)} → {_hours(head)}"
        hours += _change(base.weekly_hours if base else None, head.weekly_hours if head else None, "g")
        money = _money(head) if _money(base) == _money(head) else f"{_money(base)} → {_money(head)}"
        highs = [cost.monthly[1] if cost and cost.monthly else None for cost in (base, head)]
        money += _change(highs[0], highs[1], ",.2f")
        lines.append(f"| {_cell(_code(change.pool))} | {_cell(hours)} | {_cell(money)} |")
        for side, cost in (("before", base), ("now", head)):
            if cost is not None and cost.note and not (same and side == "before"):
                notes.append(f"- {_code(change.pool)} ({side}): {_text(cost.note)}")
    if notes:
        lines += ["", *dict.fromkeys(notes)]
    return lines + ["", LEFT_OUT]


def _reach_section(reached: list[ImageReach]) -> list[str]:
    """Per changed gallery image, the pools that run on it: a shared image's change reaches every one."""
    if not reached:
        return []
    lines = ["", "## Gallery images and the pools they reach", "", "| image | change | pools |", "|---|---|---|"]
    for item in reached:
        pools = ", ".join(f"{_code(name)} (stack {_code(stack)})" for stack, name in item.pools) or "none"
        lines.append(f"| {_cell(_code(item.image))} | {item.change} | {_cell(pools)} |")
    return lines


def _optional(value: str | None) -> str:
    return "(not set)" if value is None else _cell(_code(value))


def _image_input_row(change: ImageInputChange) -> str:
    if change.what == "variable":
        what = f"variable {_cell(_code(change.name))}: {_optional(change.old)} → {_optional(change.new)}"
    elif change.what == "definition":
        what = f"definition file: {_optional(change.old)} → {_optional(change.new)}"
    elif change.what in ("added", "removed"):
        what = f"image {change.what} (definition {_optional(change.new if change.what == 'added' else change.old)})"
    elif change.what == "problem":
        what = f"the definition does not render: {_cell(_text(change.new or ''))}"
    elif change.diff:
        what = f"rendered definition: {change.added} line(s) added, {change.removed} removed (below)"
    else:
        what = f"rendered definition changed (too large to show; SHA-256 {_optional(change.old)} → {_optional(change.new)})"
    return f"| {_cell(_code(change.image))} | {what} |"


def _image_inputs_section(review: Review) -> list[str]:
    """What the image builds read that no stack shows: variables and the rendered definitions."""
    lines: list[str] = []
    if review.head.image_inputs is not None and review.base.image_inputs is None:
        lines += ["", "Image build inputs are not compared: the base does not record them (synthesized by an older mdpool)."]
    if not review.images:
        return lines
    lines += ["", "## Image build inputs", "", "Image builds read these; no stack shows them.", "", "| image | change |", "|---|---|"]
    lines += [_image_input_row(change) for change in review.images]
    for change in review.images:
        if change.diff:
            shown = "\n".join(change.diff)
            more = change.added + change.removed + 2 > MAX_DIFF_LINES
            lines += ["", f"Rendered definition of {_code(change.image)}" + (" (first lines of the diff)" if more else "") + ":", ""]
            lines += code_block(shown, "diff")
    return lines


def render_markdown(review: Review, base_label: str, head_label: str, costs: list[CostChange] | None = None) -> str:
    """The whole summary. Deterministic: the same two inputs (and prices) give the same text."""
    lines = ["# mdpool review", "", f"Base: {_code(base_label)} · compared with: {_code(head_label)}", ""]
    if not review.has_changes:
        return "\n".join(lines + [NO_CHANGES] + _image_inputs_section(review)) + "\n"
    lines.append(_headline(review))
    warnings = _warnings(review)
    if warnings:
        lines += [""] + [line for warning in warnings for line in (warning, ">")][:-1]
    lines += _reach_section(image_reach(review))
    lines += _image_inputs_section(review)
    lines += _cost_section(costs or [])
    base, head = Resolver(review.base), Resolver(review.head)
    for stack in review.stacks:
        lines += _stack_section(stack, base, head)
    return "\n".join(lines) + "\n"
