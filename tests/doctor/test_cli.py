"""`mdpool doctor` as a user and a pipeline run it: a real process, azure-identity's real AzureCliCredential
(selected by AZURE_TOKEN_CREDENTIALS) calling a stand-in `az` that prints a token per audience, and the
stand-ins' endpoints and CAs through MDPOOL_ARM_*, MDPOOL_GRAPH_* and MDPOOL_DEVOPS_* (as tests/imagebuild/test_cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.doctor.conftest import ORGANIZATION, REPO, SUBSCRIPTION
from tests.support.devops_standin import DEVOPS_TOKEN, GRAPH_TOKEN
from tests.support.json_contract import json_document

SUB = f"/subscriptions/{SUBSCRIPTION}"


@pytest.fixture
def cli_env(arm, azure, devops, graph, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        f'  *"--resource https://management.azure.com"*) token={arm.credential.token} ;;\n'
        f'  *"--resource https://graph.microsoft.com"*) token={GRAPH_TOKEN} ;;\n'
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
            "MDPOOL_ARM_ENDPOINT": arm.base_url,
            "MDPOOL_ARM_CA_BUNDLE": arm.ca_file,
            "MDPOOL_GRAPH_ENDPOINT": graph.base_url,
            "MDPOOL_GRAPH_CA_BUNDLE": graph.ca_file,
            "MDPOOL_DEVOPS_ENDPOINT": devops.base_url,
            "MDPOOL_DEVOPS_CA_BUNDLE": devops.ca_file,
        }
    )
    return env


def mdpool(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "mdpool"), *args],
        cwd=REPO,
        env=env,
        text=True,
        check=False,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def break_the_blogs_first_deploy(azure, devops) -> None:
    """What the issue's first deploy meets: default quota, a taken name, an unregistered provider, no pool rights."""
    azure.usages["standardDSv2Family"] = (0, 5)
    azure.taken_pool_names.add("mdp-jhp-dev-weu")
    azure.providers["Microsoft.DevOpsInfrastructure"] = "NotRegistered"
    azure.permissions[SUB.lower()] = [{"actions": ["*"], "notActions": ["*/register/action"]}]
    devops.add_organization(ORGANIZATION, may_administer=False)


def test_doctor_on_the_example_reports_each_problem_with_its_fix(cli_env, azure, devops, arm, graph):
    break_the_blogs_first_deploy(azure, devops)
    done = mdpool(cli_env, "doctor", "--config", "config/example.yaml")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "doctor: 10 check(s), 4 failed, 0 warning(s)"  # build-policy is the 10th
    failed = {line.split()[1].rstrip(":"): line for line in lines if line.startswith("failed ")}
    assert set(failed) == {"providers", "pool-name", "quota", f"devops:{ORGANIZATION}"}
    assert failed["quota"] == (
        "failed   quota: needs 40 vCPUs of standardDSv2Family (10 x Standard_DS3_v2 at 4 vCPUs); 5 free in westeurope "
        "(limit 5, 0 in use); fix: raise the Managed DevOps Pools quota for standardDSv2Family in westeurope by 35 to "
        "at least 40 (portal: Quotas > Managed DevOps Pools > Request adjustment), or lower pool.maximum_concurrency to 1"
    )
    assert failed["pool-name"].endswith(
        "pool names are global; fix: set pool.name in the config to another name (e.g. with your organization's prefix)"
    )
    assert "fix: az provider register --namespace Microsoft.DevOpsInfrastructure" in failed["providers"]
    assert "may not administer agent pools" in failed[f"devops:{ORGANIZATION}"]
    assert (
        "fix: in https://dev.azure.com/your-organization/_settings/agentpools choose Security" in failed[f"devops:{ORGANIZATION}"]
    )
    assert "Traceback" not in done.stderr and "token" not in done.stdout + done.stderr
    assert devops.rejected_tokens == 0 and graph.rejected_tokens == 0  # each token to its own service
    assert not [r for r in arm.requests if r.status == 401]


def test_doctor_json_for_ci(cli_env, azure, devops):
    done = mdpool(cli_env, "doctor", "--json", "--config", "config/example.yaml")
    assert done.returncode == 0, done.stderr
    document = json_document(done.stdout, command="doctor")
    report = document["report"]
    assert report["result"] == "ok" and {c["status"] for c in report["checks"]} == {"ok"}
    assert document["problems"] == []
    break_the_blogs_first_deploy(azure, devops)
    done = mdpool(cli_env, "doctor", "--json", "--config", "config/example.yaml")
    assert done.returncode == 1
    document = json_document(done.stdout, command="doctor")  # stdout stays JSON on failure too
    report = document["report"]
    assert report["result"] == "failed"
    quota = next(c for c in report["checks"] if c["check"] == "quota")
    assert quota["status"] == "failed" and "by 35 to at least 40" in quota["fix"]
    # each failed check is one error of the config it was run for, its fix in the message
    errors = {p["path"]: p for p in document["problems"] if p["severity"] == "error"}
    assert sorted(errors) == sorted(c["check"] for c in report["checks"] if c["status"] == "failed")
    assert errors["quota"]["file"] == "config/example.yaml" and "fix: " in errors["quota"]["message"]
    assert len(done.stderr.strip().splitlines()) == 4  # one line per failure


