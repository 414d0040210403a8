"""Approved plan = applied plan: `mdpool plan --stage S --save DIR`, then `mdpool deploy --plan DIR`.

The real terraform on the stand-in stacks, through the CLI: the saved plan is applied as it is (no
second plan), a plan the state moved past is refused in one line, and a folder that is not mdpool's
is never overwritten.
"""

from __future__ import annotations

import json
import stat

import pytest

from mdpool.deploy.errors import DeployError
from tests.conftest import run_mdpool
from tests.deploy.test_cli import config_without_builds, mdpool_json  # noqa: F401 - fixture
from tests.deploy.test_deploy_scenarios import arm  # noqa: F401 - fixture

STALE = (
    "gallery-dev: the saved plan in {plan} is stale (the state changed since it was planned) and was not "
    "applied; run the gallery stage again, from its plan: mdpool plan --stage gallery --save {plan}"
)


def _common(workspace, config):
    return ("--config", str(config), "--out", str(workspace.out))


def test_the_saved_plan_is_applied_without_planning_again(workspace, terraform_env, config_without_builds, tmp_path):
    plan_dir = tmp_path / "plan-gallery"
    code, summary, stderr = mdpool_json(
        "plan",
        *_common(workspace, config_without_builds),
        "--no-synth",
        "--stage",
        "gallery",
        "--save",
        str(plan_dir),
        env=terraform_env,
    )
    assert code == 0, stderr
    assert summary["result"] == "planned" and summary["stacks"][0]["changes"]["create"] == 5
    manifest = json.loads((plan_dir / "mdpool-plan.json").read_text())
    assert manifest["stage"] == "gallery" and manifest["stack"] == "gallery-dev"
    assert (plan_dir / manifest["plan_file"]).is_file()
    assert stat.S_IMODE((plan_dir / manifest["plan_file"]).stat().st_mode) == 0o600  # a plan can hold secrets
    assert (plan_dir / "synth" / "stacks" / "gallery-dev" / "cdk.tf.json").is_file()
    assert not list((plan_dir / "synth").rglob(".terraform"))  # working files never travel with a plan
    markdown = (plan_dir / "summary.md").read_text()
    assert "**gallery-dev: 5 to create**" in markdown and "| create | `terraform_data.gallery` |" in markdown
    assert workspace.state_resources("gallery-dev") == []  # planning applied nothing

    # the apply job: a fresh folder (as a fresh checkout), the saved plan only
    fresh = tmp_path / "apply" / "cdktf.out"
    code, summary, stderr = mdpool_json(
        "deploy", "--config", str(config_without_builds), "--out", str(fresh), "--plan", str(plan_dir), env=terraform_env
    )
    assert code == 0, stderr
    assert summary["result"] == "succeeded"
    assert [(s["name"], s["status"]) for s in summary["stacks"]] == [("gallery-dev", "applied")]
    assert "[gallery-dev] Apply complete! Resources: 5 added" in stderr
    assert "Terraform will perform the following actions" not in stderr  # no second plan
    assert not (plan_dir / manifest["plan_file"]).exists()  # applied once, then gone (plans can hold secrets)
    # the state lives beside the folder the apply used, as for any synth output
    assert (tmp_path / "apply" / "state" / "gallery-dev.tfstate").is_file()


def test_a_plan_the_state_moved_past_is_refused_in_one_line(workspace, terraform_env, config_without_builds, tmp_path):
    common = _common(workspace, config_without_builds)
    plan_dir = tmp_path / "plan-gallery"
    assert mdpool_json("plan", *common, "--no-synth", "--stage", "gallery", "--save", str(plan_dir), env=terraform_env)[0] == 0
    # meanwhile someone else deploys the gallery: the state changes
    assert (
        mdpool_json("deploy", *common, "--no-synth", "--auto-approve", "--skip-checks", "--stage", "gallery", env=terraform_env)[
            0
        ]
        == 0
    )
    serial = workspace.serial("gallery-dev")
    code, summary, stderr = mdpool_json("deploy", *common, "--plan", str(plan_dir), env=terraform_env)
    assert code == 1 and "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1] == STALE.format(plan=plan_dir.as_posix())
    assert summary["result"] == "refused" and summary["stacks"][0]["status"] == "stale"
    assert workspace.serial("gallery-dev") == serial  # nothing applied
    assert not list(plan_dir.glob("*.tfplan"))


