"""`mdpool images render|lint|build` as a user runs them; build in a real process against the stand-in.

The build tests start the CLI as a subprocess with the stand-in's endpoint and CA
(MDPOOL_ARM_ENDPOINT, MDPOOL_ARM_CA_BUNDLE) and azure-identity's real AzureCliCredential, selected by
AZURE_TOKEN_CREDENTIALS, calling a stand-in `az` on PATH that prints the stand-in's token.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from azure.mgmt.imagebuilder import models
from azure.mgmt.imagebuilder._utils.model_base import _deserialize
from typer.testing import CliRunner

from mdpool.cli import app
from tests.imagebuild.conftest import REPO
from tests.support.arm_standin import ArmStandIn
from tests.support.json_contract import json_document

EXAMPLE = REPO / "config" / "example.yaml"
EXAMPLE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RG = "rg-jhp-images-dev-weu"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_render_prints_the_arm_template_for_one_image():
    result = run("images", "render", "ubuntu-24.04", "--config", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    template = _deserialize(models.ImageTemplate, body)
    assert template.properties.source.offer == "ubuntu-24_04-lts" and template.properties.source.sku == "server"
    dist = template.properties.distribute[0]
    assert dist.gallery_image_id.endswith("/galleries/gal_jhp_dev_weu/images/ubuntu-24.04")
    assert dist.target_regions[0].name == "westeurope"
    assert template.properties.customize[0].name == "WaitForCloudInit"


def test_render_an_unknown_image_is_one_line_and_exit_1():
    result = run("images", "render", "ubuntu-24.4", "--config", str(EXAMPLE))
    assert result.exit_code == 1
    assert "no image named 'ubuntu-24.4' (did you mean 'ubuntu-24.04'?)" in result.stderr
    assert "Traceback" not in result.output


def test_lint_of_the_example_is_clean():
    result = run("images", "lint", "--config", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "lint: 2 image(s), 0 error(s), 0 warning(s)" in result.stdout


def write_config(tmp_path: Path, definitions: dict[int, str]) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "images").mkdir(exist_ok=True)
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    for index, text in definitions.items():
        name = f"images/image{index}.json"
        (tmp_path / name).write_text(text)
        data["gallery"]["images"][index]["build"]["definition"] = name
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_lint_reports_each_finding_on_one_line_and_exits_1(tmp_path):
    footgun = json.dumps(
        {
            "TargetRegion": [{"Name": "westeurope"}],
            "Customizers": [
                {
                    "ShellCustomizer": True,
                    "Name": "Install",
                    "Inline": ["sudo cloud-init status --wait", "sudo DEBIAN_FRONTEND=noninteractive apt-get install git"],
                }
            ],
        },
        indent=2,
    )
    broken = '{"TargetRegion": [{"Name": "westeurope"}],\n "Customizers": [{"ShellCustomizer": true, "Inlne": ["x"]}]}\n'
    config = write_config(tmp_path, {0: footgun, 1: broken})
    result = run("images", "lint", "--config", str(config))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert any(
        line.endswith(
            "image0.json:13: Customizers[0] (Install): MDP101 error: apt-get install without -y waits for "
            "a 'Do you want to continue? [Y/n]' answer that never comes; fix: add -y (apt-get install -y PKG)"
        )
        for line in lines
    ), lines
    assert any(
        "image1.json:2: Customizers[0].Inlne: definition error: unknown key 'Inlne' (did you mean 'Inline'?)" in line
        for line in lines
    ), lines
    assert lines[-1] == "lint: 2 image(s), 2 error(s), 0 warning(s)"


def test_lint_of_one_named_image(tmp_path):
    broken = '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": {}}'
    config = write_config(tmp_path, {1: broken})
    assert run("images", "lint", "ubuntu-22.04", "--config", str(config)).exit_code == 0
    assert run("images", "lint", "ubuntu-24.04", "--config", str(config)).exit_code == 1


# --- build, in a real process ---------------------------------------------------------------------


@pytest.fixture
def example_arm():
    with ArmStandIn(subscription_id=EXAMPLE_SUBSCRIPTION, build_duration=0.4) as arm:
        yield arm


@pytest.fixture
def cli_env(example_arm, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(
        "#!/bin/sh\n"
        f'echo \'{{"accessToken": "{example_arm.credential.token}", "expires_on": 4102444800, '
        '"tokenType": "Bearer"}\'\n'
    )
    az.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MDPOOL_"))}
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
            "MDPOOL_ARM_ENDPOINT": example_arm.base_url,
            "MDPOOL_ARM_CA_BUNDLE": example_arm.ca_file,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def mdpool(env, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "mdpool"), *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


BUILD = ("images", "build", "--poll-interval", "0.05", "--config", "config/example.yaml")


def test_build_prints_the_new_version_ids_then_skips_unchanged_images(example_arm, cli_env):
    proc = mdpool(cli_env, *BUILD)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    versions = {line.split(":")[0]: line.split()[2] for line in out.splitlines() if ": built " in line}
    assert set(versions) == {"ubuntu-22.04", "ubuntu-24.04"}
    assert versions["ubuntu-24.04"].startswith(
        f"/subscriptions/{EXAMPLE_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
        "Microsoft.Compute/galleries/gal_jhp_dev_weu/images/ubuntu-24.04/versions/"
    )
    assert "ubuntu-22.04: running Running/" in err  # progress lines in a log (no terminal)
    assert "standin-token" not in out + err
    proc = mdpool(cli_env, *BUILD)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.count("up to date, skipped") == 2


def test_build_failure_exits_1_with_state_message_and_log_url(example_arm, cli_env):
    example_arm.script_build("jhp-ubuntu-2204-buildagent", outcome="Failed", duration=0.1)
    proc = mdpool(cli_env, *BUILD)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    failed = [line for line in err.splitlines() if line.startswith("ubuntu-22.04: failed (Failed)")]
    assert len(failed) == 1 and failed[0].endswith(f"customization log: {example_arm.log_url(RG, 'jhp-ubuntu-2204-buildagent')}")
    assert "ubuntu-24.04: built " in out  # the other image is not held back


def test_build_json_reports_each_image_and_the_failure_as_a_problem(example_arm, cli_env):
    example_arm.script_build("jhp-ubuntu-2204-buildagent", outcome="Failed", duration=0.1)
    proc = mdpool(cli_env, *BUILD, "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    document = json_document(out, command="images build")  # stdout is the document alone; the lines went to stderr
    assert {(i["image"], i["status"]) for i in document["report"]["images"]} == {
        ("ubuntu-22.04", "failed"),
        ("ubuntu-24.04", "built"),
    }
    (problem,) = document["problems"]
    assert problem["text"].startswith("ubuntu-22.04: failed (Failed)") and problem["text"] in err.splitlines()
    proc = mdpool(cli_env, *BUILD, "ubuntu-24.04", "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    document = json_document(out, command="images build")
    assert [(i["image"], i["status"]) for i in document["report"]["images"]] == [("ubuntu-24.04", "skipped")]
    assert document["problems"] == []


def test_build_json_carries_every_images_phases_and_the_failed_step(example_arm, cli_env):
    example_arm.script_build("jhp-ubuntu-2204-buildagent", outcome="Failed", duration=0.6)
    proc = mdpool(cli_env, *BUILD, "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    document = json_document(out, command="images build")
    by_image = {image["image"]: image for image in document["report"]["images"]}
    assert by_image["ubuntu-24.04"]["status"] == "built" and by_image["ubuntu-22.04"]["status"] == "failed"
    for image in by_image.values():
        assert image["phases"] and {"phase", "started", "seconds"} == set(image["phases"][0])
        assert image["phases"][0]["phase"] == "Queued"
    # the az CLI stand-in hands out one token for every audience: Azure Storage refuses it (401)
    assert "Storage Blob Data Reader" in by_image["ubuntu-22.04"]["log_problem"]
    assert "ubuntu-22.04: phases: Queued" in err


def test_ctrl_c_detaches_and_running_again_reattaches(example_arm, cli_env):
    example_arm.build_duration = 30
    proc = mdpool(cli_env, *BUILD, "ubuntu-22.04")
    deadline = time.monotonic() + 30
    while not example_arm.requests_matching("POST", r"/run$") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "ubuntu-22.04: stopped watching; the build goes on in Azure. Reattach with: mdpool images build ubuntu-22.04" in err
    assert "Traceback" not in err
    assert not example_arm.requests_matching("POST", r"/cancel$")
    template = example_arm.template(RG, "jhp-ubuntu-2204-buildagent")
    assert template["properties"]["lastRunStatus"]["runState"] == "Running"  # the build goes on
    seen = len(example_arm.requests)
    proc = mdpool(cli_env, *BUILD, "ubuntu-22.04")
    deadline = time.monotonic() + 30  # the build ends only once the next command watches it (startup can be slow)
    while (
        not [r for r in example_arm.requests[seen:] if r.method == "GET" and r.path.endswith("-2204-buildagent")]
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    example_arm.finish_build_in(RG, "jhp-ubuntu-2204-buildagent", 0.5)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "ubuntu-22.04: built (reattached) /subscriptions/" in out
    assert len(example_arm.requests_matching("POST", r"/run$")) == 1


def test_build_of_an_image_without_a_build_section_is_refused(cli_env, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["gallery"]["images"][1]["build"]
    data["gallery"]["images"][0]["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    config = tmp_path / "env.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run("images", "build", "ubuntu-24.04", "--config", str(config))
    assert result.exit_code == 1
    assert "image 'ubuntu-24.04' has no build section" in result.stderr
