"""`mdpool verify` as a user runs it: a real process, azure-identity's AzureCliCredential calling a stand-in `az`,
the stand-ins' endpoints and CAs through MDPOOL_ARM_* and MDPOOL_DEVOPS_* (as tests/doctor/test_cli.py)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import MDPOOL, REPO
from tests.support.devops_standin import DEVOPS_TOKEN
from tests.support.json_contract import json_document

POOL = "mdp-jhp-dev-weu"


@pytest.fixture
def cli_env(azure, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        f'  *"--resource https://management.azure.com"*) token={azure.arm.credential.token} ;;\n'
        f'  *"--resource 499b84ac-1321-427f-aa17-267ca6975798"*) token={DEVOPS_TOKEN} ;;\n'
        '  *) echo "az stand-in: unexpected arguments: $*" >&2; exit 1 ;;\n'
        "esac\n"
        'echo "{\\"accessToken\\": \\"$token\\", \\"expires_on\\": 4102444800, \\"tokenType\\": \\"Bearer\\"}"\n'
    )
    az.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MDPOOL_"))}
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
            "MDPOOL_ARM_ENDPOINT": azure.arm.base_url,
            "MDPOOL_ARM_CA_BUNDLE": azure.arm.ca_file,
            "MDPOOL_DEVOPS_ENDPOINT": azure.devops.base_url,
            "MDPOOL_DEVOPS_CA_BUNDLE": azure.devops.ca_file,
        }
    )
    return env


def verify(env, azure, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MDPOOL), "verify", "--config", str(azure.config), "--out", str(azure.out), *more],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_verify_prints_a_row_per_check_and_the_summary(cli_env, azure):
    done = verify(cli_env, azure)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "verify: 6 check(s), 0 failed, 0 warning(s)"
    assert lines[0] == "ok       devops-pool:your-organization: https://dev.azure.com/your-organization has agent pool " + POOL


def test_verify_fails_with_the_fix_and_json_says_it_too(cli_env, azure):
    azure.organization.self_hosted_parallel_jobs = 1
    azure.pool.provisioning_errors = {"ImageNotFound": 2}
    done = verify(cli_env, azure)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "verify: 6 check(s), 2 failed, 0 warning(s)"
    failed = [line for line in done.stdout.splitlines() if line.startswith("failed")]
    assert [line.split(":")[0] for line in failed] == ["failed   parallel-jobs", "failed   provisioning"]
    assert all("; fix: " in line for line in failed)

    done = verify(cli_env, azure, "--json")
    assert done.returncode == 1
    document = json_document(done.stdout, command="verify")
    assert document["ok"] is False and document["exit_code"] == 1 and document["report"]["result"] == "failed"
    report = document["report"]["checks"]
    assert [c["check"] for c in report if c["status"] == "failed"] == ["parallel-jobs:your-organization", f"provisioning:{POOL}"]
    assert [p["path"] for p in document["problems"]] == ["parallel-jobs:your-organization", f"provisioning:{POOL}"]
