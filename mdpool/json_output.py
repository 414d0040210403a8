"""The one JSON document every `--json` prints, and its JSON Schema.

Every command with `--json` prints exactly one document on stdout, on success and on failure alike
(a usage error and a missing config included):

    {"ok": true|false, "exit_code": 0, "command": "images lint",
     "problems": [{"file", "line", "path", "message", "severity", "text"}, ...],
     "report": {...the command's own payload...} | null}

`problems` holds what the command printed as `FILE:LINE: path: message` lines, errors and warnings;
`report` is what the command found or did (null when it stopped before it had anything to say).
docs/reference/json-output.md describes it for people; `document_schema()` for programs (written to
schema/mdpool-json-output.schema.json by `make schema`). Cheap to import: json and dataclasses only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

PAYLOAD_KEY = "report"
SEVERITIES = ("error", "warning")


def problem_json(item: object) -> dict[str, Any]:
    """A problem, lint finding, check row or plain message line as the contract's problem object.

    Dataclasses with `file`/`line`/`path` (mdpool.problems.Problem) keep them; a lint finding's
    `step` is its path and its rule leads the message; anything else is a message without a place.
    `text` is the line mdpool printed for it on stderr.
    """
    fields = dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else {}
    severity = fields.get("severity")
    message = str(fields.get("message", item))
    if "rule" in fields:  # a lint finding: its rule and its fix belong to what is wrong
        message = f"{fields['rule']}: {message}" + (f"; fix: {fields['fix']}" if fields.get("fix") else "")
    line = fields.get("line")
    return {
        "file": fields.get("file") or None,
        "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
        "path": fields.get("path", fields.get("step")) or None,
        "message": message,
        "severity": severity if severity in SEVERITIES else "error",
        "text": str(item),
    }


def document(command: str, exit_code: int, problems: Iterable[object] = (), report: Mapping[str, Any] | None = None) -> dict:
    """The document for one run: `ok` is exit code 0 (warnings do not make a run fail)."""
    return {
        "ok": exit_code == 0,
        "exit_code": exit_code,
        "command": command,
        "problems": [problem_json(problem) for problem in problems],
        PAYLOAD_KEY: None if report is None else dict(report),
    }


SCHEMA_ID = "https://mdpool.invalid/schema/json-output.schema.json"


def document_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of `document()`: what a script may rely on, whatever the command."""
    place = {"type": ["string", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "mdpool --json output",
        "description": "The one document any mdpool command prints on stdout with --json, on success and failure.",
        "type": "object",
        "required": ["ok", "exit_code", "command", "problems", PAYLOAD_KEY],
        "additionalProperties": False,
        "properties": {
            "ok": {"type": "boolean", "description": "true exactly when exit_code is 0."},
            "exit_code": {
                "type": "integer",
                "minimum": 0,
                "maximum": 255,
                "description": "The process exit code: 0 done (warnings included), 1 the input, a check or Azure said no, "
                "2 usage error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.",
            },
            "command": {
                "type": "string",
                "description": "The command as typed after `mdpool`, e.g. `images lint`; empty when the command line "
                "did not get that far.",
            },
            "problems": {
                "type": "array",
                "description": "Every problem printed on stderr, errors and warnings, in the order printed.",
                "items": {
                    "type": "object",
                    "required": ["file", "line", "path", "message", "severity", "text"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {**place, "description": "The file the problem is in, as given; null when none."},
                        "line": {"type": ["integer", "null"], "minimum": 1, "description": "1-based line in file, or null."},
                        "path": {**place, "description": "Dotted field path (or image step) inside the file, or null."},
                        "message": {"type": "string", "description": "What is wrong; what is allowed."},
                        "severity": {"enum": list(SEVERITIES), "description": "A warning does not fail the command."},
                        "text": {"type": "string", "description": "The problem's one line as printed on stderr."},
                    },
                },
            },
            PAYLOAD_KEY: {
                "type": ["object", "null"],
                "description": "The command's own result (see docs/reference/json-output.md per command); null when "
                "it stopped before it had one.",
            },
        },
        "allOf": [
            {
                "if": {"properties": {"exit_code": {"const": 0}}},
                # a run that succeeded may carry warnings, never an error
                "then": {"properties": {"ok": {"const": True}, "problems": {"items": {"properties": {"severity": {"const": "warning"}}}}}},
                "else": {"properties": {"ok": {"const": False}}},
            }
        ],
    }
