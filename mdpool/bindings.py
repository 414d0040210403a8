"""The provider bindings the stacks use, and loading them while the config is read.

Importing a binding module has jsii's Node process load the package's assembly: about three
seconds for azurerm, nearly all of it in Node, with Python waiting on a pipe. Reading and checking
the config is the other way round: Python's own work, a few tenths of a second. `mdpool synth`
therefore starts the imports on a thread (`preload`) and reads the config meanwhile, so a synth
costs little more than the imports alone (bench/run.py's floor, which imports BINDING_MODULES).

Cheap to import: nothing here loads a binding until `preload` is called.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import time

BINDING_MODULES = (
    "cdktn",
    "cdktn_provider_azurerm.provider",
    "cdktn_provider_azurerm.resource_group",
    "cdktn_provider_azurerm.shared_image_gallery",
    "cdktn_provider_azurerm.shared_image",
    "cdktn_provider_azurerm.user_assigned_identity",
    "cdktn_provider_azurerm.role_definition",
    "cdktn_provider_azurerm.role_assignment",
    "cdktn_provider_azurerm.dev_center",
    "cdktn_provider_azurerm.dev_center_project",
    "cdktn_provider_azurerm.virtual_network",
    "cdktn_provider_azurerm.subnet",
    "cdktn_provider_azapi.resource",
)
"""Every provider binding module mdpool.app's stacks import (tests/core/test_bindings.py keeps the list whole)."""


class Preload:
    """The binding imports under way on a daemon thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._load, name="mdpool-bindings", daemon=True)

    def _load(self) -> None:
        try:
            for name in BINDING_MODULES:
                importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the synth imports them again, and that import says what is wrong
            pass
        finally:
            self.done.set()

    def wait(self) -> None:
        """Block until the thread's imports end, before this thread imports a binding itself.

        Two threads importing the same jsii package at once can see it half-initialized (a CI run
        failed with "'cdktn_provider_azurerm' is not a package"): the synth imports after this.
        """
        self.done.wait()

    def abandon(self, exit_code: int) -> None:
        """The run ends before the synth (a config error): end the process now, not after the bindings load.

        jsii's exit handler would wait for Node to finish the assembly it is loading (seconds) while
        this thread still talks to it; instead every process this one started (Node, the render
        child) is stopped and reaped, and the process ends with `exit_code`. Returns when the
        imports are done already, or where the started processes cannot be listed (not Linux).
        """
        if self.done.is_set():
            return
        children = _children()
        if children is None:
            return
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for child in children:
            _stop_tree(child)
        os._exit(exit_code)


def _children(pid: int | str = "self") -> list[int] | None:
    """The processes `pid` started (Linux: /proc/<pid>/task/*/children), or None where unknown."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    pids: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listed:
                pids += [int(found) for found in listed.read().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        except (OSError, ValueError):
            return None
    return pids


def _stop_tree(child: int) -> None:
    """Stop `child` (one of ours) and what it started, each reaped by its own parent: jsii's Node runs the
    runtime in a Node process of its own, which its parent reaps once it ends, before its parent ends."""
    for grandchild in _children(child) or []:
        _stop_tree_below(grandchild)
    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _stop_tree_below(pid: int) -> None:
    for below in _children(pid) or []:
        _stop_tree_below(below)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 2.0
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:  # until its parent has reaped it
        time.sleep(0.01)


def preload() -> Preload:
    """Start importing BINDING_MODULES on a daemon thread (on the bundled Node, as the synth would)."""
    from mdpool.node import use_bundled_node

    use_bundled_node()
    started = Preload()
    started.thread.start()
    return started
