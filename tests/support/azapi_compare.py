"""How the azapi provider compares the body it sends with the body it reads back (plan-time drift).

A re-statement, for the tests, of Azure/terraform-provider-azapi `internal/utils/json.go` `UpdateObject`
as `azapi_resource` calls it after a read (defaults: `ignore_missing_property = true`,
`ignore_casing = false`): the read body is shaped like the sent one. Per key the config sends: a value
the service returned is compared (recursively), a value it did not return is kept as sent (missing
properties are ignored); keys only the service returned are dropped. Arrays of another length are
taken whole from the service; arrays of the same length are compared item by item. Strings compare
case-sensitively. Anything the result holds that differs from the sent body is a change on the plan.
"""

from __future__ import annotations

from typing import Any


def shaped_read(sent: Any, read: Any) -> Any:
    """The read body as azapi shapes it after `sent` (UpdateObject with ignore_missing_property)."""
    if sent == read:
        return sent
    if isinstance(sent, dict) and isinstance(read, dict):
        return {key: shaped_read(value, read[key]) if read.get(key) is not None else value for key, value in sent.items()}
    if isinstance(sent, list) and isinstance(read, list):
        if len(sent) != len(read) or not sent:
            return read
        return [shaped_read(a, b) for a, b in zip(sent, read)]
    return read


def drift(sent: Any, read: Any, path: str = "") -> list[str]:
    """The paths where the plan after a read would show a change (empty: no change)."""
    shaped = shaped_read(sent, read)
    found: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{index}]")
        elif a != b:
            found.append(f"{where or '.'}: sent {a!r}, read {b!r}")

    walk(sent, shaped, path)
    return found
