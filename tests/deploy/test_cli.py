"""`mdpool plan` / `mdpool deploy` as a user runs them: the errors that must be one clear line."""

from __future__ import annotations

import pytest

from tests.conftest import run_mdpool
from tests.deploy.conftest import CONFIG
from tests.support.json_contract import json_document, json_report


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_missing_terraform_is_one_line(command, tmp_path):
    done = run_mdpool(
        command,
        "--config",
        str(CONFIG),
        "--out",
        str(tmp_path / "out"),
        "--terraform-bin",
        "no-such-terraform",
        "--auto-approve" if command == "deploy" else "--json",
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "no-such-terraform: terraform executable not found; choose one with --terraform-bin or $MDPOOL_TERRAFORM; "
        "mdpool needs Terraform >= 1.8.0 or OpenTofu >= 1.10.0"
    ]
    if command == "plan":  # with --json, stdout carries the failure as a document (and nothing else)
        document = json_document(done.stdout, command="plan")
        assert (document["exit_code"], [p["text"] for p in document["problems"]]) == (1, [done.stderr.strip()])
    else:
        assert done.stdout == ""
    assert not (tmp_path / "out").exists()  # failed before synth: nothing written


def test_missing_terraform_from_the_environment(tmp_path):
    done = run_mdpool(
        "plan", "--config", str(CONFIG), "--out", str(tmp_path / "out"), env={"MDPOOL_TERRAFORM": str(tmp_path / "tofu")}
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{tmp_path / 'tofu'}: terraform executable not found; choose one with --terraform-bin or "
        "$MDPOOL_TERRAFORM; mdpool needs Terraform >= 1.8.0 or OpenTofu >= 1.10.0"
    ]


def test_deploy_without_a_terminal_needs_auto_approve(tmp_path):
    done = run_mdpool("deploy", "--config", str(CONFIG), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mdpool deploy asks before applying each stack, but stdin is not a terminal; pass --auto-approve to apply "
        "without asking (CI)"
    ]
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_bad_config_is_reported_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.read_text().replace("maximum_concurrency: 2", "maximum_concurrency: 0"))
    done = run_mdpool("deploy", "--config", str(bad), "--out", str(tmp_path / "out"), "--auto-approve")
    assert done.returncode == 1
    assert "pool.maximum_concurrency" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


# --- the commands on a synth output (--no-synth): the stand-in stacks, the real terraform -----------


@pytest.fixture
def config_without_builds(tmp_path):
    """The deploy tests' environment without image builds: no Azure credential needed."""
    import yaml

    data = yaml.safe_load(CONFIG.read_text())
    for image in data["gallery"]["images"]:
        del image["build"]
    path = tmp_path / "no-builds.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def mdpool_json(*args, env, **where) -> tuple[int, dict | None, str]:
    """The exit code, the report of the run's JSON document (checked against the contract), stderr."""
    done = run_mdpool(*args, "--json", env=env, **where)
    return done.returncode, json_report(done.stdout, command=args[0]), done.stderr


def test_deploy_and_plan_a_synth_output(workspace, terraform_env, config_without_builds):
    common = ("--config", str(config_without_builds), "--out", str(workspace.out), "--no-synth")
    code, summary, stderr = mdpool_json("deploy", *common, "--auto-approve", "--skip-checks", env=terraform_env)
    assert code == 0, stderr
    assert summary["result"] == "succeeded"  # stdout is the JSON alone; progress went to stderr
    assert [(s["name"], s["status"]) for s in summary["stacks"]] == [("gallery-dev", "applied"), ("pool-dev", "applied")]
    assert "[gallery-dev] Apply complete! Resources: 5 added" in stderr
    assert "images: none has build settings; nothing to build" in stderr

    code, summary, stderr = mdpool_json("plan", *common, env=terraform_env)
    assert code == 0 and summary["result"] == "planned"
    assert [s["changes"] for s in summary["stacks"]] == [{"create": 0, "update": 0, "replace": 0, "destroy": 0}] * 2

    code, summary, stderr = mdpool_json("deploy", *common, "--auto-approve", "--skip-checks", env=terraform_env)
    assert code == 0 and summary["result"] == "nothing to do"
    assert "nothing to do: gallery-dev and pool-dev have no changes" in stderr


def test_refused_plan_exits_1_with_one_line_per_resource(workspace, terraform_env, config_without_builds):
    common = (
        "--config",
        str(config_without_builds),
        "--out",
        str(workspace.out),
        "--no-synth",
        "--auto-approve",
        "--skip-checks",
    )
    assert mdpool_json("deploy", *common, env=terraform_env)[0] == 0
    workspace.use("gallery-renamed")
    code, summary, stderr = mdpool_json("deploy", *common, env=terraform_env)
    assert code == 1 and "Traceback" not in stderr
    assert summary["result"] == "refused" and len(summary["errors"]) == 3
    refusals = [line for line in stderr.splitlines() if line.startswith("gallery-dev: refusing to replace")]
    assert refusals == summary["errors"]
    assert stderr.rstrip().endswith(refusals[-1])  # the last word is the reason, not a traceback
    code, summary, _ = mdpool_json(
        "deploy",
        *common,
        "--allow-replace",
        "terraform_data.gallery",
        "--allow-replace",
        "image-ubuntu-2204",
        "--allow-replace",
        "image-ubuntu-2404",
        env=terraform_env,
    )
    assert code == 0 and summary["stacks"][0]["changes"]["replace"] == 3


