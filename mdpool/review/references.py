"""Readable forms of the Terraform expressions a reviewer meets in synthesized JSON.

A cross-stack reference reads `${data.terraform_remote_state.cross-stack-reference-input-gallery-dev
.outputs.cross-stack-output-azurerm_shared_imageubuntuid}`: it means "the id of the gallery image
`ubuntu-22.04` from stack gallery-dev", which the review prints as `«gallery-dev: ubuntu-22.04».id`. The producing
stack's output says which resource attribute it carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mdpool.review.synthesized import Synthesized

_REMOTE_OUTPUT = re.compile(r"\$\{data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)\}")
_RESOURCE_ATTRIBUTE = re.compile(r"\$\{([a-z0-9_]+)\.([\w-]+)\.(\w+)\}")
_INPUT_PREFIX = "cross-stack-reference-input-"


@dataclass(frozen=True)
class Target:
    """A resource attribute one expression stands for."""

    stack: str
    type: str
    name: str
    attribute: str
    azure_name: str | None
    remote: bool
    """Reached through another stack's remote state."""

    def __str__(self) -> str:
        what = self.azure_name or f"{self.type}.{self.name}"
        return f"«{self.stack}: {what}».{self.attribute}" if self.remote else f"«{what}».{self.attribute}"


class Resolver:
    """Resolves expressions against one synthesized output (base or head)."""

    def __init__(self, synthesized: Synthesized) -> None:
        self.synthesized = synthesized

    def target(self, stack: str, expression: str) -> Target | None:
        """The resource attribute `${type.name.attr}` in `stack` names, following one cross-stack hop."""
        remote = _REMOTE_OUTPUT.fullmatch(expression)
        is_remote = bool(remote and remote.group(1).startswith(_INPUT_PREFIX))
        if remote and is_remote:
            stack = remote.group(1)[len(_INPUT_PREFIX) :]
            expression = self.synthesized.output_value(stack, remote.group(2)) or ""
        local = _RESOURCE_ATTRIBUTE.fullmatch(expression) if isinstance(expression, str) else None
        if not local:
            return None
        type_, name, attribute = local.groups()
        found = self.synthesized.stacks.get(stack)
        block = found.blocks.get(f"{type_}.{name}") if found else None
        return Target(stack, type_, name, attribute, block.azure_name if block else None, is_remote)

    def readable(self, stack: str, text: str) -> str:
        """`text` with each reference to a resource attribute (in this stack or, through remote
        state, in another) replaced by the Azure name it points at."""

        def replace(match: re.Match[str]) -> str:
            target = self.target(stack, match.group(0))
            return str(target) if target else match.group(0)

        return _RESOURCE_ATTRIBUTE.sub(replace, _REMOTE_OUTPUT.sub(replace, text))
