"""What each image build reads: its definition file, its variables and the rendered definition.

Image builds are not Terraform (the images stage builds them through the SDK), so the stacks do not
show what a pull request changes in them. `synth` records these inputs in the output's manifest
(key `mdpool_image_inputs`) and `mdpool review` compares them between the base and the head: a
changed variable, and the change of the rendered definition, are shown even when no stack changes.
The record is the same from any working directory (paths relative to the config file's folder).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mdpool.problems import InputError

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig

MANIFEST_KEY = "mdpool_image_inputs"
MAX_RECORDED_CHARS = 1024 * 1024
"""Largest rendered definition kept whole in the manifest; a larger one is recorded by its SHA-256 only."""


def image_inputs(cfg: EnvironmentConfig) -> dict[str, dict[str, Any]]:
    """Per buildable image: `definition` (relative path), `variables` (all the template sees), and
    `rendered` + `sha256`, or `problem` when the definition does not render."""
    from mdpool.imagebuild.images import image_specs, render_spec

    folder = Path(cfg.config_path).resolve().parent
    record: dict[str, dict[str, Any]] = {}
    for spec in image_specs(cfg):
        entry: dict[str, Any] = {
            "definition": Path(os.path.relpath(Path(spec.definition_path).resolve(), folder)).as_posix(),
            "variables": dict(sorted(spec.template_variables.items())),
        }
        try:
            text = render_spec(spec).text
        except InputError as error:  # validate says so in full; the record keeps what the review needs
            entry["problem"] = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in error.problems)
        else:
            entry["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            entry["rendered"] = text if len(text) <= MAX_RECORDED_CHARS else None
        record[spec.name] = entry
    return record


def record_image_inputs(manifest_path: Path, inputs: dict[str, dict[str, Any]]) -> None:
    """Add `inputs` to the manifest cdktn wrote, in the form mdpool.output_folder.mark_manifest writes it."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest[MANIFEST_KEY] = inputs
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
