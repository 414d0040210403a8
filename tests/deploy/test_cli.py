"""`mdpool plan` / `mdpool deploy` as a user runs them: the errors that must be one clear line."""

from __future__ import annotations

import pytest

from tests.conftest import run_mdpool
from tests.deploy.conftest import CONFIG


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_missing_terraform_is_one_line(command, tmp_path):
    done = run_mdpool(command, "--config", str(CONFIG), "--out", str(tmp_path / "out"),
                      "--terraform-bin", "no-such-terraform", "--auto-approve" if command == "deploy" else "--json")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "no-such-terraform: terraform executable not found; choose one with --terraform-bin or $MDPOOL_TERRAFORM; "
        "mdpool needs Terraform >= 1.5.0 or OpenTofu >= 1.6.0"
    ]
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()  # failed before synth: nothing written


def test_missing_terraform_from_the_environment(tmp_path):
    done = run_mdpool("plan", "--config", str(CONFIG), "--out", str(tmp_path / "out"),
                      env={"MDPOOL_TERRAFORM": str(tmp_path / "tofu")})
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{tmp_path / 'tofu'}: terraform executable not found; choose one with --terraform-bin or "
        "$MDPOOL_TERRAFORM; mdpool needs Terraform >= 1.5.0 or OpenTofu >= 1.6.0"
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
