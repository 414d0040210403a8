"""Readable forms of the Terraform expressions a reviewer meets in synthesized JSON.

A cross-stack reference reads `${data.terraform_remote_state.cross-stack-reference-input-gallery-dev
.outputs.cross-stack-output-azurerm_shared_imageubuntuid}`: it means "the id of the gallery image
`ubuntu-22.04` from stack gallery-dev", which is what the review prints instead. The producing
stack's output says which resource attribute it carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mdpool.review.synthesized import Synthesized

_REMOTE_OUTPUT = re.compile(r"\$\{data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)\}")
_RESOURCE_ATTRIBUTE = re.compile(r"^\$\{([a-z0-9_]+)\.([\w-]+)\.(\w+)\}$")
_INPUT_PREFIX = "cross-stack-reference-input-"


@dataclass(frozen=True)
class Target:
    """A resource attribute one expression stands for."""

    stack: str
    type: str
    name: str
    attribute: str
    azure_name: str | None

    def __str__(self) -> str:
        what = f"`{self.azure_name}`" if self.azure_name else f"`{self.type}.{self.name}`"
        return f"{what}.{self.attribute} (stack {self.stack})"


class Resolver:
    """Resolves expressions against one synthesized output (base or head)."""

    def __init__(self, synthesized: Synthesized) -> None:
        self.synthesized = synthesized

    def target(self, stack: str, expression: str) -> Target | None:
        """The resource attribute `${type.name.attr}` in `stack` names, following one cross-stack hop."""
        remote = _REMOTE_OUTPUT.fullmatch(expression)
        if remote and remote.group(1).startswith(_INPUT_PREFIX):
            stack = remote.group(1)[len(_INPUT_PREFIX):]
            expression = self.synthesized.output_value(stack, remote.group(2)) or ""
        local = _RESOURCE_ATTRIBUTE.match(expression) if isinstance(expression, str) else None
        if not local:
            return None
        type_, name, attribute = local.groups()
        found = self.synthesized.stacks.get(stack)
        block = found.blocks.get(f"{type_}.{name}") if found else None
        return Target(stack, type_, name, attribute, block.azure_name if block else None)

    def readable(self, stack: str, text: str) -> str:
        """`text` with each cross-stack reference replaced by what it points at."""

        def replace(match: re.Match[str]) -> str:
            target = self.target(stack, match.group(0))
            return f"«{target}»" if target else match.group(0)

        return _REMOTE_OUTPUT.sub(replace, text)
