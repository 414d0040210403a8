"""Validate a request body against a swagger 2.0 (OpenAPI v2) REST spec, as the service reads it.

jsonschema understands JSON Schema, not swagger; the gaps this module closes, each in one place:

- `allOf` inheritance: a definition's own properties and required fields are merged with its
  parents', so "no unknown properties" can be checked on the merged object;
- polymorphism: a definition with a `discriminator` (e.g. `type`) stands for any of its kinds,
  the definitions that inherit from it and name their value in `x-ms-discriminator-value`
  (default: the definition's name); a body is checked against the kind its discriminator names,
  and an unknown kind is an error;
- `format: int32` / `int64`: the integer ranges the service's parsers accept;
- `readOnly`: a property the service sets; a request that sends one is refused;
- unknown properties: refused (Image Builder API 2024-02-01 and later reject unknown or wrongly
  cased properties; see the spec copy's README), so every object without `additionalProperties`
  gets `additionalProperties: false`;
- references to ARM's common types (`TrackedResource`): replaced by what those types say
  (Azure/azure-rest-api-specs, specification/common-types/resource-management/v3/types.json:
  `Resource` has read-only id, name, type and systemData; `TrackedResource` adds tags (a map of
  strings) and a required location).

`RequestValidator(spec_path).errors(body, "ImageTemplate")` returns one line per problem,
`path.to.field: message`, empty when the body is what the spec allows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import jsonschema

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

# specification/common-types/resource-management/v3/types.json: Resource and TrackedResource.
_COMMON_TYPES = {
    "TrackedResource": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string", "readOnly": True},
            "type": {"type": "string", "readOnly": True},
            "systemData": {"type": "object", "readOnly": True},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "location": {"type": "string"},
        },
        "required": ["location"],
    },
    "ProxyResource": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string", "readOnly": True},
            "type": {"type": "string", "readOnly": True},
            "systemData": {"type": "object", "readOnly": True},
        },
    },
}

_KEEP = (
    "type",
    "enum",
    "minimum",
    "maximum",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "exclusiveMinimum",
    "exclusiveMaximum",
)


class RequestValidator:
    """A swagger spec's definitions as one JSON Schema (draft 2020-12) for request bodies."""

    def __init__(self, spec_path: Path) -> None:
        self.spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
        self.definitions: dict[str, Any] = {**_COMMON_TYPES, **self.spec["definitions"]}
        self.defs: dict[str, Any] = {}
        for name in self.definitions:
            self.defs[name] = self._object(name)
            if self._discriminator(name):
                self.defs[f"{name}.kinds"] = self._kinds(name)

    # -- public

    def schema(self, definition: str) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": self.defs,
            "$ref": f"#/$defs/{self._target(definition)}",
        }

    def errors(self, body: Any, definition: str) -> list[str]:
        """`dotted.path: message` for every place the body breaks the spec; [] when it is valid."""
        validator = _RequestSchemaValidator(self.schema(definition))
        return sorted(f"{_dotted(error.absolute_path)}: {error.message}" for error in _leaves(validator.iter_errors(body)))

    def kinds(self, base: str) -> dict[str, str]:
        """Discriminator value -> definition name, for a polymorphic base (e.g. ImageTemplateCustomizer)."""
        return {self._kind_value(name): name for name in self._subtypes(base)}

    # -- building

    def _discriminator(self, name: str) -> str | None:
        return self.definitions[name].get("discriminator")

    def _parents(self, name: str) -> list[str]:
        return [_ref_name(part["$ref"]) for part in self.definitions[name].get("allOf", []) if "$ref" in part]

    def _subtypes(self, base: str) -> list[str]:
        return [name for name in self.definitions if base in self._parents(name)]

    def _kind_value(self, name: str) -> str:
        return self.definitions[name].get("x-ms-discriminator-value", name)

    def _target(self, name: str) -> str:
        """Where a `$ref` to `name` points: its kinds when it is polymorphic, else the object itself."""
        return f"{name}.kinds" if self._discriminator(name) else name

    def _kinds(self, base: str) -> dict[str, Any]:
        """Any kind of `base`, dispatched on the discriminator's value; an unknown value is an error."""
        field = self._discriminator(base)
        values = {self._kind_value(sub): sub for sub in self._subtypes(base)}
        return {
            "type": "object",
            "required": [field],
            "properties": {field: {"enum": sorted(values)}},
            "allOf": [
                {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": {"$ref": f"#/$defs/{sub}"}}
                for value, sub in sorted(values.items())
            ],
        }

    def _merged(self, name: str) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        """Properties and required fields of `name` and every parent; and the definition itself."""
        definition = self.definitions[name]
        properties: dict[str, Any] = {}
        required: list[str] = []
        for parent in self._parents(name):
            parent_props, parent_required, _ = self._merged(parent)
            properties.update(parent_props)
            required += parent_required
        properties.update(definition.get("properties", {}))
        required += definition.get("required", [])
        return properties, required, definition

    def _object(self, name: str) -> dict[str, Any]:
        properties, required, definition = self._merged(name)
        if not properties and definition.get("type") != "object" and "allOf" not in definition:
            return self._convert(definition)  # an enum or scalar definition
        schema = self._convert({**definition, "properties": properties, "required": required, "type": "object"})
        # A concrete kind fixes its discriminator to its own value.
        for parent in self._parents(name):
            field = self._discriminator(parent)
            if field:
                schema["properties"][field] = {"const": self._kind_value(name)}
        return schema

    def _convert(self, node: dict[str, Any]) -> dict[str, Any]:
        """One swagger schema node -> JSON Schema (draft 2020-12)."""
        if "$ref" in node:
            return {"$ref": f"#/$defs/{self._target(_ref_name(node['$ref']))}"}
        out: dict[str, Any] = {key: node[key] for key in _KEEP if key in node}
        if node.get("type") == "integer" and node.get("format") in INT_RANGES:
            low, high = INT_RANGES[node["format"]]
            out["minimum"] = max(out.get("minimum", low), low)
            out["maximum"] = min(out.get("maximum", high), high)
        if "items" in node:
            out["items"] = self._convert(node["items"])
        if node.get("type") == "object" or "properties" in node:
            out["type"] = "object"
            props = node.get("properties", {})
            out["properties"] = {
                key: ({"readOnly": True} if value.get("readOnly") else self._convert(value)) for key, value in props.items()
            }
            if node.get("required"):
                out["required"] = sorted(set(node["required"]))
            additional = node.get("additionalProperties")
            if isinstance(additional, dict):
                out["additionalProperties"] = self._convert(additional)
            elif additional is True:
                out["additionalProperties"] = True
            else:
                out["additionalProperties"] = False
        return out


def _refuse_read_only(validator: Any, value: bool, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """In a request, a read-only property is an error (JSON Schema only annotates it)."""
    if value:
        yield jsonschema.ValidationError("is read-only: the service sets it and a request must not send it")


_RequestSchemaValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"readOnly": _refuse_read_only})


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _leaves(errors: Iterator[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """The most specific errors: inside an if/then or anyOf, the one that says what is wrong."""
    for error in errors:
        if error.context:
            yield from _leaves(iter(error.context))
        else:
            yield error


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(body)"
