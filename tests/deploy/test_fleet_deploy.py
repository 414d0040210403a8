"""The staged deploy of a fleet on the terraform stand-ins: gallery -> images -> every pool stack,
`--pool` limiting the pool stage, and a version guard per pool (only the images that pool uses)."""

from __future__ import annotations

import pytest

from mdpool.deploy.errors import NotReady
from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.deploy.stages import Stage
from mdpool.imagebuild.builder import BuildOptions, Connection
from mdpool.loader import load_config
from mdpool.node import use_bundled_node
from tests.conftest import run_mdpool
from tests.deploy.conftest import DATA, Workspace
from tests.deploy.standin_stacks import StandInEnvironment, synthesize_standins
from tests.deploy.test_stages import STANDIN_POLICY
from tests.support.arm_standin import ArmStandIn

FLEET = DATA / "fleet.yaml"
GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-jhp-images-dev-weu/providers/"
    "Microsoft.Compute/galleries/gal_jhp_dev_weu"
)
LINUX, WINDOWS = "pool-dev-linux", "pool-dev-windows"


@pytest.fixture(scope="session")
def fleet_config():
    return load_config(FLEET)


@pytest.fixture(scope="session")
def fleet_standins(fleet_config, tmp_path_factory):
    use_bundled_node()
    environment = StandInEnvironment.from_config(fleet_config)
    return {"base": synthesize_standins(environment, tmp_path_factory.mktemp("fleet") / "cdktf.out")}


@pytest.fixture
def fleet_workspace(tmp_path, fleet_standins) -> Workspace:
    return Workspace(tmp_path, fleet_standins)


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as standin:
        yield standin


def staged(workspace, terraform, captured, arm, config, pools=None) -> Deployment:
    """A deployment as `mdpool deploy [--pool NAME]` makes it."""
    builds = ImageBuildStage(
        config,
        connection=Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs()),
        options=BuildOptions(poll_interval=0.05, auth_retry_window=2, auth_retry_interval=0.05),
        console=captured.console,
    )
    return Deployment(
        SynthOutput.load(workspace.out), terraform, builds, console=captured.console, policy=STANDIN_POLICY, pools=pools
    )


def test_the_whole_deploy_applies_gallery_then_images_then_each_pool(fleet_workspace, terraform, captured, arm, fleet_config):
    report = staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy()
    assert report.result == "succeeded"
    assert [(s.name, s.status) for s in report.stacks] == [
        ("gallery-dev", "applied"),
        (LINUX, "applied"),
        (WINDOWS, "applied"),
    ]
    # the images are built once for the fleet, between the gallery and the pools
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]
    for stack in (LINUX, WINDOWS):
        assert fleet_workspace.state_resources(stack) == ["terraform_data.pool"]
    assert f"applied gallery-dev, {LINUX}, {WINDOWS}" in captured.text
    # and again: nothing to do, one row per pool
    report = staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy()
    assert report.result == "nothing to do"
    assert [(s.name, s.status) for s in report.stacks][1:] == [(LINUX, "no changes"), (WINDOWS, "no changes")]


def test_pool_limits_the_pool_stage_to_the_named_pool(fleet_workspace, terraform, captured, arm, fleet_config):
    staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy([Stage.GALLERY, Stage.IMAGES])
    report = staged(fleet_workspace, terraform, captured, arm, fleet_config, pools=[WINDOWS]).deploy([Stage.POOL])
    assert [(s.name, s.status) for s in report.stacks] == [(WINDOWS, "applied")]
    assert fleet_workspace.serial(LINUX) is None and fleet_workspace.state_resources(WINDOWS) == ["terraform_data.pool"]


def test_the_version_guard_asks_each_pool_only_for_its_own_images(fleet_workspace, terraform, captured, arm, fleet_config):
    staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy([Stage.GALLERY])
    arm.add_image_version(f"{GALLERY}/images/ubuntu-22.04", "1.0.0")  # linux's image; windows' ubuntu-24.04 has none
    report = staged(fleet_workspace, terraform, captured, arm, fleet_config, pools=[LINUX]).deploy([Stage.POOL])
    assert [(s.name, s.status) for s in report.stacks] == [(LINUX, "applied")]
    with pytest.raises(NotReady) as caught:
        staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy([Stage.POOL])
    assert caught.value.lines == [
        f"{WINDOWS}: not planned: gallery image ubuntu-24.04 has no version yet, and a pool that references an image "
        "without a version stays failed; build it first: mdpool deploy --stage images"
    ]
    assert fleet_workspace.serial(WINDOWS) is None


def test_plan_has_a_row_per_pool(fleet_workspace, terraform, captured, arm, fleet_config):
    staged(fleet_workspace, terraform, captured, arm, fleet_config).deploy([Stage.GALLERY])
    report = staged(fleet_workspace, terraform, captured, arm, fleet_config).plan()
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "planned"), (LINUX, "planned"), (WINDOWS, "planned")]
    assert fleet_workspace.serial(LINUX) is None  # a plan applies nothing


def test_an_unknown_pool_name_is_a_usage_error(tmp_path):
    done = run_mdpool("deploy", "--auto-approve", "--config", str(FLEET), "--pool", "mac", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert "--pool mac: no such pool; allowed: linux, windows" in done.stderr
    assert not (tmp_path / "out").exists()


def test_pool_on_a_one_pool_config_is_a_usage_error(tmp_path):
    done = run_mdpool("plan", "--config", str(DATA / "deploy.yaml"), "--pool", "linux", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert "this config has one pool (`pool:`)" in done.stderr