def test_synth_output_of_another_environment(workspace, terraform_env, config_without_builds):
    other = config_without_builds.parent / "prod.yaml"
    other.write_text(config_without_builds.read_text().replace("environment: dev", "environment: prod"))
    done = run_mdpool("plan", "--config", str(other), "--out", str(workspace.out), "--no-synth", env=terraform_env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"{workspace.out}: holds the stacks of environment 'dev', but {other} describes 'prod'; synthesize it again"
    )


def test_deploy_asks_before_each_apply_on_a_terminal(workspace, terraform_env, config_without_builds):
    """On a terminal (a pty here), the answer to each question decides; a no stops the deploy."""
    import os
    import pty
    import subprocess

    from tests.conftest import MDPOOL

    master, slave = pty.openpty()
    os.write(master, b"y\nn\n")  # typed ahead: the terminal holds it until the prompts read it
    try:
        done = subprocess.run(
            [
                str(MDPOOL),
                "deploy",
                "--config",
                str(config_without_builds),
                "--out",
                str(workspace.out),
                "--no-synth",
                "--skip-checks",
            ],
            stdin=slave,
            capture_output=True,
            text=True,
            env=terraform_env,
            timeout=120,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == 1
    assert "Apply gallery-dev: 5 to create? [y/N]" in done.stdout
    assert "Apply pool-dev: 1 to create? [y/N]" in done.stdout
    assert done.stderr.splitlines()[-1] == "pool-dev: not applied (declined); nothing after it was run"
    assert workspace.state_resources("gallery-dev") and workspace.state_resources("pool-dev") == []


@pytest.mark.parametrize("command", [("deploy", "--auto-approve"), ("images", "build")])
@pytest.mark.parametrize(
    "value, accepted",
    [
        ("0.01", True),
        ("600", True),  # the bounds themselves
        ("0.009", False),
        ("0", False),
        ("-1", False),
        ("600.5", False),
        ("inf", False),
        ("nan", False),
        ("1e400", False),
    ],
)
def test_poll_interval_is_bounded(tmp_path, command, value, accepted):
    missing = tmp_path / "missing.yaml"  # an accepted value gets as far as reading the config
    out = ("--out", str(tmp_path / "out")) if command[0] == "deploy" else ()
    done = run_mdpool(*command, "--poll-interval", value, "--config", str(missing), *out)
    assert "Traceback" not in done.stderr
    if accepted:
        assert done.returncode == 1 and f"{missing}: file not found" in done.stderr, done.stderr
    else:
        assert done.returncode == 2 and "--poll-interval" in done.stderr, done.stderr


# --- paths a user types --------------------------------------------------------------------------------


def test_a_relative_terraform_bin_is_found_from_where_the_user_typed_it(workspace, terraform_env, config_without_builds):
    import shutil

    tools = workspace.root / "tools"
    tools.mkdir()
    shutil.copy2(shutil.which("terraform", path=terraform_env["PATH"]), tools / "terraform")
    code, summary, stderr = mdpool_json(
        "plan",
        "--config",
        str(config_without_builds),
        "--out",
        "cdktf.out",
        "--no-synth",
        "--terraform-bin",
        "./tools/terraform",
        env=terraform_env,
        cwd=workspace.root,
    )  # terraform itself runs in each stack's folder
    assert code == 0, stderr
    assert summary["result"] == "planned"


def test_a_terraform_bin_that_is_a_folder_or_not_executable_is_one_line(tmp_path):
    plain = tmp_path / "terraform"
    plain.write_text("#!/bin/sh\n")
    how = "choose one with --terraform-bin or $MDPOOL_TERRAFORM; mdpool needs Terraform >= 1.8.0 or OpenTofu >= 1.10.0"
    for given, what in [(tmp_path, "is a folder, not a terraform executable"), (plain, "is not executable (chmod +x it)")]:
        done = run_mdpool("plan", "--config", str(CONFIG), "--out", str(tmp_path / "out"), "--terraform-bin", str(given))
        assert done.returncode == 1
        assert done.stderr.splitlines() == [f"{given}: {what}; {how}"]


def test_deploy_refuses_an_out_that_is_not_its_own(tmp_path, terraform_env, config_without_builds):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    done = run_mdpool("deploy", "--config", str(config_without_builds), "--out", str(out), "--auto-approve", env=terraform_env)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{out}: is a folder of other files (thesis.tex), not an mdpool output; --out needs a new or empty folder, "
        "or the output of an earlier mdpool synth"
    ]
    assert (out / "thesis.tex").read_text() == "years of work" and sorted(p.name for p in tmp_path.iterdir()) == [
        "mine",
        "no-builds.yaml",
    ]
