"""The `--json` contract as tests check it: every document a command prints is validated against the
committed schema/mdpool-json-output.schema.json (itself checked fresh against mdpool.json_output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "mdpool-json-output.schema.json"
_VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def json_document(stdout: str, command: str | None = None) -> dict[str, Any]:
    """stdout as exactly one JSON document (json.loads refuses anything after it) that the schema accepts."""
    document = json.loads(stdout)
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda error: list(error.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    if command is not None:
        assert document["command"] == command, document["command"]
    return document


def json_report(stdout: str, command: str | None = None) -> dict[str, Any]:
    """The command's own payload of a document that keeps the contract (None when it had none)."""
    return json_document(stdout, command)["report"]
