"""Problems as CI annotations, so they show on the pull request's diff, not only in the log.

In Azure Pipelines (the agent sets TF_BUILD=True) each problem also becomes a logging command
`##vso[task.logissue type=error;sourcepath=FILE;linenumber=LINE]MESSAGE`; in GitHub Actions
(GITHUB_ACTIONS=true) a workflow command `::error file=FILE,line=LINE::MESSAGE`. Anywhere else
nothing is added. Annotations go to stderr, beside the plain line: both runners read commands from
both streams (azure-pipelines-agent's handlers and actions/runner's ScriptHandler attach their
command parsing to stdout and stderr), and stdout may be carrying a `--json` summary.

The message and the file are first made inert as every printed value is (mdpool.printed: control
characters shown as codes, no nested `##vso[`), then escaped by each system's own rules:
- Azure Pipelines (microsoft/azure-pipelines-task-lib node/taskcommand.ts `escape`/`escapedata`,
  the agent's Command.cs unescape): property values escape `%` `;` `]` `\\r` `\\n`, the message
  escapes `%` `\\r` `\\n` (`%` as `%AZP25`).
- GitHub Actions (actions/toolkit packages/core/src/command.ts `escapeProperty`/`escapeData`):
  properties escape `%` `\\r` `\\n` `:` `,`, the message `%` `\\r` `\\n`.
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, Mapping, TextIO

from mdpool.printed import shown

AZURE, GITHUB = "azure", "github"


def ci_system(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    if env.get("TF_BUILD", "").lower() == "true":  # predefined variable, "True" on every agent
        return AZURE
    if env.get("GITHUB_ACTIONS", "").lower() == "true":
        return GITHUB
    return None


def _azure_property(value: str) -> str:
    return value.replace("%", "%AZP25").replace(";", "%3B").replace("]", "%5D").replace("\r", "%0D").replace("\n", "%0A")


def _azure_data(value: str) -> str:
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


def _github_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation(system: str, message: str, *, severity: str = "error", file: str | None = None, line: int | None = None) -> str:
    """One annotation command line for `system` (AZURE or GITHUB); severity error or warning."""
    kind = "warning" if severity == "warning" else "error"
    if system == AZURE:
        properties = [f"type={kind}"]
        if file:
            properties.append(f"sourcepath={_azure_property(file)}")
            if line:
                properties.append(f"linenumber={line}")
        return f"##vso[task.logissue {';'.join(properties)}]{_azure_data(message)}"
    properties = []
    if file:
        properties.append(f"file={_github_property(file)}")
        if line:
            properties.append(f"line={line}")
    return f"::{kind}{' ' + ','.join(properties) if properties else ''}::{_github_data(message)}"


def annotate(items: Iterable[object], env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> None:
    """Print an annotation for each problem, finding or plain line, when running in a CI that shows them.

    An item with `file` and `line` attributes (Problem, lint Finding) is placed on that file and line;
    its `severity`, when it has one, picks error or warning. A plain line is an error without a place.
    """
    system = ci_system(env)
    if system is None:
        return
    stream = stream or sys.stderr
    for item in items:
        file = getattr(item, "file", None)
        line = getattr(item, "line", None)
        text = str(item)
        where = f"{file}:{line}: " if line else f"{file}: "
        message = text[len(where) :] if file and text.startswith(where) else text
        # the message and the place are values: made inert first (mdpool.printed), then escaped for the command
        place = shown(file) if file else None
        print(annotation(system, shown(message), severity=getattr(item, "severity", "error"), file=place, line=line), file=stream)
