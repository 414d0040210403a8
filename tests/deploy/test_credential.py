"""A missing or failing Azure credential: one line that names it and says what to do, before anything runs.

azure-identity's real DefaultAzureCredential, restricted to AzureCliCredential by
AZURE_TOKEN_CREDENTIALS (as the image-build tests do), with no `az` at all or an `az` that is not
signed in.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, run_mdpool
from tests.deploy.conftest import CONFIG

NOT_SIGNED_IN = "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n"
WHAT_TO_DO = (
    "sign in with `az login` (in an Azure Pipeline: an AzureCLI@2 task with the service connection), "
    "or set AZURE_TOKEN_CREDENTIALS to the credential to use"
)


def environment(tmp_path: Path, az: str | None) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if az is not None:
        (bin_dir / "az").write_text(az)
        (bin_dir / "az").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MDPOOL_"))}
    env.update(
        {
            "PATH": os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
            "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
            "MDPOOL_ARM_ENDPOINT": "https://127.0.0.1:9",
        }
    )  # never reached: the credential fails first
    return env


@pytest.mark.parametrize(
    "az, found",
    [
        (None, "AzureCliCredential: Azure CLI not found on path"),
        (NOT_SIGNED_IN, "az login"),
    ],
)
def test_images_build_without_a_credential_is_one_line(tmp_path, az, found):
    done = run_mdpool("images", "build", "--config", str(EXAMPLE_CONFIG), env=environment(tmp_path, az))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("Azure credential DefaultAzureCredential gave no token (") and found in line, line
    assert line.endswith(WHAT_TO_DO)
    assert "Traceback" not in done.stderr


def test_deploy_checks_the_credential_before_synthesizing(tmp_path):
    out = tmp_path / "out"
    done = run_mdpool(
        "deploy",
        "--config",
        str(CONFIG),
        "--out",
        str(out),
        "--auto-approve",
        "--stage",
        "images",
        env=environment(tmp_path, None),
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Azure credential DefaultAzureCredential gave no token (AzureCliCredential: Azure CLI not found on path); " + WHAT_TO_DO
    ]
    assert not out.exists()


def _refusing_az(message: str) -> str:
    """An `az` that is signed in but refused the token with `message` (as MFA or a conditional access policy does)."""
    return f"#!/bin/sh\necho '{message}' >&2\nexit 1\n"


# "AzureCliCredential: " + az's message is the reason shown; mdpool.azure_credential keeps it to 400 characters
PREFIX = "AzureCliCredential: "
WORDS = "ERROR: AADSTS50076: you must use multi-factor authentication to access the resource management " * 6


@pytest.mark.parametrize("length", [400, 401, 620])
def test_the_credential_reason_is_cut_between_words(tmp_path, length):
    message = WORDS[: length - len(PREFIX)].rstrip()
    message += "x" * (length - len(PREFIX) - len(message))  # exactly `length` characters, its last word whole or not
    done = run_mdpool("images", "build", "--config", str(EXAMPLE_CONFIG), env=environment(tmp_path, _refusing_az(message)))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    shown = line.removeprefix("Azure credential DefaultAzureCredential gave no token (").removesuffix("); " + WHAT_TO_DO)
    if length <= 400:  # at the limit: whole
        assert shown == PREFIX + message
        return
    assert shown.endswith(" ...") and len(shown) <= 400
    kept = shown.removesuffix(" ...").split(" ")
    assert kept == (PREFIX + message).split(" ")[: len(kept)]  # every word shown is a whole word of az's message


def recording_terraform(tmp_path: Path) -> tuple[Path, Path]:
    """A terraform that writes each command it is given to a log, then runs the real one."""
    log = tmp_path / "terraform-calls.log"
    wrapper = tmp_path / "tools" / "terraform"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {shutil.which("terraform")} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


@pytest.mark.parametrize("stage", [None, "gallery", "images", "pool"])
def test_plan_checks_the_credential_before_terraform_init(workspace, terraform_env, tmp_path, stage):
    """Every stage of a plan runs terraform: without a sign-in, one line and exit 1, and terraform's
    init never ran (no .terraform folder in any stack, no `init` call)."""
    wrapper, log = recording_terraform(tmp_path)
    env = {**terraform_env, **environment(tmp_path, None)}
    more = ["--stage", stage] if stage else []
    done = run_mdpool(
        "plan", "--config", str(CONFIG), "--out", str(workspace.out), "--no-synth", "--terraform-bin", str(wrapper), *more, env=env
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Azure credential DefaultAzureCredential gave no token (AzureCliCredential: Azure CLI not found on path); " + WHAT_TO_DO
    ]
    calls = log.read_text().split() if log.exists() else []
    assert "init" not in calls
    assert not list(workspace.out.rglob(".terraform"))


def test_plan_with_a_sign_in_runs_terraform(workspace, terraform_env, tmp_path):
    wrapper, log = recording_terraform(tmp_path)
    done = run_mdpool(
        "plan", "--config", str(CONFIG), "--out", str(workspace.out), "--no-synth", "--terraform-bin", str(wrapper), "--stage", "gallery",
        env=terraform_env,  # signed in: tests.deploy.conftest.signed_in_az
    )
    assert done.returncode == 0, done.stderr
    assert "init" in log.read_text().split()
    assert list(workspace.out.rglob(".terraform"))


def test_plan_without_a_sign_in_synthesizes_nothing(tmp_path):
    out = tmp_path / "out"
    done = run_mdpool("plan", "--config", str(CONFIG), "--out", str(out), env=environment(tmp_path, NOT_SIGNED_IN))
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("Azure credential DefaultAzureCredential gave no token (") and line.endswith(WHAT_TO_DO)
    assert not out.exists()
