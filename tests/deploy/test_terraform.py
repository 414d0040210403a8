"""The terraform runner against the real binary and the stand-in stacks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mdpool.deploy.errors import TerraformError
from mdpool.deploy.terraform import Terraform, automation_env, locate_terraform


def fake_binary(folder: Path, name: str, answer: str) -> Path:
    """An executable that answers `version` like some terraform build would (for the version check only)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_finds_terraform_on_path_and_reads_its_version(terraform_env):
    binary = locate_terraform(None, terraform_env)
    assert binary.product == "Terraform"
    assert binary.version >= (1, 5, 0)
    assert Path(binary.path).name == "terraform"


def test_missing_binary_is_one_clear_line(terraform_env):
    with pytest.raises(TerraformError) as caught:
        locate_terraform("no-such-terraform", terraform_env)
    assert caught.value.lines == [
        "no-such-terraform: terraform executable not found; choose one with --terraform-bin or "
        "$MDPOOL_TERRAFORM; mdpool needs Terraform >= 1.8.0 or OpenTofu >= 1.10.0"
    ]


def test_env_variable_chooses_the_binary(terraform_env, tmp_path):
    tofu = fake_binary(tmp_path, "tofu", "OpenTofu v1.10.3\non linux_amd64")
    binary = locate_terraform(None, {**terraform_env, "MDPOOL_TERRAFORM": str(tofu)})
    assert (binary.product, binary.version, binary.path) == ("OpenTofu", (1, 10, 3), str(tofu))


def test_an_opentofu_without_lifecycle_in_removed_blocks_is_refused(terraform_env, tmp_path):
    # OpenTofu 1.9 refuses `lifecycle` in a `removed` block (opentofu/opentofu issue 2556), which the pool stack has
    tofu = fake_binary(tmp_path, "tofu", "OpenTofu v1.9.1\non linux_amd64")
    with pytest.raises(TerraformError) as caught:
        locate_terraform(str(tofu), terraform_env)
    (line,) = caught.value.lines
    assert line.startswith(f"{tofu}: OpenTofu 1.9.1 is too old; mdpool needs") and "OpenTofu >= 1.10.0" in line


def test_too_old_binary_is_refused_with_the_version_it_needs(terraform_env, tmp_path):
    old = fake_binary(tmp_path, "terraform", "Terraform v1.3.9")
    with pytest.raises(TerraformError) as caught:
        locate_terraform(str(old), terraform_env)
    (line,) = caught.value.lines
    assert line.startswith(f"{old}: Terraform 1.3.9 is too old; mdpool needs Terraform >= 1.8.0")


def test_something_else_is_not_taken_for_terraform(terraform_env, tmp_path):
    other = fake_binary(tmp_path, "terraform", "hello")
    with pytest.raises(TerraformError, match="does not answer `version` as Terraform or OpenTofu"):
        locate_terraform(str(other), terraform_env)


def test_automation_environment(tmp_path):
    env = automation_env({"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert env["TF_IN_AUTOMATION"] == "1" and env["TF_INPUT"] == "0" and env["CHECKPOINT_DISABLE"] == "1"
    # a per-user plugin cache by default, created (terraform ignores a missing one)
    assert Path(env["TF_PLUGIN_CACHE_DIR"]) == tmp_path / ".cache" / "mdpool" / "terraform-plugins"
    assert Path(env["TF_PLUGIN_CACHE_DIR"]).is_dir()
    # the user's own cache wins
    own = automation_env({"TF_PLUGIN_CACHE_DIR": str(tmp_path / "mine"), "HOME": str(tmp_path)})
    assert own["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "mine") and (tmp_path / "mine").is_dir()


def test_stack_lifecycle_with_the_real_binary(workspace, terraform: Terraform, captured):
    gallery = terraform.stack("gallery-dev", workspace.out / "stacks" / "gallery-dev")
    gallery.init()
    assert gallery.outputs() == {}  # never applied: no state, no outputs
    gallery.plan("test.tfplan")
    plan = gallery.show_plan("test.tfplan")
    assert {c["address"] for c in plan["resource_changes"]} >= {"terraform_data.gallery", "terraform_data.image-ubuntu-2204"}
    gallery.apply("test.tfplan")
    outputs = gallery.outputs()
    assert outputs["image_definition_ids"].value["ubuntu-22.04"].endswith("/galleries/gal_jhp_dev_weu/images/ubuntu-22.04")
    assert outputs["location"].value == "westeurope" and not outputs["location"].sensitive
    # state lands where the synthesized backend says: beside the synth output, not inside it
    assert (workspace.state / "gallery-dev.tfstate").is_file()
    assert gallery.commands == ["init", "output", "plan", "show", "apply", "output"]
    # streamed output is prefixed with the stack name
    assert "[gallery-dev] Apply complete! Resources: 5 added, 0 changed, 0 destroyed." in captured.text
    # the pool stack reads the gallery's outputs through its terraform_remote_state
    pool = terraform.stack("pool-dev", workspace.out / "stacks" / "pool-dev")
    pool.init()
    pool.plan("test.tfplan")
    pool.apply("test.tfplan")
    assert pool.outputs()["pool_name"].value == "mdp-jhp-dev-weu"


def test_failing_command_names_the_stack_and_verb(workspace, terraform: Terraform, captured):
    gallery = terraform.stack("gallery-dev", workspace.out / "stacks" / "gallery-dev")
    (gallery.directory / "broken.tf.json").write_text('{"resource": {"terraform_data": {"x": {"nope": 1}}}}')
    gallery.init()
    with pytest.raises(TerraformError) as caught:
        gallery.plan("test.tfplan")
    assert caught.value.lines == ["gallery-dev: terraform plan failed (exit 1); its output is above"]
    assert '[gallery-dev] No argument or block type is named "nope".' in captured.text


def test_ctrl_c_during_apply_stops_terraform_cleanly(tmp_path, terraform: Terraform, captured):
    """A Ctrl-C reaches terraform once (it runs in its own session): it stops and releases the state lock."""
    import json
    import signal
    import threading
    import time

    stack = tmp_path / "stacks" / "slow"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"backend": {"local": {"path": "../../state/slow.tfstate"}}},
                "resource": {"terraform_data": {"slow": {"provisioner": [{"local-exec": {"command": "sleep 20"}}]}}},
            }
        )
    )
    slow = terraform.stack("slow", stack)
    slow.init()
    slow.plan("slow.tfplan")

    def ctrl_c_when_provisioning() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("local-exec" in line for _, line in captured.timed):
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=ctrl_c_when_provisioning)
    interrupter.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            slow.apply("slow.tfplan")
    finally:
        interrupter.join()
    assert time.monotonic() - started < 15  # did not wait for the 20 s provisioner
    assert "[slow] Interrupt received." in captured.text
    # the state is usable at once: no stale lock, and the half-made resource is planned again
    slow.plan("slow.tfplan")
    assert [c["change"]["actions"] for c in slow.show_plan("slow.tfplan")["resource_changes"]] in (
        [["create"]],
        [["delete", "create"]],
    )
