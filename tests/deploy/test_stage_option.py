"""`mdpool deploy --stage`: one stage at a time, as the deploy pipeline runs them behind approvals.

The real terraform on the stand-in stacks, the real build flow and Azure SDK clients against the
loopback ARM stand-in; the last tests run the installed `mdpool` in separate processes, signed in
through azure-identity's AzureCliCredential with a stand-in `az` that prints the stand-in's token.
"""

from __future__ import annotations

import os

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.deploy.stages import Stage
from mdpool.imagebuild.builder import BuildOptions, Connection
from tests.conftest import run_mdpool
from tests.deploy.conftest import CONFIG
from tests.deploy.test_deploy_scenarios import writes
from tests.deploy.test_stages import STANDIN_POLICY
from tests.support.arm_standin import ArmStandIn
from tests.support.json_contract import json_report

GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-jhp-images-dev-weu/providers/"
    "Microsoft.Compute/galleries/gal_jhp_dev_weu"
)
POOL_BEFORE_IMAGES = (
    "pool-dev: not planned: gallery image ubuntu-22.04 has no version yet, and a pool that references an image "
    "without a version stays failed; build it first: mdpool deploy --stage images"
)


def images_before_gallery(stage: str) -> str:
    return (
        f"{stage} stage: gallery-dev has not been deployed yet (its state has no outputs); deploy the gallery "
        "stage first: mdpool deploy --stage gallery"
    )


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as standin:
        yield standin


def staged(workspace, terraform, captured, arm, cfg, *stages: Stage) -> Deployment:
    """A deployment like `mdpool deploy --stage ...` makes; run it with `.deploy(stages)`."""
    builds = ImageBuildStage(
        cfg,
        connection=Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs()),
        options=BuildOptions(poll_interval=0.05, auth_retry_window=2, auth_retry_interval=0.05),
        console=captured.console,
    )
    return Deployment(SynthOutput.load(workspace.out), terraform, builds, console=captured.console, policy=STANDIN_POLICY)


def pool_lines(captured) -> list[str]:
    return [line for _, line in captured.timed if line.startswith("[pool-dev]")]


def test_the_stages_one_by_one(workspace, terraform, captured, arm, deploy_config):
    # gallery: the gallery stack alone; nothing built, the pool stack not even initialized
    report = staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.GALLERY])
    assert (report.result, report.selected, report.ran) == ("succeeded", ["gallery"], ["gallery"])
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "applied")]
    assert report.images == [] and arm.requests == []
    assert "terraform_data.gallery" in workspace.state_resources("gallery-dev")
    assert workspace.serial("pool-dev") is None and pool_lines(captured) == []
    assert not (workspace.out / "stacks/pool-dev/.terraform").exists()
    assert "deployed dev (gallery stage): applied gallery-dev" in captured.text
    assert "next: mdpool deploy --stage images" in captured.text
    gallery_serial = workspace.serial("gallery-dev")

    # images: builds into the definitions the gallery state reports; no stack planned or applied
    report = staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.IMAGES])
    assert (report.result, report.ran) == ("succeeded", ["images"])
    assert report.stacks == []
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]
    for image in report.images:
        assert [v["id"] for v in arm.image_versions(f"{GALLERY}/images/{image.name}")] == [image.version_id]
    assert workspace.serial("gallery-dev") == gallery_serial and workspace.serial("pool-dev") is None
    assert pool_lines(captured) == []
    assert "next: mdpool deploy --stage pool" in captured.text

    # pool: checks the versions (reads only), then plans and applies the pool stack alone
    seen = len(arm.requests)
    report = staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.POOL])
    assert (report.result, report.ran) == ("succeeded", ["pool"])
    assert [(s.name, s.status) for s in report.stacks] == [("pool-dev", "applied")]
    assert report.images == []
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]
    assert workspace.serial("gallery-dev") == gallery_serial
    assert writes(arm, seen) == []
    assert [r.path for r in arm.requests[seen:]] == [f"{GALLERY}/images/ubuntu-22.04/versions"]  # what the pool uses
    assert "deployed dev (pool stage): applied pool-dev" in captured.text

    # each stage again: nothing to do, said per stage
    for stage, says in [
        (Stage.GALLERY, "gallery-dev has no changes"),
        (Stage.IMAGES, "2 image(s) up to date"),
        (Stage.POOL, "pool-dev has no changes"),
    ]:
        report = staged(workspace, terraform, captured, arm, deploy_config).deploy([stage])
        assert report.result == "nothing to do"
        assert f"nothing to do ({stage.value} stage): {says}" in captured.text