def test_an_http_endpoint_is_refused_before_any_token_is_asked(cli_env):
    env = dict(cli_env, MDPOOL_DEVOPS_ENDPOINT="http://127.0.0.1:9")
    done = mdpool(env, "doctor", "--config", "config/example.yaml")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "MDPOOL_DEVOPS_ENDPOINT=http://127.0.0.1:9: must be an https:// URL (a token is never sent over plain http)"
    )


def test_deploy_stops_on_a_failed_check_before_anything_is_created(cli_env, azure, devops, tmp_path):
    azure.usages["standardDSv2Family"] = (0, 5)
    out = tmp_path / "out"
    done = mdpool(cli_env, "deploy", "--auto-approve", "--config", "config/example.yaml", "--out", str(out))
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()
    assert last[-1] == "mdpool deploy: stopped before anything was created; fix the above, or pass --skip-checks"
    assert last[-2].startswith("failed   quota: needs 40 vCPUs of standardDSv2Family")
    assert not out.exists()  # not even synthesized
    assert "Traceback" not in done.stderr


def test_deploy_json_reports_the_failed_checks_on_stdout(cli_env, azure, devops, tmp_path):
    devops.add_organization(ORGANIZATION, member=False)
    done = mdpool(
        cli_env, "deploy", "--auto-approve", "--json", "--config", "config/example.yaml", "--out", str(tmp_path / "out")
    )
    assert done.returncode == 1
    document = json_document(done.stdout, command="deploy")
    assert document["report"]["result"] == "checks failed"
    assert [c["check"] for c in document["report"]["checks"] if c["status"] == "failed"] == [f"devops:{ORGANIZATION}"]
    problems = [p["message"] for p in document["problems"]]
    assert [p.split(":")[0] for p in problems] == ["failed   devops", "mdpool deploy"]
    assert "not a member of https://dev.azure.com/your-organization" in problems[0]
    assert "ok       quota: needs 40 vCPUs" in done.stderr  # the rows, for people, on stderr with --json


def doctor_order() -> list[str]:
    from mdpool.doctor.runner import CHECKS

    return [check.NAME for check in CHECKS]


def shown_checks(rows: list[str]) -> list[str]:
    return [row.split()[1].rstrip(":") for row in rows]


@pytest.fixture
def signed_out_env(cli_env):
    """cli_env whose `az` is installed but not signed in (as azure-cli says it)."""
    az = Path(cli_env["PATH"].split(os.pathsep)[0]) / "az"
    az.write_text("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n")
    return cli_env


def test_doctor_without_a_sign_in_says_it_once_and_skips_the_checks(signed_out_env, arm):
    done = mdpool(signed_out_env, "doctor", "--config", "config/example.yaml")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()  # one line, not one failure per check
    assert line.startswith("Azure credential DefaultAzureCredential gave no token (") and "az login" in line
    rows = done.stdout.splitlines()
    assert rows[:-1] == [f"skipped  {name}: not checked: needs an Azure sign-in" for name in shown_checks(rows[:-1])]
    assert {"providers", "permissions", "pool-name", "quota", "devops"} <= set(shown_checks(rows[:-1]))
    assert shown_checks(rows[:-1]) == [name for name in doctor_order() if name in shown_checks(rows[:-1])]  # in order
    assert rows[-1] == f"doctor: {len(rows) - 1} check(s), 0 failed, 0 warning(s), {len(rows) - 1} skipped"
    assert not arm.requests  # nothing was asked without a token


def test_doctor_json_without_a_sign_in(signed_out_env):
    done = mdpool(signed_out_env, "doctor", "--json", "--config", "config/example.yaml")
    assert done.returncode == 1
    document = json_document(done.stdout, command="doctor")
    assert document["report"]["result"] == "not signed in"
    assert {c["status"] for c in document["report"]["checks"]} == {"skipped"}
    assert [p["message"] for p in document["problems"]] == done.stderr.splitlines()


def test_deploy_preflight_without_a_sign_in_is_the_sign_in_line(signed_out_env, tmp_path):
    out = tmp_path / "out"
    done = mdpool(signed_out_env, "deploy", "--auto-approve", "--stage", "gallery", "--config", "config/example.yaml", "--out", str(out))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("Azure credential DefaultAzureCredential gave no token (")
    assert not out.exists()
