"""A swagger 2.0 definition of an Azure REST spec as a JSON Schema a request body must pass.

Azure's specs spell what a request may hold with a few swagger conventions that jsonschema does not
know; this module turns them into plain JSON Schema, readably, for one definition at a time:

- `$ref` to `#/definitions/X` is followed (and memoized); a ref into another file (common-types)
  becomes `{}`, accepting anything, since that file is not carried (say so in the test that uses it).
- `allOf` parents are merged into the child: their properties and required lists join the child's,
  so `additionalProperties: false` can refuse a key no level of the type declares.
- A type with a `discriminator` accepts only its subtypes' values (the definitions that list it in
  `allOf` and carry `x-ms-discriminator-value`), and a body of one kind must pass that subtype.
- `readOnly` properties are left out: a request that sends one is refused, as ARM ignores or refuses
  them and our bodies must never write what the service fills in.
- `format: int32` adds the int32 range; an object type with no declared properties stays free-form
  (e.g. `resourcePredictions`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}


class SwaggerSchemas:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.definitions: dict[str, dict[str, Any]] = spec["definitions"]
        self._built: dict[str, dict[str, Any]] = {}

    @classmethod
    def load(cls, path: Path) -> "SwaggerSchemas":
        return cls(json.loads(path.read_text(encoding="utf-8")))

    # --- public ---------------------------------------------------------------------------------

    def schema(self, name: str) -> dict[str, Any]:
        """A self-contained JSON Schema (draft 2020-12) for definition `name`."""
        self._definition(name)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"#/$defs/{name}", "$defs": dict(self._built)}

    # --- conversion -----------------------------------------------------------------------------

    def _ref_name(self, ref: str) -> str | None:
        return ref.rsplit("/", 1)[1] if ref.startswith("#/definitions/") else None

    def _definition(self, name: str) -> dict[str, Any]:
        """Build (once) the schema of one definition into $defs, and return a $ref to it."""
        if name not in self._built:
            self._built[name] = {}  # placeholder: breaks cycles
            definition = self.definitions[name]
            if "discriminator" in definition:
                self._built[name] = self._discriminated(name)
            else:
                self._built[name] = self._object_or_value(name)
        return {"$ref": f"#/$defs/{name}"}

    def _subtypes(self, base: str) -> list[str]:
        return [
            name
            for name, definition in self.definitions.items()
            if "x-ms-discriminator-value" in definition
            and any(self._ref_name(parent.get("$ref", "")) == base for parent in definition.get("allOf", ()))
        ]

    def _discriminated(self, base: str) -> dict[str, Any]:
        """The discriminator must name a subtype; if it does, the body must pass that subtype.

        `if/then` per value rather than `oneOf`, so an error names the property at fault instead of
        "not valid under any of the given schemas".
        """
        key = self.definitions[base]["discriminator"]
        values, branches = [], []
        for subtype in self._subtypes(base):
            value = self.definitions[subtype]["x-ms-discriminator-value"]
            schema = self._object_or_value(subtype)
            schema["properties"][key] = {"const": value}
            self._built[subtype] = schema
            values.append(value)
            branches.append(
                {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": {"$ref": f"#/$defs/{subtype}"}}
            )
        return {"type": "object", "required": [key], "properties": {key: {"enum": values}}, "allOf": branches}

    def _merged(self, name: str) -> tuple[dict[str, Any], list[str]]:
        """Properties and required names of `name` and every allOf parent (local ones)."""
        definition = self.definitions[name]
        properties: dict[str, Any] = {}
        required: list[str] = []
        for parent in definition.get("allOf", ()):
            parent_name = self._ref_name(parent.get("$ref", ""))
            if parent_name:
                parent_properties, parent_required = self._merged(parent_name)
                properties.update(parent_properties)
                required += parent_required
        properties.update(definition.get("properties", {}))
        required += definition.get("required", [])
        return properties, required

    def _object_or_value(self, name: str) -> dict[str, Any]:
        definition = self.definitions[name]
        if definition.get("type") != "object" and "allOf" not in definition:
            return self._value(definition)
        properties, required = self._merged(name)
        if not properties:
            return {"type": "object"}  # free-form in the spec
        writable = {key: self._value(value) for key, value in properties.items() if not value.get("readOnly")}
        return {
            "type": "object",
            "properties": writable,
            "required": sorted(set(required) & set(writable)),
            "additionalProperties": False,
        }

    def _value(self, schema: dict[str, Any]) -> dict[str, Any]:
        """One property's schema."""
        if "$ref" in schema:
            name = self._ref_name(schema["$ref"])
            return self._definition(name) if name else {}  # another file: not carried, accepted
        kind = schema.get("type")
        out: dict[str, Any] = {}
        if kind:
            out["type"] = kind
        if "enum" in schema:
            out["enum"] = list(schema["enum"])
        for bound in ("minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems"):
            if bound in schema:
                out[bound] = schema[bound]
        if kind == "integer" and schema.get("format") == "int32":
            out = {**INT32, **out}
        if kind == "array" and "items" in schema:
            out["items"] = self._value(schema["items"])
        if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
            out["additionalProperties"] = self._value(schema["additionalProperties"])
        return out
