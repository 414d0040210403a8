"""Read a synthesized output directory into typed blocks, one per Terraform object.

The directory is what `mdpool synth --out DIR` writes: `manifest.json` naming each stack and its
`stacks/<stack>/cdk.tf.json` (Terraform JSON syntax). cdktn puts construct metadata under `//`
keys (construct paths, unique ids, stack metadata): they say nothing about Azure, change when code
moves, and are dropped here, at any depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mdpool.files import FileRefused, load_json_file, path_inside
from mdpool.problems import InputError, Problem

METADATA_KEY = "//"

# Top-level Terraform JSON keys whose children are named objects, and how an address is spelled.
_NAMED_KINDS = {"output": "output", "variable": "var", "module": "module", "provider": "provider"}
_TYPED_KINDS = {"resource": "", "data": "data."}


@dataclass(frozen=True)
class Block:
    """One Terraform object: a resource, data source, output, provider, or a settings block."""

    kind: str
    """resource, data, output, variable, module, provider, terraform or locals."""
    address: str
    """Terraform's address: `azurerm_shared_image.ubuntu`, `data.x.y`, `output.z`, `terraform`."""
    type: str
    """Resource or data source type (`azurerm_shared_image`); empty for other kinds."""
    values: Any
    """The object's arguments, with cdktn's `//` metadata removed."""

    @property
    def azure_name(self) -> str | None:
        """The `name` argument when it is a literal (most azurerm resources have one)."""
        name = self.values.get("name") if isinstance(self.values, dict) else None
        return name if isinstance(name, str) and "${" not in name else None


@dataclass(frozen=True)
class Stack:
    name: str
    blocks: dict[str, Block]
    """By address, in address order."""

    def of_kind(self, kind: str) -> list[Block]:
        return [block for block in self.blocks.values() if block.kind == kind]


@dataclass(frozen=True)
class Synthesized:
    """Every stack of one synthesized output, in the manifest's order."""

    label: str
    stacks: dict[str, Stack]
    image_inputs: dict | None = None
    """What each image build reads (mdpool.imagebuild.inputs), as synth recorded it; None: not recorded
    (an output of an mdpool before the record, or a hand-made one)."""

    def output_value(self, stack: str, output: str) -> Any:
        """The `value` of output `output` of `stack`, or None when there is no such output."""
        found = self.stacks.get(stack)
        block = found.blocks.get(f"output.{output}") if found else None
        return block.values.get("value") if block and isinstance(block.values, dict) else None


def without_metadata(value: Any) -> Any:
    """`value` with every `//` key removed, at any depth."""
    if isinstance(value, dict):
        return {key: without_metadata(item) for key, item in value.items() if key != METADATA_KEY}
    if isinstance(value, list):
        return [without_metadata(item) for item in value]
    return value


def blocks_of(document: dict[str, Any]) -> dict[str, Block]:
    """Split one stack's Terraform JSON into blocks keyed by address."""
    blocks: list[Block] = []
    for kind, body in without_metadata(document).items():
        if kind in _TYPED_KINDS and isinstance(body, dict):
            for type_, objects in body.items():
                if not isinstance(objects, dict):  # a hand-made file: compared as a whole, never a crash
                    blocks.append(Block(kind, f"{_TYPED_KINDS[kind]}{type_}", type_, objects))
                    continue
                for name, values in objects.items():
                    blocks.append(Block(kind, f"{_TYPED_KINDS[kind]}{type_}.{name}", type_, values))
        elif kind in _NAMED_KINDS and isinstance(body, dict):
            for name, values in body.items():
                blocks.append(Block(kind, f"{_NAMED_KINDS[kind]}.{name}", "", values))
        else:  # terraform, locals, and anything this reader does not know: compared as a whole
            blocks.append(Block(kind, kind, "", body))
    return {block.address: block for block in sorted(blocks, key=lambda b: b.address)}


def _read_json(path: Path, what: str) -> Any:
    try:
        return load_json_file(path)  # a regular file, bounded; its JSON nesting bounded too
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: the folder given is a file
        raise InputError(
            [Problem(str(path), None, "", f"no {what} here; expected the output of `mdpool synth --out DIR`")]
        ) from None
    except OSError as error:
        raise InputError([Problem(str(path), None, "", f"cannot read {what}: {error.strerror or error}")]) from None
    except FileRefused as refused:
        raise InputError([Problem(str(path), None, "", f"cannot read {what}: it {refused}")]) from None


def load_synthesized(directory: Path, label: str | None = None) -> Synthesized:
    """Read `directory/manifest.json` and every stack it lists; raise InputError naming what is wrong."""
    manifest_path = directory / "manifest.json"
    manifest = _read_json(manifest_path, "manifest.json")
    entries = manifest.get("stacks") if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        raise InputError([Problem(str(manifest_path), None, "stacks", "missing or not a mapping of stack names")])
    stacks: dict[str, Stack] = {}
    problems: list[Problem] = []
    for name, entry in entries.items():
        relative = entry.get("synthesizedStackPath") if isinstance(entry, dict) else None
        if not isinstance(relative, str):
            problems.append(Problem(str(manifest_path), None, f"stacks.{name}.synthesizedStackPath", "missing"))
            continue
        try:
            stack_file = path_inside(directory, relative, "the path")
        except FileRefused as refused:
            problems.append(Problem(str(manifest_path), None, f"stacks.{name}.synthesizedStackPath", str(refused)))
            continue
        try:
            document = _read_json(stack_file, f"stack {name}")
        except InputError as error:
            problems.extend(error.problems)
            continue
        if not isinstance(document, dict):
            problems.append(Problem(str(directory / relative), None, "", "not a Terraform JSON object"))
            continue
        stacks[name] = Stack(name, blocks_of(document))
    if problems:
        raise InputError(problems)
    from mdpool.imagebuild.inputs import MANIFEST_KEY

    inputs = manifest.get(MANIFEST_KEY)
    return Synthesized(label or str(directory), stacks, inputs if isinstance(inputs, dict) else None)


EMPTY = Synthesized("nothing", {})
"""A base with no stacks: everything in the head is new."""
