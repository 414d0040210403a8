"""Fixtures for the rollout tests: the deploy tests' environment with a canary rollout and a smoke pipeline,
the ARM and Azure DevOps stand-ins, and the stand-in pool stack applied with the real terraform."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from mdpool.deploy.recycle import pool_id_of
from tests.deploy.conftest import CONFIG, DATA, terraform_env, _standin_stacks_allowed  # noqa: F401 - fixtures (the stand-in stacks' terraform_data let in)
from tests.rollout.standin_rollout import Settings, make
from tests.support.arm_standin import ArmStandIn
from tests.support.devops_standin import DEVOPS_TOKEN, DevOpsStandIn
from tests.support.pool_standin import PoolStandIn

ORGANIZATION = "your-organization"
PROJECT = "build"
SMOKE_ID = 7
IMAGE = "ubuntu-22.04"
OLD, NEW = "0.25001.9", "0.25001.10"  # newest by number, not by text


def rollout_config(tmp_path: Path, change=lambda data: None) -> Path:
    data = yaml.safe_load(CONFIG.read_text())
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(DATA / "agent.json.j2")
    data["rollout"] = {
        "strategy": "canary",
        "smoke": [{"organization": ORGANIZATION, "project": PROJECT, "pipeline": SMOKE_ID}],
        "timeout_minutes": 1,
    }
    change(data)
    path = tmp_path / "rollout.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def arm():
    with ArmStandIn() as standin:
        yield standin


@pytest.fixture
def devops():
    with DevOpsStandIn() as standin:
        standin.add_organization(ORGANIZATION)
        standin.add_pipeline(ORGANIZATION, PROJECT, SMOKE_ID, "image-smoke", parameters=("imageOverride",), polls=1)
        yield standin


@dataclasses.dataclass
class World:
    """The stand-ins, the config, and the rollout as mdpool builds it."""

    arm: ArmStandIn
    devops: DevOpsStandIn
    pool: PoolStandIn
    settings: Settings
    output: io.StringIO

    def rollout(self):
        console = Console(file=self.output, width=200, color_system=None)
        return make(self.settings, lambda line: self.output.write(line + "\n"), console)

    @property
    def text(self) -> str:
        return self.output.getvalue()

    def exclude_from_latest(self, version: str) -> bool:
        from mdpool.loader import load_config

        cfg = load_config(self.settings.config)
        versions = self.arm.image_versions(cfg.names.gallery_image_id(IMAGE))
        found = next(v for v in versions if v["name"] == version)
        return found["properties"]["publishingProfile"]["excludeFromLatest"]


@pytest.fixture
def world(tmp_path, arm, devops, terraform_env) -> World:
    from mdpool.loader import load_config
    from mdpool.node import use_bundled_node

    use_bundled_node()
    config = rollout_config(tmp_path)
    cfg = load_config(config)
    image_id = cfg.names.gallery_image_id(IMAGE)
    arm.add_image_version(image_id, OLD)
    arm.add_image_version(image_id, NEW, exclude_from_latest=True)  # as a canary build publishes it: held back
    arm.add_image_version(cfg.names.gallery_image_id("ubuntu-24.04"), "0.25001.1")
    pool = PoolStandIn(arm, pool_id_of(cfg), page_size=2)
    pool.add_machine("m1-ready-old", status="Ready", image=image_id, image_version=OLD)
    pool.add_machine("m2-leased-old", status="Leased", image=image_id, image_version=OLD)
    pool.add_machine("m3-ready-old", status="Ready", image=image_id, image_version=OLD)
    pool.add_machine("m4-ready-old", status="Ready", image=image_id, image_version=OLD)
    settings = Settings(
        config=str(config),
        root=str(tmp_path),
        arm_url=arm.base_url,
        arm_ca=arm.ca_file,
        arm_token=arm.credential.token,
        devops_url=devops.base_url,
        devops_ca=devops.ca_file,
        devops_token=DEVOPS_TOKEN,
        terraform_env=terraform_env,
    )
    return World(arm, devops, pool, settings, io.StringIO())


@pytest.fixture
def deployed(world) -> World:
    """The environment as a deploy left it: gallery and pool applied, the pool at `latest`."""
    rollout, close, stack = world.rollout()
    close()
    stack.deploy_everything()
    return world
