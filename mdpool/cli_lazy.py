"""Subcommands whose module is imported only when that command is looked up.

`mdpool validate` should not pay for importing `deploy`, `doctor`, `review`... (their modules, and
Typer building their options). Click's groups find a subcommand through the group's `commands`
mapping (`get_command`, `list_commands`, the help and completion all go through it), so the group
gets a mapping that holds every name at once and imports a module the first time its name is
looked up: `mdpool validate` imports none of them, `mdpool deploy` only mdpool.deploy.cli, and
`--help` (which lists every command with its help) all of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

LazyTarget = tuple[str, str]
"""(module, attribute): a command function, or a typer.Typer of subcommands."""


def load_command(name: str, target: LazyTarget) -> Any:
    """The click command (or group) named `name` that `target` describes, built as Typer builds it."""
    module, attribute = target
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = name
        return group
    single = typer.Typer(add_completion=False)  # completion is the top-level app's
    single.command(name)(found)
    return typer.main.get_command(single)  # one command and no callback: that command itself


class LazyCommands(MutableMapping[str, Any]):
    """A group's subcommands by name, in the order given; a lazy one is built when first looked up."""

    def __init__(self, loaded: MutableMapping[str, Any], lazy: dict[str, LazyTarget]) -> None:
        self._loaded = dict(loaded)
        self._lazy = {name: target for name, target in lazy.items() if name not in self._loaded}
        self._order = [*self._loaded, *self._lazy]

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._lazy:
                raise KeyError(name)
            self._loaded[name] = load_command(name, self._lazy.pop(name))
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._loaded and name not in self._lazy:
            self._order.append(name)
        self._lazy.pop(name, None)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._loaded and name not in self._lazy:
            raise KeyError(name)
        self._loaded.pop(name, None)
        self._lazy.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._lazy


def lazy_group(lazy: dict[str, LazyTarget]) -> type[TyperGroup]:
    """A TyperGroup class (for `typer.Typer(cls=...)`) whose subcommands include `lazy`."""

    class LazyGroup(TyperGroup):
        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.commands = LazyCommands(self.commands, lazy)

    return LazyGroup
