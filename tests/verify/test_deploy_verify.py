"""`mdpool deploy --verify`: after the pool stage, verify's rows; a failed one fails the deploy, the stack stays applied."""

from __future__ import annotations

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from tests.deploy.conftest import (  # noqa: F401 - the fixtures
    captured,
    deploy_config,
    standin_variants,
    terraform,
    terraform_env,
    workspace,
)
from tests.deploy.test_stages import STANDIN_POLICY, NoImageBuilds

POOL = "mdp-jhp-dev-weu"


def deployment(workspace, terraform, captured, azure) -> Deployment:  # noqa: F811
    return Deployment(
        SynthOutput.load(workspace.out),
        terraform,
        NoImageBuilds(),
        console=captured.console,
        policy=STANDIN_POLICY,
        verify=azure.verify,
    )


def test_a_pool_that_serves_passes_and_the_rows_are_in_the_report(workspace, terraform, captured, azure):  # noqa: F811
    report = deployment(workspace, terraform, captured, azure).deploy()
    assert report.result == "succeeded"
    assert "verify: 6 check(s), 0 failed, 0 warning(s)" in captured.text
    assert [row["status"] for row in report.to_json()["verify"]] == ["ok"] * 6
    assert captured.text.index("[pool-dev] Apply complete!") < captured.text.index("ok       devops-pool:your-organization")


def test_a_pool_that_does_not_serve_fails_the_deploy_after_the_apply(workspace, terraform, captured, azure):  # noqa: F811
    azure.organization.queues["build"].discard(POOL)
    run = deployment(workspace, terraform, captured, azure)
    with pytest.raises(DeployError) as raised:
        run.deploy()
    assert raised.value.lines[0].startswith(f"failed   devops-queue:your-organization/build: project build has no queue for agent pool {POOL}")
    assert raised.value.lines[-1] == "pool-dev: applied, but the pool does not serve yet; fix the above, then: mdpool verify"
    assert run.report.result == "failed" and run.report.stacks[-1].status == "applied"