def test_pool_before_images_is_refused(workspace, terraform, captured, arm, deploy_config):
    staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.GALLERY])
    dep = staged(workspace, terraform, captured, arm, deploy_config)
    with pytest.raises(DeployError) as caught:
        dep.deploy([Stage.POOL])
    assert caught.value.lines == [POOL_BEFORE_IMAGES]
    assert (dep.report.result, dep.report.ran, dep.report.errors) == ("refused", ["pool"], [POOL_BEFORE_IMAGES])
    assert dep.report.stacks == []  # refused before planning
    assert pool_lines(captured) == [] and workspace.serial("pool-dev") is None
    assert writes(arm) == []


def test_pool_with_a_pinned_version_that_does_not_exist_is_refused(workspace, terraform, captured, arm, deploy_config):
    pool = deploy_config.pool
    pinned_images = [pool.images[0].model_copy(update={"version": "1.0.0"})]
    pinned = deploy_config.model_copy(update={"pool": pool.model_copy(update={"images": pinned_images})})
    staged(workspace, terraform, captured, arm, pinned).deploy([Stage.GALLERY, Stage.IMAGES])
    assert arm.image_versions(f"{GALLERY}/images/ubuntu-22.04")  # a version, but not 1.0.0
    with pytest.raises(DeployError) as caught:
        staged(workspace, terraform, captured, arm, pinned).deploy([Stage.POOL])
    assert caught.value.lines == [
        "pool-dev: not planned: gallery image ubuntu-22.04 version 1.0.0 has no version yet, and a pool that "
        "references an image without a version stays failed; build it first: mdpool deploy --stage images"
    ]
    # a version that is still being created does not count either
    arm.add_image_version(f"{GALLERY}/images/ubuntu-22.04", "1.0.0", provisioning_state="Creating")
    with pytest.raises(DeployError):
        staged(workspace, terraform, captured, arm, pinned).deploy([Stage.POOL])
    arm.add_image_version(f"{GALLERY}/images/ubuntu-22.04", "1.0.0")
    report = staged(workspace, terraform, captured, arm, pinned).deploy([Stage.POOL])
    assert [(s.name, s.status) for s in report.stacks] == [("pool-dev", "applied")]


@pytest.mark.parametrize("stage", [Stage.IMAGES, Stage.POOL])
def test_images_or_pool_before_the_gallery_is_refused(stage, workspace, terraform, captured, arm, deploy_config):
    dep = staged(workspace, terraform, captured, arm, deploy_config)
    with pytest.raises(DeployError) as caught:
        dep.deploy([stage])
    assert caught.value.lines == [images_before_gallery(stage.value)]
    assert (dep.report.result, dep.report.ran) == ("refused", [stage.value])
    assert arm.requests == []  # nothing asked of Azure
    assert workspace.serial("gallery-dev") is None and workspace.serial("pool-dev") is None


def test_a_failed_build_in_the_images_stage_names_the_stage_to_rerun(workspace, terraform, captured, arm, deploy_config):
    staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.GALLERY])
    arm.script_build("it-jhp-ubuntu-24.04-dev", outcome="Failed", times=1)
    dep = staged(workspace, terraform, captured, arm, deploy_config)
    with pytest.raises(DeployError) as caught:
        dep.deploy([Stage.IMAGES])
    assert caught.value.lines[0].startswith("image ubuntu-24.04: build failed: ")
    assert caught.value.lines[1:] == ["fix it and run `mdpool deploy --stage images` again"]
    assert dep.report.result == "failed"
    # the stages can also be chosen together; they run in deploy order, whatever order they are named in
    report = staged(workspace, terraform, captured, arm, deploy_config).deploy([Stage.POOL, Stage.IMAGES])
    assert (report.selected, report.ran) == (["images", "pool"], ["images", "pool"])
    assert [(i.name, i.outcome) for i in report.images] == [("ubuntu-22.04", "skipped"), ("ubuntu-24.04", "built")]
    assert [(s.name, s.status) for s in report.stacks] == [("pool-dev", "applied")]


