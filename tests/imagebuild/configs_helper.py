"""Configs for the build-settings tests: the shipped example with one image built from a local definition file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from tests.imagebuild.conftest import REPO

EXAMPLE = yaml.safe_load((REPO / "config" / "example.yaml").read_text(encoding="utf-8"))


def write_config(
    tmp_path: Path,
    *,
    definition: dict[str, Any],
    image: dict[str, Any] | None = None,
    build: dict[str, Any] | None = None,
    builder: dict[str, Any] | None = None,
    pool: dict[str, Any] | None = None,
) -> Path:
    """example.yaml with its first image built from `definition` (the second dropped) and the changes applied."""
    data = copy.deepcopy(EXAMPLE)
    (path := tmp_path / "image.json").write_text(json.dumps(definition), encoding="utf-8")
    first = data["gallery"]["images"][0]
    data["gallery"]["images"] = [first]
    first.update(image or {})
    first["build"].update({"definition": path.name, "variables": {}, **(build or {})})
    data["builder"].update(builder or {})
    data["pool"].update(pool or {})
    config = tmp_path / "env.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config


def region(name: str, replicas: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"Name": name}
    if replicas is not None:
        entry["ReplicaCount"] = replicas
    return entry


def definition(*regions: dict[str, Any], os_type: str = "Linux") -> dict[str, Any]:
    kind = "ShellCustomizer" if os_type == "Linux" else "PowerShellCustomizer"
    return {"TargetRegion": list(regions), "Customizers": [{kind: True, "Name": "Hello", "Inline": ["echo hi"]}]}
