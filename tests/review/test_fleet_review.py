"""The review of a fleet: each pool in words, and which pools a change to a shared gallery image reaches."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from mdpool.review.diff import diff_synthesized
from mdpool.review.markdown import render_markdown
from mdpool.review.reach import image_reach
from mdpool.review.synthesized import load_synthesized
from tests.conftest import REPO

FLEET = REPO / "config" / "fleet.yaml"


@pytest.fixture(scope="module")
def fleet_outputs(tmp_path_factory, example_synth) -> dict[str, Path]:
    """The fleet example, and the same with its shared image ubuntu-22.04 changed (and with ubuntu-24.04 changed)."""
    from mdpool.loader import load_config
    from mdpool.synth import synthesize
    from mdpool.yamlsource import load_yaml

    root = tmp_path_factory.mktemp("fleet-review")
    shutil.copytree(REPO / "images", root / "images")
    (root / "config").mkdir()
    base = load_yaml(FLEET).data
    shared, unused = copy.deepcopy(base), copy.deepcopy(base)
    shared["gallery"]["images"][0]["description"] = "Build agents, now with more tools"
    unused["gallery"]["images"][1]["description"] = "Not used by any pool yet"
    outputs = {}
    for name, data in {"base": base, "shared": shared, "unused": unused}.items():
        path = root / "config" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        outputs[name] = root / "out" / name
        synthesize(load_config(path), outputs[name])
    return outputs


def _review(outputs, head: str):
    result = diff_synthesized(load_synthesized(outputs["base"]), load_synthesized(outputs[head]))
    return result, render_markdown(result, "base", head)


def test_a_change_to_the_shared_image_names_both_pools(fleet_outputs):
    result, text = _review(fleet_outputs, "shared")
    (reach,) = image_reach(result)
    assert (reach.image, reach.change, reach.stack) == ("ubuntu-22.04", "update", "gallery-dev")
    assert reach.pools == (
        ("pool-dev-linux", "mdp-jhp-dev-linux-weu"),
        ("pool-dev-windows", "mdp-jhp-dev-windows-weu"),
    )
    assert "## Gallery images and the pools they reach" in text
    assert (
        "| `ubuntu-22.04` | update | `mdp-jhp-dev-linux-weu` (stack `pool-dev-linux`), "
        "`mdp-jhp-dev-windows-weu` (stack `pool-dev-windows`) |"
    ) in text


def test_a_change_to_an_image_no_pool_uses_reaches_none(fleet_outputs):
    result, text = _review(fleet_outputs, "unused")
    (reach,) = image_reach(result)
    assert (reach.image, reach.pools) == ("ubuntu-24.04", ())
    assert "| `ubuntu-24.04` | update | none |" in text


def test_a_new_fleet_is_described_pool_by_pool(fleet_outputs, tmp_path):
    empty = tmp_path / "empty"
    (empty / "stacks").mkdir(parents=True)
    (empty / "manifest.json").write_text('{"version": "0", "stacks": {}}')
    result = diff_synthesized(load_synthesized(empty), load_synthesized(fleet_outputs["base"]))
    text = render_markdown(result, "nothing", "fleet")
    assert "## Stack `pool-dev-linux`: new stack" in text and "## Stack `pool-dev-windows`: new stack" in text
    assert text.count("Images:") == 2  # each pool in words, its images among them
