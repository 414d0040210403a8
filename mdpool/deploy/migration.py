"""The one-time hand-over of the pool from `azurerm_managed_devops_pool` (mdpool round 1) to azapi.

The pool stack always carries a `removed` block for the former address (forget it, do not destroy)
and an `import` block for the azapi address whose `for_each` is empty unless the variable
`import_azurerm_pool` is true (mdpool.constructs.pool). Before a plan, mdpool asks the stack's state
what it holds (`terraform state list`): only a state with the azurerm pool gets the variable set, so
the pool is imported exactly once, and a fresh deploy, whose pool does not exist yet, never imports.
Kept free of cdktn: the orchestrator imports it without the provider bindings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

FORMER_TYPE = "azurerm_managed_devops_pool"
"""The resource type the pool had before it moved to azapi (mdpool round 1, azurerm 5.10)."""
IMPORT_VARIABLE = "import_azurerm_pool"


def _stack(stack_json: Path) -> dict:
    try:
        config = json.loads(stack_json.read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def offers_import(stack_json: Path) -> bool:
    """True when the synthesized stack declares the hand-over variable (the pool stack does)."""
    return IMPORT_VARIABLE in (_stack(stack_json).get("variable") or {})


def handed_over(stack_json: Path) -> set[str]:
    """The former addresses the stack's `removed` blocks forget (the pool's: `azurerm_managed_devops_pool.<id>`)."""
    return {block["from"] for block in _stack(stack_json).get("removed") or [] if isinstance(block, dict) and "from" in block}


def plan_variables(stack_json: Path, addresses: Iterable[str]) -> dict[str, str]:
    """The `-var` values the plan of this stack needs: the import switch, when the state still holds the
    address the stack hands over (a fresh state, or one already handed over, does not)."""
    if offers_import(stack_json) and handed_over(stack_json) & set(addresses):
        return {IMPORT_VARIABLE: "true"}
    return {}
