"""Azure's rule for each resource type's name (length and characters), and where that rule is written.

Used by `mdpool.rules.names` for every name, explicit or derived (`mdpool.naming`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """Azure's rule for one resource type's name: length and characters, and where that rule is written.

    `pattern` (matched against the whole name, ASCII only) is what the source says Azure or the
    provider refuses: an error. `advice`/`advice_text`, where given, is a stricter convention mdpool
    has no source for: a warning only.
    """

    kind: str
    min_length: int
    max_length: int
    pattern: str
    allowed: str
    source: str
    advice: str | None = None
    advice_text: str = ""

    def problem(self, name: str) -> str | None:
        """What is wrong with `name` (an error), or None if Azure accepts it."""
        if not self.min_length <= len(name) <= self.max_length:
            return (
                f"{self.kind} name {name!r} has {len(name)} characters; "
                f"allowed: {self.min_length} to {self.max_length}, {self.allowed}"
            )
        if not re.fullmatch(self.pattern, name, flags=re.ASCII):
            return f"{self.kind} name {name!r} is not valid; allowed: {self.allowed}"
        return None

    def warning(self, name: str) -> str | None:
        """A convention beyond the source that `name` breaks, or None."""
        if self.advice and not re.fullmatch(self.advice, name, flags=re.ASCII):
            return f"{self.kind} name {name!r} {self.advice_text}"
        return None


_NAME_RULES_DOC = "learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
RULES: dict[str, NameRule] = {
    rule.kind: rule
    for rule in [
        NameRule(
            "resource group",
            1,
            90,
            r"[-\w.()]*[-\w()]",
            "letters, digits, - _ . ( ), not ending in a period",
            "go-azure-helpers resourcemanager/resourcegroups/validate.go ValidateName",
        ),
        NameRule(
            "gallery",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.]*[A-Za-z0-9])?",
            "letters, digits, underscores and periods (no hyphens), starting and ending with a letter or digit",
            "azurerm compute/validate/compute.go SharedImageGalleryName; start/end: " + _NAME_RULES_DOC,
        ),
        NameRule(
            "gallery image",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?",
            "letters, digits, - _ ., starting and ending with a letter or digit",
            "azurerm compute/validate/compute.go SharedImageName; start/end: " + _NAME_RULES_DOC,
        ),
        NameRule(
            "user-assigned identity",
            3,
            128,
            r"[A-Za-z0-9][A-Za-z0-9_-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "role definition",
            1,
            512,
            r"[\s\S]*",
            "any text",
            "azurerm authorization/role_definition_resource.go name StringIsNotEmpty; 512: "
            "learn.microsoft.com/azure/role-based-access-control/custom-roles (Name)",
            advice=r"[^%]*[^ %.]",
            advice_text="contains % or ends in a space or period; Azure may refuse it",
        ),
        NameRule(
            "dev center",
            3,
            26,
            r"[A-Za-z0-9][A-Za-z0-9-]{2,25}",
            "letters, digits and hyphens, starting with a letter or digit",
            "learn.microsoft.com/azure/templates/microsoft.devcenter/devcenters (name pattern)",
        ),
        NameRule(
            "dev center project",
            3,
            63,
            r"[A-Za-z0-9][A-Za-z0-9_.-]{2,62}",
            "letters, digits, - _ ., starting with a letter or digit",
            "learn.microsoft.com/azure/templates/microsoft.devcenter/projects (name pattern)",
        ),
        NameRule(
            "managed devops pool",
            3,
            44,
            r"[A-Za-z0-9][A-Za-z0-9.-]{1,42}[A-Za-z0-9-]",
            "letters, digits, hyphens and periods, starting with a letter or digit, not ending in a period",
            "azurerm manageddevopspools/managed_devops_pool_resource.go name StringMatch",
        ),
        NameRule(
            "virtual network",
            2,
            64,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            "letters, digits, - _ ., starting with a letter or digit, ending with a letter, digit or underscore",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "subnet",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            "letters, digits, - _ ., starting with a letter or digit, ending with a letter, digit or underscore",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "image template",
            1,
            64,
            r"[A-Za-z0-9_.-]+",
            "letters, digits, - _ .",
            "Azure Image Builder REST spec 2025-10-01 ImageTemplateNameParameter pattern",
            advice=r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            advice_text="should start with a letter or digit and end with a letter, digit or underscore",
        ),
    ]
}
