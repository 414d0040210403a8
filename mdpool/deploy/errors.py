"""The one error type of the deploy stages: what went wrong, one line per problem, no traceback."""

from __future__ import annotations

from typing import Iterable


class DeployError(Exception):
    """A stage could not go on. `lines` are printed as they are, one per problem, and the CLI exits 1."""

    def __init__(self, lines: str | Iterable[str]) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class TerraformError(DeployError):
    """Terraform is missing, too old, or one of its commands failed."""


class NotReady(DeployError):
    """A stage run on its own before the stage it needs (gallery state, image versions): refused, exit 1."""
