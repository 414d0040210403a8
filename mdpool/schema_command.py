"""`mdpool schema config|image-definition|json-output [--out FILE]`: the JSON Schemas of this version.

Generated from the installed mdpool's own models (mdpool.schemas), so a user of the wheel gets the
schema that matches the `mdpool` that checks their files, with no clone. `--out` writes the file
whole or not at all, and replaces only a file that is already this kind of mdpool schema (same `$id`):
a file of the user's is never overwritten. Cheap to import: the models load when the command runs.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Callable

import typer

from mdpool.cli_support import fail, say
from mdpool.printed import json_text


class SchemaKind(str, enum.Enum):
    config = "config"
    image_definition = "image-definition"
    json_output = "json-output"


def _generators() -> dict[SchemaKind, Callable[[], dict[str, Any]]]:
    from mdpool.json_output import document_schema
    from mdpool.schemas import config_schema, definition_schema

    return {
        SchemaKind.config: config_schema,
        SchemaKind.image_definition: definition_schema,
        SchemaKind.json_output: document_schema,
    }


def schema_text(kind: SchemaKind) -> str:
    """The schema as `make schema` writes it (two-space indent, one trailing newline)."""
    return json.dumps(_generators()[kind](), indent=2) + "\n"


MAX_SCHEMA_BYTES = 16 * 1024 * 1024
"""Largest existing --out file read to see whether it is an earlier schema (ours are under 200 KiB)."""


def out_problem(path: Path, schema_id: str) -> str | None:
    """Why `path` may not receive the schema, or None: a new path, or an earlier schema of the same `$id`."""
    from mdpool.files import FileRefused, load_json_file

    if path.is_symlink():  # os.replace would put the file where the link is: not ours to replace
        return f"{path}: is a symbolic link; choose another --out"
    if not path.exists():
        blocker = next((parent for parent in path.parents if parent.exists()), None)
        if blocker is not None and not blocker.is_dir():
            return f"{path}: {blocker} is a file, not a folder; --out needs a new file or an earlier schema of this kind"
        return None
    if path.is_dir():
        return f"{path}: is a folder; --out needs a file path"
    try:
        existing = load_json_file(path, MAX_SCHEMA_BYTES)
    except (OSError, FileRefused):
        existing = None
    if not isinstance(existing, dict) or existing.get("$id") != schema_id:
        return f"{path}: exists and is not an mdpool schema with $id {schema_id}; move it, or choose another --out"
    return None


def write_schema(path: Path, kind: SchemaKind) -> None:
    """Write the schema to `path` (new, or an earlier schema of this kind); OSError/ValueError on refusal."""
    from mdpool.review.command import write_atomically

    text = schema_text(kind)
    problem = out_problem(path, json.loads(text)["$id"])
    if problem:
        raise ValueError(problem)
    write_atomically(path, text)


def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="Which schema: the config file, an image definition file, or --json's document.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write it to FILE (new, or an earlier schema of this kind) instead of stdout."),
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of this mdpool version, for editors and other tools."""
    if out is None:
        sys.stdout.write(json_text(schema_text(kind)))
        return
    try:
        write_schema(out, kind)
    except ValueError as error:
        fail([str(error)])
    except OSError as error:
        fail([f"{out}: cannot write it ({error.strerror or error}); --out needs a path you can write"])
    say(f"wrote {out}")