# --- as the deploy pipeline runs them: the installed mdpool, one process per stage ------------------


@pytest.fixture
def cli_env(arm, tmp_path, terraform_env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"  # AzureCliCredential runs `az account get-access-token`: this one prints the stand-in's
    az.write_text(
        f'#!/bin/sh\necho \'{{"accessToken": "{arm.credential.token}", "expires_on": 4102444800, "tokenType": "Bearer"}}\'\n'
    )
    az.chmod(0o755)
    env = {k: v for k, v in terraform_env.items() if not k.startswith(("AZURE_", "MDPOOL_"))}
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
            "MDPOOL_ARM_ENDPOINT": arm.base_url,
            "MDPOOL_ARM_CA_BUNDLE": arm.ca_file,
        }
    )
    return env


def deploy_stage(workspace, env, stage: str, *more: str):
    done = run_mdpool(
        "deploy",
        "--stage",
        stage,
        "--config",
        str(CONFIG),
        "--out",
        str(workspace.out),
        "--no-synth",
        "--json",
        "--poll-interval",
        "0.05",
        "--skip-checks",
        *more,
        env=env,
    )
    assert "Traceback" not in done.stderr
    return done.returncode, json_report(done.stdout, command="deploy"), done.stderr


def test_the_pipeline_stages_as_processes(workspace, cli_env, arm):
    # images before the gallery: one line; the build stage asks nothing, so no --auto-approve is needed
    code, summary, stderr = deploy_stage(workspace, cli_env, "images")
    assert code == 1
    assert stderr.splitlines()[-1] == images_before_gallery("images")
    assert (summary["result"], summary["stages"], summary["errors"]) == (
        "refused",
        {"selected": ["images"], "ran": ["images"]},
        [images_before_gallery("images")],
    )

    code, summary, stderr = deploy_stage(workspace, cli_env, "gallery", "--auto-approve")
    assert code == 0, stderr
    assert summary["stages"] == {"selected": ["gallery"], "ran": ["gallery"]}
    assert [(s["name"], s["status"]) for s in summary["stacks"]] == [("gallery-dev", "applied")]
    assert summary["images"] == [] and arm.requests == []

    code, summary, stderr = deploy_stage(workspace, cli_env, "pool", "--auto-approve")
    assert (code, summary["result"], summary["stacks"]) == (1, "refused", [])
    assert stderr.splitlines()[-1] == POOL_BEFORE_IMAGES

    code, summary, stderr = deploy_stage(workspace, cli_env, "images")
    assert code == 0, stderr
    assert summary["stages"]["ran"] == ["images"] and summary["stacks"] == []
    assert [(i["name"], i["outcome"]) for i in summary["images"]] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]

    code, summary, stderr = deploy_stage(workspace, cli_env, "pool", "--auto-approve")
    assert code == 0, stderr
    assert summary["stages"] == {"selected": ["pool"], "ran": ["pool"]}
    assert [(s["name"], s["status"]) for s in summary["stacks"]] == [("pool-dev", "applied")]
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]

    # the whole flow afterwards: all three stages, nothing to do
    done = run_mdpool(
        "deploy",
        "--config",
        str(CONFIG),
        "--out",
        str(workspace.out),
        "--no-synth",
        "--json",
        "--auto-approve",
        "--poll-interval",
        "0.05",
        "--skip-checks",
        env=cli_env,
    )
    summary = json_report(done.stdout, command="deploy")
    assert (done.returncode, summary["result"]) == (0, "nothing to do")
    assert summary["stages"] == {"selected": ["gallery", "images", "pool"], "ran": ["gallery", "images", "pool"]}


def test_a_stage_that_applies_still_asks_without_a_terminal(workspace, cli_env):
    done = run_mdpool(
        "deploy", "--stage", "pool", "--config", str(CONFIG), "--out", str(workspace.out), "--no-synth", env=cli_env
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mdpool deploy asks before applying each stack, but stdin is not a terminal; pass --auto-approve to apply "
        "without asking (CI)"
    ]
