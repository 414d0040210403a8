"""`mdpool verify` against the stand-ins: each check's failing case, its passing case at the limit, and the rows."""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.rollout import state as machine

POOL = "mdp-jhp-dev-weu"


def test_a_pool_that_serves_passes_every_check(azure):
    rows = azure.rows()
    assert {check: status for check, (status, _, _) in rows.items()} == {
        "devops-pool:your-organization": "ok",
        "devops-queue:your-organization/build": "ok",
        "devops-queue:your-organization/release": "ok",
        "parallel-jobs:your-organization": "ok",
        f"provisioning:{POOL}": "ok",
        f"versions:{POOL}": "ok",
    }
    assert rows["parallel-jobs:your-organization"][1] == (
        "https://dev.azure.com/your-organization has 3 self-hosted parallel job(s); the pools may run 3 at once"
    )
    assert rows["devops-queue:your-organization/build"][1] == f"project build has queue {POOL}, open to every pipeline"
    assert rows[f"versions:{POOL}"][1] == "2 machine(s) of the config's gallery images, all on 0.25001.10"
    # the metric asked for: the last hour, failed provisionings only, split by error code
    (query,) = azure.pool.metric_queries
    assert query["$filter"] == "Status eq 'Failed' and ErrorCode eq '*'" and query["interval"] == "PT1H"


def test_a_project_without_a_queue_fails_with_the_fix(azure):
    azure.organization.queues["release"].discard(POOL)
    status, message, fix = azure.rows()["devops-queue:your-organization/release"]
    assert status == "failed"
    assert message == f"project release has no queue for agent pool {POOL}; its pipelines cannot use the pool"
    assert fix.startswith("add it: https://dev.azure.com/your-organization/release/_settings/agentqueues")
    assert azure.rows()["devops-queue:your-organization/build"][0] == "ok"


def test_open_access_that_does_not_hold_fails(azure):
    azure.organization.open_queues.discard(("build", POOL))
    status, message, _ = azure.rows()["devops-queue:your-organization/build"]
    assert status == "failed" and "not open to every pipeline although open_access is true" in message


def test_a_missing_agent_pool_fails(azure):
    azure.organization.agent_pools.clear()
    rows = azure.rows()
    assert rows["devops-pool:your-organization"][0] == "failed"
    assert rows["devops-pool:your-organization"][1] == (
        f"https://dev.azure.com/your-organization has no agent pool {POOL}; Azure's pool does not serve this organization"
    )
    assert "devops-queue:your-organization/build" not in rows  # no queue to look for without the pool


@pytest.mark.parametrize("purchased, status", [(2, "failed"), (3, "ok"), (4, "ok")])
def test_too_few_parallel_jobs_fail_both_sides_of_the_bound(azure, purchased, status):
    # needed: the organization's parallelism, 3 (validate makes the organizations' parallelism add up to the maximum)
    azure.organization.self_hosted_parallel_jobs = purchased
    row = azure.rows()["parallel-jobs:your-organization"]
    assert row[0] == status
    if status == "failed":
        assert row[1] == (
            "https://dev.azure.com/your-organization has 2 self-hosted parallel job(s); the pools may run 3 jobs at once "
            "there, so 1 agent(s) would wait for a parallel job"
        )


def test_parallel_jobs_that_cannot_be_read_warn_and_say_where_to_look(azure):
    azure.devops.fail(r"/_apis/distributedtask/resourceusage", 404, times=10, body={"message": "gone"})
    status, message, fix = azure.rows()["parallel-jobs:your-organization"]
    assert status == "warning" and "a preview API" in message
    assert fix.startswith("check that https://dev.azure.com/your-organization/_settings/buildqueue") and "at least 3" in fix


def test_a_provisioning_error_in_the_last_hour_fails(azure):
    azure.pool.provisioning_errors = {"ImageNotFound": 3, "SkuNotAvailable": 1}
    status, message, fix = azure.rows()[f"provisioning:{POOL}"]
    assert status == "failed"
    assert message == f"pool {POOL}: 4 agent(s) failed to provision in the last hour (ImageNotFound 3, SkuNotAvailable 1)"
    assert "monitor-pool#error-codes" in fix


@pytest.mark.parametrize("state, status", [(None, "failed"), ("Failed", "failed"), ("Succeeded", "ok")])
def test_a_pool_missing_or_failed_in_azure_fails(azure, state, status):
    azure.pool.provisioning_state = state
    assert azure.rows()[f"provisioning:{POOL}"][0] == status


def test_machines_on_an_older_version_warn_and_others_fail(azure):
    image_id = load_config(azure.config).names.gallery_image_id("ubuntu-22.04")
    azure.pool.add_machine("m4", status="Ready", image=image_id, image_version="0.25001.9")
    status, message, fix = azure.rows()[f"versions:{POOL}"]
    assert status == "warning" and "m4 (0.25001.9, Ready)" in message and "mdpool deploy --recycle" in fix
    azure.pool.add_machine("m5", status="Ready", image=image_id, image_version="0.25002.1")
    status, message, _ = azure.rows()[f"versions:{POOL}"]
    assert status == "failed" and "m5 (0.25002.1)" in message


def test_a_running_canary_is_expected_and_latest_skips_an_excluded_version(azure):
    cfg = load_config(azure.config)
    image_id = cfg.names.gallery_image_id("ubuntu-22.04")
    azure.arm.add_image_version(image_id, "0.25002.1")
    versions = azure.arm._versions[image_id.lower()]
    versions["0.25002.1"]["properties"]["publishingProfile"]["excludeFromLatest"] = True  # held back: latest stays 0.25001.10
    azure.pool.add_machine("m5", status="Allocated", image=image_id, image_version="0.25002.1")
    assert azure.rows()[f"versions:{POOL}"][0] == "failed"
    machine.save(
        machine.state_path(cfg, azure.out),
        machine.RolloutState("ubuntu-22.04", "0.25002.1", "0.25001.10", [POOL], phase=machine.SMOKE),
    )
    assert azure.rows()[f"versions:{POOL}"][0] == "ok"
