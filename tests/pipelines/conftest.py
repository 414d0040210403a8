"""Rendered pipelines for the example and for variants of it that take the templates' other branches.

Rendering needs no synthesis (no provider bindings): it is cheap, so each variant renders once per
session from a copy of the example config edited in a temporary folder beside the image files.
"""

from __future__ import annotations

import copy
import shutil

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.pipelines.schema import PipelineSchema


def azurerm_state(config: dict) -> None:
    config["state"] = {
        "backend": "azurerm",
        "azurerm": {"resource_group_name": "rg-tfstate", "storage_account_name": "sttfstatejhp"},
    }


def no_builds(config: dict) -> None:
    azurerm_state(config)
    for image in config["gallery"]["images"]:
        image.pop("build", None)


def long_builds(config: dict) -> None:
    azurerm_state(config)
    for image in config["gallery"]["images"]:
        image["build"]["timeout_minutes"] = 240


def fleet(config: dict) -> None:
    """The pools of config/fleet.yaml (linux, windows) in place of the example's one pool."""
    from mdpool.yamlsource import load_yaml

    azurerm_state(config)
    pools = load_yaml(REPO / "config" / "fleet.yaml").data
    del config["pool"]
    config["pool_defaults"], config["pools"] = pools["pool_defaults"], pools["pools"]


def canary(config: dict) -> None:
    azurerm_state(config)
    config["rollout"] = {
        "strategy": "canary",
        "smoke": [{"organization": "your-organization", "project": "build", "pipeline": "image-smoke"}],
        "timeout_minutes": 45,
    }


TOOL_INSTALL = "mdpool[extra] >= 0.2, < 0.4"
"""An install spec with spaces, brackets and comparison signs: each must reach pip as one word."""


def tool(config: dict) -> None:
    """A repository of one's own: mdpool installed as a tool (pipelines.layout tool), shared state."""
    azurerm_state(config)
    config["pipelines"] = {"layout": "tool", "install": TOOL_INSTALL}


def tool_fleet_canary(config: dict) -> None:
    fleet(config)
    canary(config)
    config["pipelines"] = {"layout": "tool"}


VARIANTS = {
    "example": None,
    "azurerm-state": azurerm_state,
    "no-builds": no_builds,
    "long-builds": long_builds,
    "fleet": fleet,
    "canary": canary,
    "tool": tool,
    "tool-fleet-canary": tool_fleet_canary,
}


@pytest.fixture(scope="session")
def pipeline_schema() -> PipelineSchema:
    return PipelineSchema()


@pytest.fixture(scope="session")
def variant_settings(tmp_path_factory):
    """Variant name -> PipelineSettings (config referenced as config/<variant>.yaml)."""
    from mdpool.loader import load_config
    from mdpool.pipelines.settings import pipeline_layout, pipeline_settings
    from mdpool.yamlsource import load_yaml

    root = tmp_path_factory.mktemp("pipeline-variants")
    shutil.copytree(REPO / "images", root / "images")
    (root / "config").mkdir()
    example = load_yaml(EXAMPLE_CONFIG).data
    settings = {}
    for name, edit in VARIANTS.items():
        data = copy.deepcopy(example)
        if edit:
            edit(data)
        path = root / "config" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        reference = "config/example.yaml" if name == "example" else f"config/{name}.yaml"
        cfg = load_config(path)
        settings[name] = pipeline_settings(cfg, reference, pipeline_layout(cfg, REPO))  # rendered as in this repository
    return settings


@pytest.fixture(scope="session")
def rendered(variant_settings) -> dict[str, dict[str, str]]:
    """Variant name -> {file name -> YAML text}."""
    from mdpool.pipelines.render import render_pipelines

    return {name: render_pipelines(settings) for name, settings in variant_settings.items()}
