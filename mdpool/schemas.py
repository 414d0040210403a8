"""JSON Schemas for editors, and the configuration reference, generated from the models.

- `schema/mdpool-config.schema.json`: the environment config, from the pydantic models in
  mdpool.config (each field's docstring is its description);
- `schema/mdpool-image-definition.schema.json`: the blog's image definition files, from the
  parameter sets in mdpool.imagebuild.definition;
- `schema/mdpool-json-output.schema.json`: the document every `--json` prints, from
  mdpool.json_output (docs/reference/json-output.md describes it);
- `docs/reference/configuration.md`: every config field with its type, default and description.

They are committed so an editor (the YAML and JSON language servers) finds them in a clone, and a
test fails when they drift from the models. Regenerate all four with one command:
`make schema` (that is `python -m mdpool.schemas write`).

The schemas help people write files; they do not replace validation. mdpool checks more than a
schema can say (rules across fields, names, Azure's limits) and reads keys of a definition file in
any letter case, as PowerShell binds parameters; the schema suggests the spelling the blog uses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mdpool.json_output import document_schema

if TYPE_CHECKING:
    from mdpool.imagebuild.definition import Step

DRAFT = "https://json-schema.org/draft/2020-12/schema"
CONFIG_SCHEMA = "schema/mdpool-config.schema.json"
DEFINITION_SCHEMA = "schema/mdpool-image-definition.schema.json"
JSON_OUTPUT_SCHEMA = "schema/mdpool-json-output.schema.json"
CONFIG_REFERENCE = "docs/reference/configuration.md"
REGENERATE = "make schema (python -m mdpool.schemas write)"
SCHEMA_BASE = "https://mdpool.invalid/schema/"
"""The `$id` of each schema: a stable URL-form identifier on a reserved domain that never resolves
(RFC 2606 `.invalid`), the same for every version; the schema itself comes with the installed mdpool
(`mdpool schema`), so editors use a file, not this address."""
CONFIG_SCHEMA_ID = SCHEMA_BASE + "config.schema.json"
DEFINITION_SCHEMA_ID = SCHEMA_BASE + "image-definition.schema.json"


# --- the environment config --------------------------------------------------------------------------


def config_schema() -> dict[str, Any]:
    from mdpool.config import EnvironmentConfig

    schema = EnvironmentConfig.model_json_schema()
    return {
        "$schema": DRAFT,
        "$id": CONFIG_SCHEMA_ID,
        "title": "mdpool environment configuration",
        "description": "One environment of Azure Managed DevOps Pools on your own images (mdpool). "
        "Generated from mdpool.config by `" + REGENERATE + "`.",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


# --- image definition files ----------------------------------------------------------------------------


# A `*.json.j2` definition may put a jinja2 expression where a checked value goes; it is checked after rendering.
_TEMPLATE = {
    "type": "string",
    "pattern": r"\{\{.*\}\}",
    "description": "A jinja2 expression (in *.json.j2), checked after rendering.",
}


def _or_template(schema: dict[str, Any]) -> dict[str, Any]:
    options: list[dict[str, Any]] = schema["anyOf"] if "anyOf" in schema else [schema]
    return {"anyOf": [*options, _TEMPLATE]}


def _value_schema(kind: str) -> dict[str, Any]:
    """The JSON a parameter of this kind accepts (mdpool.imagebuild.definition._Parser.param)."""
    from mdpool.imagebuild.definition import _DURATION, _SHA256

    text = {"type": "string", "minLength": 1, "pattern": r"\S"}
    kinds: dict[str, dict[str, Any]] = {
        "text": text,
        "lines": {"anyOf": [text, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
        "bool": {"type": "boolean"},
        "ints": {"anyOf": [{"type": "integer"}, {"type": "array", "minItems": 1, "items": {"type": "integer"}}]},
        "count": _or_template(
            {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, {"type": "string", "pattern": r"^\s*\d+\s*$"}]}
        ),
        "uri": _or_template({"type": "string", "pattern": r"^https://[^\s/?#]+(?:[/?#]\S*)?$"}),
        "sha256": _or_template({"type": "string", "pattern": _SHA256.pattern}),
        "duration": _or_template({"type": "string", "pattern": _DURATION.pattern}),
    }
    return kinds[kind]


def _step_schema(kind: type[Step]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        kind.SWITCH: {
            "const": True,
            "description": f"Selects the {kind.SWITCH} parameter set "
            f"(ARM type {kind.ARM_TYPE}; runs on {', '.join(kind.OS_TYPES)}).",
        }
    }
    for param in kind.PARAMS:
        properties[param.key] = {**_value_schema(param.kind), "description": f"ARM property {param.rest}."}
    return {
        "type": "object",
        "title": kind.SWITCH,
        "required": [kind.SWITCH],
        "properties": properties,
        "additionalProperties": False,
    }


def definition_schema() -> dict[str, Any]:
    from mdpool.imagebuild import definition as d

    def count(low: int, high: int, what: str) -> dict[str, Any]:
        return {
            **_or_template(
                {"anyOf": [{"type": "integer", "minimum": low, "maximum": high}, {"type": "string", "pattern": r"^\s*\d+\s*$"}]}
            ),
            "description": f"{what} ({low} to {high}).",
        }

    region = {
        "type": "object",
        "required": ["Name"],
        "additionalProperties": False,
        "properties": {
            "Name": {
                **_or_template({"type": "string", "pattern": r"^[a-z][a-z0-9]+$"}),
                "description": "Azure region, lowercase, e.g. westeurope.",
            },
            "ReplicaCount": count(1, d.MAX_REPLICAS, "Replicas of the image version in this region"),
            "StorageAccountType": {"enum": list(d.STORAGE_ACCOUNT_TYPES)},
        },
    }
    top: dict[str, Any] = {
        "DiskSizeGiB": count(0, d.MAX_OS_DISK_GIB, "OS disk size in GiB; 0 keeps the source image's size"),
        "TargetRegion": {
            "anyOf": [region, {"type": "array", "minItems": 1, "items": region}],
            "description": "Regions the image version is replicated to.",
        },
        "Customizers": {
            "type": "array",
            "minItems": 1,
            "items": {"anyOf": [_step_schema(k) for k in d.CUSTOMIZER_KINDS]},
            "description": "The steps that turn the source image into a build agent, in order.",
        },
        "Validators": {
            "type": "array",
            "items": {"anyOf": [_step_schema(k) for k in d.VALIDATOR_KINDS]},
            "description": "In-VM validation after the customizers.",
        },
        "ValidateContinueDistributeOnFailure": {
            "type": "boolean",
            "description": "Distribute the image even if validation fails.",
        },
        "ValidateSourceValidationOnly": {"type": "boolean", "description": "Validate the source image only; build nothing."},
        "ErrorHandlingOnCustomizerError": {"enum": list(d.ERROR_HANDLING)},
        "ErrorHandlingOnValidationError": {"enum": list(d.ERROR_HANDLING)},
    }
    missing = set(d._TOP_KEYS) ^ set(top)
    if missing:  # a key was added to (or removed from) the reader: describe it here, then regenerate
        raise RuntimeError(f"mdpool.schemas.definition_schema does not match definition._TOP_KEYS: {sorted(missing)}")
    properties = {
        key: {"type": "string", "description": "Where editors find this schema; mdpool ignores it."} for key in d._IGNORED_KEYS
    }
    properties.update(top)
    return {
        "$schema": DRAFT,
        "$id": DEFINITION_SCHEMA_ID,
        "title": "mdpool image definition (the blog's JSON format)",
        "description": "One build-agent image for Azure Image Builder, as New-AzImageBuilderTemplate's parameters. "
        "Generated from mdpool.imagebuild.definition by `" + REGENERATE + "`. mdpool also accepts "
        "keys in another letter case.",
        "type": "object",
        "required": ["TargetRegion", "Customizers"],
        "properties": properties,
        "additionalProperties": False,
    }


# --- the configuration reference ---------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        kinds = [_type_of(option) for option in schema["anyOf"] if option.get("type") != "null"]
        optional = any(option.get("type") == "null" for option in schema["anyOf"])
        return " or ".join(kinds) + (" or null" if optional else "")
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " | ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if kind == "object":
        keys = schema.get("propertyNames", {})
        key = " | ".join(f"`{value}`" for value in keys["enum"]) if "enum" in keys else "string"
        return f"map of {key} to {_type_of(schema.get('additionalProperties', {}))}"
    limits = []
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    if "minLength" in schema:
        limits.append(f"at least {schema['minLength']} character{'s' * (schema['minLength'] != 1)}")
    for word, key in (("from", "minimum"), ("to", "maximum")):
        if key in schema:
            limits.append(f"{word} {schema[key]}")
    if "minItems" in schema:
        limits.append(f"at least {schema['minItems']}")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _default(name: str, field: dict[str, Any], required: set[str]) -> str:
    if name in required:
        return "required"
    if "default" not in field:
        return ""
    if isinstance(field["default"], dict) and field["default"] and "$ref" in field:
        return "its defaults"  # a whole section left out: each of its fields takes its own default
    return f"`{json.dumps(field['default'])}`"


def configuration_reference() -> str:
    schema = config_schema()
    definitions = schema.get("$defs", {})
    order = ["EnvironmentConfig"]

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[1]
                if name not in order:
                    order.append(name)
                    visit(definitions[name])
            for key, value in node.items():
                if key != "$defs":
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit({key: value for key, value in schema.items() if key != "$defs"})
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Generated from mdpool/config.py by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every setting of the environment configuration file, generated from the models that validate it. "
        "The [configuration guide](../configuration.md) explains how they fit together; the rules across "
        "fields that no single setting shows are checked by `mdpool validate`. Editors complete and check "
        f"the file with the JSON Schema `{CONFIG_SCHEMA}` (see the first line of `config/example.yaml`).",
        "",
    ]
    for name in order:
        model = schema if name == "EnvironmentConfig" else definitions[name]
        heading = "The file (EnvironmentConfig)" if name == "EnvironmentConfig" else name
        lines += [f"## {heading}", ""]
        if name != "EnvironmentConfig" and model.get("description"):
            lines += [_cell(model["description"]), ""]
        required = set(model.get("required", []))
        lines += ["| field | type | default | description |", "|---|---|---|---|"]
        for field_name, field in model.get("properties", {}).items():
            lines.append(
                f"| `{field_name}` | {_cell(_type_of(field))} | {_cell(_default(field_name, field, required))} "
                f"| {_cell(field.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- the files -------------------------------------------------------------------------------------------


def generated_files() -> dict[str, str]:
    """Path relative to the project root -> the text it should hold."""
    return {
        CONFIG_SCHEMA: json.dumps(config_schema(), indent=2) + "\n",
        DEFINITION_SCHEMA: json.dumps(definition_schema(), indent=2) + "\n",
        JSON_OUTPUT_SCHEMA: json.dumps(document_schema(), indent=2) + "\n",
        CONFIG_REFERENCE: configuration_reference(),
    }


def stale_files(root: Path) -> list[str]:
    return [
        name
        for name, text in generated_files().items()
        if not (root / name).is_file() or (root / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    root = Path.cwd()
    if argv not in (["write"], ["check"]):
        print("usage: python -m mdpool.schemas write|check   (run in the project root)", file=sys.stderr)
        return 2
    if argv == ["check"]:
        stale = stale_files(root)
        for name in stale:
            print(f"{name}: out of date with the models; run {REGENERATE}", file=sys.stderr)
        return 1 if stale else 0
    for name, text in generated_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
