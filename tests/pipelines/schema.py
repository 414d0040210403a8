"""Validate pipeline YAML against the Azure Pipelines schema the way the service reads it.

Typing of scalars (see tests/data/azure-pipelines-schema/azure-pipelines-schema.md): Azure Pipelines reads every
YAML scalar as a string and each consumer parses it by its declared type. The schema says so for
the keywords (`timeoutInMinutes`, `maxParallel` are strings; its own `boolean` definition is a
string pattern), but types some task inputs as JSON booleans or integers. So the document is loaded
with every scalar a string (`yaml.BaseLoader`: no YAML 1.1 guessing), and the validator's type
checker accepts, where the schema asks for a boolean or an integer, exactly the strings the agent
parses as one (`true`/`false` in any case; digits). `addSpnToEnvironment: yes` is therefore an
error, as it is for the agent, which treats anything but "true" as false.

A key written twice in one mapping is an error too (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# microsoft/azure-pipelines-vscode service-schema.json, vendored with its MIT licence beside it
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "azure-pipelines-schema" / "azure-pipelines-schema.json"


class _StringLoader(yaml.BaseLoader):
    """Every scalar a string; duplicate keys refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = self.construct_scalar(key_node)  # type: ignore[arg-type]
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_pipeline(text: str) -> Any:
    return yaml.load(text, Loader=_StringLoader)  # noqa: S506 - BaseLoader subclass: strings, lists, dicts only


_BOOLEAN = re.compile(r"^(?i:true|false)$")
_INTEGER = re.compile(r"^[-+]?[0-9]+$")


def _is_boolean(checker, instance) -> bool:
    return isinstance(instance, bool) or (isinstance(instance, str) and bool(_BOOLEAN.match(instance)))


def _is_integer(checker, instance) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, str) and bool(_INTEGER.match(instance)))


def _is_number(checker, instance) -> bool:
    if _is_integer(checker, instance):
        return True
    if isinstance(instance, str):
        try:
            float(instance)
        except ValueError:
            return False
        return True
    return isinstance(instance, float)


PipelineValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine_many(
        {"boolean": _is_boolean, "integer": _is_integer, "number": _is_number}
    ),
)


class PipelineSchema:
    """The schema, a validator for whole documents, and the per-task input schemas for precise messages."""

    def __init__(self, path: Path = SCHEMA) -> None:
        self.schema = json.loads(path.read_text(encoding="utf-8-sig"))
        self.validator = PipelineValidator(self.schema)
        self.tasks: dict[str, dict] = {}
        for alternative in self.schema["definitions"]["task"]["anyOf"]:
            pattern = alternative["properties"]["task"].get("pattern", "")
            name = pattern.removeprefix("^").removesuffix("$")
            self.tasks.setdefault(name, alternative["properties"].get("inputs", {}))

    def problems(self, document: Any) -> list[str]:
        """One line per violation, most specific first: each task's inputs are checked against that
        task's own schema (so a misspelt input is named), then the whole document."""
        found = list(self._task_problems(document, ()))
        for error in self.validator.iter_errors(document):
            if not found:
                best = jsonschema.exceptions.best_match([error])
                message = (
                    f"matches none of the forms the schema allows ({best.validator})"
                    if best.validator in ("anyOf", "oneOf")
                    else best.message
                )
                found.append(f"/{_path(best.absolute_path)}: {message}")
            found.extend(
                f"/{_path(leaf.absolute_path)}: {leaf.message}"
                for leaf in _leaves(error)
                if _telling(leaf) and leaf.message not in "".join(found)
            )
        return list(dict.fromkeys(found))

    def _task_problems(self, node: Any, path: tuple) -> Any:
        if isinstance(node, dict):
            if isinstance(node.get("task"), str):
                inputs_schema = self.tasks.get(node["task"])
                if inputs_schema is None:
                    yield f"/{_path(path + ('task',))}: unknown task {node['task']!r}"
                else:
                    for error in PipelineValidator(inputs_schema).iter_errors(node.get("inputs", {})):
                        yield f"/{_path(path + ('inputs',) + tuple(error.absolute_path))}: {error.message}"
            for key, value in node.items():
                yield from self._task_problems(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from self._task_problems(value, path + (index,))


def _telling(leaf: jsonschema.ValidationError) -> bool:
    """A leaf worth showing: an unexpected key, or a scalar of the wrong type."""
    if leaf.validator == "additionalProperties":
        return True
    return leaf.validator == "type" and not isinstance(leaf.instance, (dict, list))


def _path(parts) -> str:
    return "/".join(str(part) for part in parts)


def _leaves(error: jsonschema.ValidationError):
    if not error.context:
        yield error
        return
    for cause in error.context:
        yield from _leaves(cause)
