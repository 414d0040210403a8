"""Does a set of Azure RBAC permissions allow an action? (Wildcards included.)

The rule, from Microsoft's "Understand Azure role definitions" (learn.microsoft.com/azure/
role-based-access-control/role-definitions, sections Actions / NotActions / wildcard permissions):
an action string may hold `*` for any characters; a permission entry allows an action when one of
its `actions` matches and none of its `notActions` does (matching is case-insensitive); the
identity may do what any of its entries allows. Deny assignments are not in this API's answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def _matches(pattern: str, action: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def allows(permissions: Iterable[dict[str, Any]], action: str) -> bool:
    """True when one entry of a Permissions - List answer allows `action`."""
    for entry in permissions:
        if any(_matches(p, action) for p in entry.get("actions") or []) and not any(
            _matches(p, action) for p in entry.get("notActions") or []
        ):
            return True
    return False