def test_a_saved_plan_that_would_replace_a_protected_resource_is_refused_before_the_approval(
    workspace, terraform_env, config_without_builds, tmp_path
):
    common = _common(workspace, config_without_builds)
    assert mdpool_json("deploy", *common, "--no-synth", "--auto-approve", "--skip-checks", env=terraform_env)[0] == 0
    workspace.use("gallery-renamed")
    plan_dir = tmp_path / "plan"
    code, summary, stderr = mdpool_json(
        "plan", *common, "--no-synth", "--stage", "gallery", "--save", str(plan_dir), env={**terraform_env, "TF_BUILD": "True"}
    )
    assert code == 1 and summary["result"] == "refused"
    assert all(line.startswith("gallery-dev: refusing to replace") for line in summary["errors"])
    # in Azure Pipelines each refusal is an error on the run too (stdout stays the JSON alone)
    issues = [line for line in stderr.splitlines() if line.startswith("##vso[task.logissue type=error]")]
    assert issues == [f"##vso[task.logissue type=error]{line}" for line in summary["errors"]]
    assert not plan_dir.exists()  # nothing half-written


def test_a_replacement_allowed_when_saving_must_be_allowed_again_when_applying(
    workspace, terraform_env, config_without_builds, tmp_path
):
    common = _common(workspace, config_without_builds)
    assert mdpool_json("deploy", *common, "--no-synth", "--auto-approve", "--skip-checks", env=terraform_env)[0] == 0
    workspace.use("gallery-renamed")
    refused = mdpool_json("plan", *common, "--no-synth", "--stage", "gallery", "--save", str(tmp_path / "x"), env=terraform_env)
    addresses = [line.rsplit("--allow-replace ", 1)[1] for line in refused[1]["errors"]]
    allowed = [arg for address in addresses for arg in ("--allow-replace", address)]
    plan_dir = tmp_path / "plan"
    code, _, stderr = mdpool_json(
        "plan", *common, "--no-synth", "--stage", "gallery", "--save", str(plan_dir), *allowed, env=terraform_env
    )
    assert code == 0, stderr
    before = workspace.state_resources("gallery-dev")
    code, summary, _ = mdpool_json("deploy", *common, "--plan", str(plan_dir), env=terraform_env)
    assert code == 1 and summary["result"] == "refused"
    assert summary["errors"] and all(line.startswith("gallery-dev: refusing to replace") for line in summary["errors"])
    assert workspace.state_resources("gallery-dev") == before  # nothing applied


def test_save_refuses_a_folder_that_is_not_a_saved_plan(workspace, terraform_env, config_without_builds, tmp_path):
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    done = run_mdpool(
        "plan",
        *_common(workspace, config_without_builds),
        "--no-synth",
        "--stage",
        "gallery",
        "--save",
        str(precious),
        env=terraform_env,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"{precious}: exists and is not a saved mdpool plan")
    assert (precious / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("kind", ["file", "folder of other files"])
def test_a_wrong_save_is_refused_before_the_synth(tmp_path, kind):
    # it was refused only after synthesizing into --out (seconds, and an output folder nobody asked for)
    target = tmp_path / "mine"
    if kind == "file":
        target.write_text("keep me")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("keep me")
    out = tmp_path / "out"
    done = run_mdpool("plan", "--out", str(out), "--stage", "gallery", "--save", str(target))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{target}: exists and is not a saved mdpool plan; choose an empty or new folder (mdpool replaces only its own saved plans)"
    ]
    assert not out.exists()
    assert (target.read_text() if kind == "file" else (target / "notes.txt").read_text()) == "keep me"


