"""Synthesize every recorded config change once per session, in this process (after the example,
so the provider bindings are already loaded and each case costs a fraction of a second)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.review.cases import CASES


def write_case_tree(root: Path) -> dict[str, Path]:
    """Config files of every case under root/config, beside a copy of the repo's image files."""
    from mdpool.yamlsource import load_yaml

    shutil.copytree(REPO / "images", root / "images")
    (root / "config").mkdir()
    example = load_yaml(EXAMPLE_CONFIG).data
    paths = {}
    for name, edit in CASES.items():
        data = copy.deepcopy(example)
        edit(data)
        paths[name] = root / "config" / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return paths


@pytest.fixture(scope="session")
def review_case_configs(tmp_path_factory) -> dict[str, Path]:
    """Case name -> its config file (beside a copy of the image files)."""
    return write_case_tree(tmp_path_factory.mktemp("review-cases"))


@pytest.fixture(scope="session")
def review_cases(tmp_path_factory, example_synth, review_case_configs) -> dict[str, Path]:
    """Case name -> its synthesized output folder. `example_synth` first: it loads the bindings."""
    from mdpool.loader import load_config
    from mdpool.synth import synthesize

    root = tmp_path_factory.mktemp("review-outputs")
    outputs = {}
    for name, config in review_case_configs.items():
        outputs[name] = root / name
        synthesize(load_config(config), outputs[name])
    return outputs
