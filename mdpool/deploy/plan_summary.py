"""What a Terraform plan would do, per resource, read from `terraform show -json`.

The summary is what a person (or CI) decides on: create / update / replace / destroy per resource,
with replace and destroy made to stand out, and the resources whose loss hurts most (the gallery,
its image definitions, the pool) marked as protected so the deploy can refuse to lose them unless
the user names them with `--allow-replace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping

from rich.table import Table
from rich.text import Text

from mdpool.deploy.protection import ProtectionPolicy, arm_type_of
from mdpool.printed import cell, shown


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DESTROY = "destroy"
    FORGET = "forget"  # removed from state, left alone in Azure (a `removed` block)
    READ = "read"
    NOOP = "no-op"

    @property
    def loses_resource(self) -> bool:
        return self in (Action.REPLACE, Action.DESTROY)

    @property
    def changes_something(self) -> bool:
        return self not in (Action.READ, Action.NOOP)


def action_of(actions: Iterable[str]) -> Action:
    """Terraform's action list for one resource -> one word (["delete", "create"] is a replace)."""
    names = set(actions)
    if {"delete", "create"} <= names:
        return Action.REPLACE
    for name, action in (
        ("delete", Action.DESTROY),
        ("create", Action.CREATE),
        ("update", Action.UPDATE),
        ("forget", Action.FORGET),
        ("read", Action.READ),
    ):
        if name in names:
            return action
    return Action.NOOP


@dataclass(frozen=True)
class ResourceChange:
    address: str
    resource_type: str
    resource_name: str  # the Terraform block name (`azurerm_shared_image.<this>`)
    azure_name: str | None  # the resource's `name` attribute, when it has a known, non-sensitive one
    action: Action
    old_azure_name: str | None = None  # its name before the change, when that differs (a rename replaces)
    deposed: bool = False
    replace_paths: tuple[str, ...] = ()  # attributes that force the replacement
    protected_kind: str | None = None
    imported: bool = False  # adopted into the state by an `import` block (plan JSON `change.importing`)

    @property
    def display_name(self) -> str:
        return f"{self.address} ({self.name_text})" if self.name_text else self.address

    def matches(self, token: str) -> bool:
        """Does an `--allow-replace` value name this resource (full address, block name or Azure name)?"""
        bare = self.address.split("[", 1)[0]
        return token in {self.address, bare, self.resource_name, self.azure_name, self.old_azure_name}

    @property
    def name_text(self) -> str:
        if self.old_azure_name and self.azure_name:
            return f"{self.old_azure_name} -> {self.azure_name}"
        return self.azure_name or self.old_azure_name or ""


@dataclass(frozen=True)
class PlanSummary:
    stack: str
    changes: tuple[ResourceChange, ...]
    outputs_changed: tuple[str, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.pending or self.outputs_changed)

    @property
    def pending(self) -> tuple[ResourceChange, ...]:
        """What applying changes: an import writes the state even when the resource itself stays as it is."""
        return tuple(change for change in self.changes if change.action.changes_something or change.imported)

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    def counts(self) -> dict[str, int]:
        return {action.value: self.count(action) for action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DESTROY)}

    def refused(self, allowed: Iterable[str]) -> list[ResourceChange]:
        """Protected resources this plan would replace or destroy that no `--allow-replace` names."""
        allowed = list(allowed)
        return [
            change
            for change in self.changes
            if change.protected_kind and change.action.loses_resource and not any(change.matches(t) for t in allowed)
        ]

    def headline(self) -> str:
        if not self.has_changes:
            return f"{self.stack}: no changes"
        parts = [f"{count} to {action}" for action, count in self.counts().items() if count]
        imports = sum(1 for change in self.changes if change.imported)
        forgets = self.count(Action.FORGET)
        parts += [f"{count} to {word}" for word, count in (("import", imports), ("forget", forgets)) if count]
        if self.outputs_changed and not parts:
            parts.append("outputs only")
        return f"{self.stack}: " + ", ".join(parts)


def _name_attribute(change: Mapping[str, Any], state: str) -> str | None:
    """The `name` attribute before or after the change, unless unknown or sensitive (never shown then)."""
    values = change.get(state)
    hidden = change.get(f"{state}_sensitive")
    if isinstance(hidden, dict) and hidden.get("name"):
        return None
    if isinstance(values, dict) and isinstance(values.get("name"), str):
        return values["name"]
    return None


def _path_text(path: Any) -> str:
    return ".".join(str(step) for step in path) if isinstance(path, list) else str(path)


def summarize(stack: str, plan: Mapping[str, Any], policy: ProtectionPolicy | None = None) -> PlanSummary:
    """Read `terraform show -json <planfile>` into a summary (data sources are left out: they change nothing)."""
    policy = policy or ProtectionPolicy()
    changes = []
    for item in plan.get("resource_changes") or []:
        if item.get("mode") != "managed":
            continue
        change = item.get("change") or {}
        before, after = _name_attribute(change, "before"), _name_attribute(change, "after")
        changes.append(
            ResourceChange(
                address=item["address"],
                resource_type=item.get("type", ""),
                resource_name=item.get("name", ""),
                azure_name=after or before,
                old_azure_name=before if before and after and before != after else None,
                action=action_of(change.get("actions") or []),
                deposed=bool(item.get("deposed")),
                replace_paths=tuple(_path_text(p) for p in change.get("replace_paths") or []),
                imported=bool(change.get("importing")),
                protected_kind=policy.kind_of(
                    item.get("type", ""), item["address"], arm_type_of(change.get("before")) or arm_type_of(change.get("after"))
                ),
            )
        )
    outputs = tuple(
        sorted(
            name
            for name, change in (plan.get("output_changes") or {}).items()
            if action_of(change.get("actions") or []).changes_something
        )
    )
    return PlanSummary(stack=stack, changes=tuple(changes), outputs_changed=outputs)


CROSS_STACK_OUTPUT = "cross-stack-output-"

_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "bold white on red",
    Action.DESTROY: "bold white on red",
    Action.FORGET: "magenta",
}


def render_table(summary: PlanSummary) -> Table:
    """One row per changing resource; replace and destroy in red, protected resources flagged."""
    table = Table(title=cell(summary.headline()), title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("action")
    table.add_column("resource")
    table.add_column("name")
    table.add_column("note")
    for change in summary.pending:
        notes = []
        if change.protected_kind:
            kind = change.protected_kind
            notes.append("protected" if kind == "protected resource" else f"protected {kind}")
        if change.replace_paths:
            notes.append("forced by " + ", ".join(change.replace_paths))
        if change.deposed:
            notes.append("deposed object")
        if change.imported:
            notes.append("imported")
        style = _STYLE.get(change.action, "")
        table.add_row(
            Text(change.action.value, style=style),
            Text(shown(change.address), style="bold" if change.action.loses_resource else ""),
            cell(change.name_text),
            Text(shown("; ".join(notes)), style="red" if change.protected_kind and change.action.loses_resource else ""),
        )
    if summary.outputs_changed:
        # cdktn's own outputs for cross-stack references are counted, not listed: their names are noise
        named = [name for name in summary.outputs_changed if not name.startswith(CROSS_STACK_OUTPUT)]
        internal = len(summary.outputs_changed) - len(named)
        table.caption = cell(
            "outputs changing: " + ", ".join(named + ([f"{internal} cross-stack reference(s)"] if internal else []))
        )
        table.caption_justify = "left"
    return table