def test_save_without_a_stage_is_a_usage_error(tmp_path):
    done = run_mdpool("plan", "--save", str(tmp_path / "plan"))
    assert done.returncode == 2
    assert "--save needs --stage" in done.stderr


def test_deploy_plan_refuses_a_folder_without_a_saved_plan(tmp_path):
    done = run_mdpool("deploy", "--plan", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"{tmp_path / 'mdpool-plan.json'}: missing; DIR must be a folder written by `mdpool plan --stage STAGE --save DIR`"
    )


def test_the_pool_stage_is_saved_and_applied_the_same_way(workspace, terraform, captured, arm, deploy_config, tmp_path):
    """In process, with the image builds on the ARM stand-in: the pool's plan checks its images first."""
    from mdpool.deploy.errors import NotReady
    from mdpool.deploy.saved_plan import SavedPlan, apply_saved, plan_stage
    from mdpool.deploy.stages import Stage
    from tests.deploy.test_deploy_scenarios import make_deployment

    plan_dir = tmp_path / "plan-pool"
    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy(["gallery"])
    with pytest.raises(NotReady) as refused:  # no image version yet: refused before anything is saved
        plan_stage(
            make_deployment(workspace, terraform, captured, arm, deploy_config),
            Stage.POOL,
            plan_dir,
            command="mdpool deploy --plan DIR",
        )
    assert refused.value.lines == [
        "pool-dev: not planned: gallery image ubuntu-22.04 has no version yet, and a pool "
        "that references an image without a version stays failed; build it first: mdpool "
        "deploy --stage images"
    ]
    assert not plan_dir.exists()

    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy(["images"])
    plan_stage(
        make_deployment(workspace, terraform, captured, arm, deploy_config),
        Stage.POOL,
        plan_dir,
        command="mdpool deploy --plan DIR",
    )
    assert json.loads((plan_dir / "mdpool-plan.json").read_text())["stack"] == "pool-dev"
    assert workspace.state_resources("pool-dev") == []
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    apply_saved(dep, SavedPlan.load(plan_dir))
    assert [(s.name, s.status) for s in dep.report.stacks] == [("pool-dev", "applied")]
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]
    # a saved plan is applied once: the folder no longer holds a plan to apply
    with pytest.raises(DeployError) as again:
        SavedPlan.load(plan_dir)
    assert again.value.lines == [
        f"{plan_dir}: its plan file pool-dev.tfplan is missing (applied already? plans are "
        f"removed once applied); plan again: mdpool plan --stage pool --save "
        f"{plan_dir.as_posix()}"
    ]


def test_deploy_plan_with_another_stage_is_a_usage_error(workspace, terraform_env, config_without_builds, tmp_path):
    plan_dir = tmp_path / "plan-gallery"
    assert (
        mdpool_json(
            "plan",
            *_common(workspace, config_without_builds),
            "--no-synth",
            "--stage",
            "gallery",
            "--save",
            str(plan_dir),
            env=terraform_env,
        )[0]
        == 0
    )
    done = run_mdpool(
        "deploy", *_common(workspace, config_without_builds), "--plan", str(plan_dir), "--stage", "pool", env=terraform_env
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"{plan_dir}: holds the gallery stage's plan; --stage names another stage"


def test_deploy_plan_given_a_file_says_what_dir_must_be(tmp_path):
    # it said "not a saved mdpool plan ([Errno 20] Not a directory: ...)"
    (tmp_path / "plan").write_text("mine")
    done = run_mdpool("deploy", "--plan", str(tmp_path / "plan"))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"{tmp_path / 'plan' / 'mdpool-plan.json'}: missing; DIR must be a folder written by `mdpool plan --stage STAGE --save DIR`"
    )
