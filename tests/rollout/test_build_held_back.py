"""With `rollout.strategy: canary` a build publishes its version held back from `latest`, so no pool at
latest takes it before its canary passed; an image no pool follows at latest, or strategy immediate,
publishes into latest as before."""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.imagebuild.images import image_specs
from mdpool.imagebuild.template import image_template
from tests.rollout.conftest import rollout_config


def distributor(cfg, name: str) -> dict:
    from mdpool.imagebuild.images import load_definition

    (spec,) = [spec for spec in image_specs(cfg) if spec.name == name]
    return image_template(load_definition(spec), spec.settings, run_output="run")["properties"]["distribute"][0]


@pytest.mark.parametrize(
    "strategy, image, held",
    [("canary", "ubuntu-22.04", True), ("canary", "ubuntu-24.04", False), ("immediate", "ubuntu-22.04", False)],
)
def test_a_canary_build_is_published_held_back(tmp_path, strategy, image, held):
    cfg = load_config(rollout_config(tmp_path, lambda data: data["rollout"].update(strategy=strategy)))
    assert distributor(cfg, image)["excludeFromLatest"] is held
