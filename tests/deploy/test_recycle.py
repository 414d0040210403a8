"""`mdpool deploy --recycle`: idle agents on older image versions go, busy ones never, standby stays.

Against the loopback ARM stand-in (the real azure-core pipeline over HTTPS, retries on, as in
production) with the pool's machines served by tests/support/pool_standin.py.
"""

from __future__ import annotations

import pytest

from mdpool.deploy.recycle import Machine, plan_recycle, pool_id_of, recycle_pool
from mdpool.imagebuild.builder import Connection
from tests.deploy.test_deploy_scenarios import make_deployment
from tests.support.arm_standin import ArmStandIn
from tests.support.pool_standin import PoolStandIn


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as standin:
        yield standin


def connection(arm) -> Connection:
    # the stand-in's endpoint and CA, with a short back-off; azure-core's retries stay on, as in production
    return Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs())


def seed(arm, deploy_config, stand_in: type[PoolStandIn] = PoolStandIn) -> PoolStandIn:
    image = deploy_config.names.gallery_image_id("ubuntu-22.04")
    for version in ("0.25001.9", "0.25001.10"):  # newest by number, not by text
        arm.add_image_version(image, version)
    arm.add_image_version(image, "0.25002.1", provisioning_state="Failed")  # never the target
    pool = stand_in(arm, pool_id_of(deploy_config), page_size=2)
    old, new = "0.25001.9", "0.25001.10"
    pool.add_machine("m1-ready-old", status="Ready", image=image, image_version=old)
    pool.add_machine("m2-leased-old", status="Leased", image=image, image_version=old)
    pool.add_machine("m3-allocated-old", status="Allocated", image=image, image_version=old)
    pool.add_machine("m4-ready-new", status="Ready", image=image, image_version=new)
    pool.add_machine("m5-ready-old", status="Ready", image=image + "/versions/" + old, image_version=old)
    pool.add_machine("m6-ready-wellknown", status="Ready", image="ubuntu-22.04/latest", image_version="20250101.1")
    pool.add_machine("m7-ready-old", status="Ready", image=image.upper(), image_version=old)
    return pool


def test_idle_old_agents_are_recycled_in_one_batch_busy_ones_never(arm, deploy_config):
    pool = seed(arm, deploy_config)
    result = recycle_pool(deploy_config, connection(arm))
    # 5 ready machines -> a batch of 2; of the 3 idle old ones, the third waits, as do the 2 busy ones
    assert pool.deleted == ["m1-ready-old", "m5-ready-old"]
    assert pool.busy_deleted == []
    assert (result.recycled, result.waiting) == (2, 3)
    assert "m4-ready-new" in pool.machines and "m6-ready-wellknown" in pool.machines
    assert pool.delete_bodies == [{"resourceIds": [pool.machine_id("m1-ready-old"), pool.machine_id("m5-ready-old")]}]
    assert result.line("pool-dev") == (
        "pool-dev: recycled 2 idle agent(s) on older image versions; 3 wait (busy, or beyond this run's batch)"
    )
    # all pages were read (page size 2, seven machines)
    assert len(arm.requests_matching("GET", r"/pools/[^/]+/resources$")) == 4


def test_a_second_run_takes_the_next_batch(arm, deploy_config):
    pool = seed(arm, deploy_config)
    recycle_pool(deploy_config, connection(arm))
    second = recycle_pool(deploy_config, connection(arm))
    assert pool.deleted == ["m1-ready-old", "m5-ready-old", "m7-ready-old"]
    assert (second.recycled, second.waiting) == (1, 2) and pool.busy_deleted == []


def test_transient_errors_are_retried_by_the_pipeline(arm, deploy_config):
    pool = seed(arm, deploy_config)
    arm.fail("GET", r"/pools/[^/]+/resources$", 503, times=1)
    arm.fail("POST", r"/pools/[^/]+/resources$", 502, times=1)
    result = recycle_pool(deploy_config, connection(arm))
    assert result.recycled == 2 and pool.deleted == ["m1-ready-old", "m5-ready-old"]


@pytest.mark.parametrize("state", ["Creating", "Updating", "Migrating", "Deleting"])
def test_a_version_still_in_the_making_is_never_the_target(arm, deploy_config, state):
    # compute GalleryProvisioningState: only a Succeeded version can be used by a pool
    pool = seed(arm, deploy_config)
    arm.add_image_version(deploy_config.names.gallery_image_id("ubuntu-22.04"), "0.25009.1", provisioning_state=state)
    result = recycle_pool(deploy_config, connection(arm))
    assert (result.recycled, result.waiting) == (2, 3)  # as without it: m4 on 0.25001.10 is current
    assert "m4-ready-new" in pool.machines


class DeletesThenTimesOut(PoolStandIn):
    """The first delete goes through but its answer is a gateway timeout (504)."""

    timed_out = False

    def _delete(self, request):
        answer = super()._delete(request)
        if self.timed_out:
            return answer
        self.timed_out = True
        return 504, {}, {"error": {"code": "GatewayTimeout", "message": "The gateway did not receive a response in time."}}


def test_after_a_5xx_only_the_machines_still_there_are_asked_for_again(arm, deploy_config):
    pool = seed(arm, deploy_config, DeletesThenTimesOut)
    result = recycle_pool(deploy_config, connection(arm))
    assert result.recycled == 2 and pool.deleted == ["m1-ready-old", "m5-ready-old"]
    assert len(pool.delete_bodies) == 1  # listed again, found both gone: no second POST


def test_nothing_to_do_when_every_agent_is_current(arm, deploy_config):
    image = deploy_config.names.gallery_image_id("ubuntu-22.04")
    arm.add_image_version(image, "1.0.0")
    pool = PoolStandIn(arm, pool_id_of(deploy_config))
    pool.add_machine("m1", status="Ready", image=image, image_version="1.0.0")
    result = recycle_pool(deploy_config, connection(arm))
    assert (result.recycled, result.waiting) == (0, 0) and pool.delete_bodies == []
    assert result.line("pool-dev") == "pool-dev: recycle: every agent runs the newest image version"


def test_a_refusal_is_one_line(arm, deploy_config):
    seed(arm, deploy_config)
    arm.fail("POST", r"/pools/[^/]+/resources$", 403, times=5, code="AuthorizationFailed", message="no rights")
    with pytest.raises(Exception) as caught:
        recycle_pool(deploy_config, connection(arm))
    (line,) = caught.value.lines
    assert line.startswith("recycle: POST ") and "no rights" in line


@pytest.mark.parametrize("ready, stale_idle, batch", [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 2), (9, 9, 4)])
def test_the_batch_keeps_half_of_the_ready_machines(ready, stale_idle, batch):
    machines = [Machine(f"id{i}", f"m{i}", "Ready", "img", "1.0.0") for i in range(stale_idle)]
    machines += [Machine(f"new{i}", f"n{i}", "Ready", "img", "2.0.0") for i in range(ready - stale_idle)]
    plan = plan_recycle(machines, {"img": "2.0.0"})
    assert len(plan.delete) == batch and len(plan.later) == stale_idle - batch


@pytest.mark.parametrize(
    "status",
    [
        "Leased",
        "Allocated",
        "Provisioning",
        "Starting",
        "Updating",
        "PendingReimage",
        "Reimaging",
        "PendingReturn",
        "Returned",
        "NotReady",
    ],
)
def test_only_ready_machines_are_ever_deleted(status):
    plan = plan_recycle([Machine("id", "m", status, "img", "1.0.0")], {"img": "2.0.0"})
    assert plan.delete == () and len(plan.busy) == 1


def test_the_deploy_summary_says_what_was_recycled(workspace, terraform, captured, arm, deploy_config):
    pool = seed(arm, deploy_config)
    deployment = make_deployment(
        workspace, terraform, captured, arm, deploy_config, recycle=lambda stack: recycle_pool(deploy_config, connection(arm))
    )
    report = deployment.deploy()
    assert report.result == "succeeded"
    # the deploy built a new version (0.<yyddd>.<n>, newer than 0.25001.10): every machine of the
    # image is now on an older version; 5 ready -> a batch of 2, the other 2 idle and 2 busy wait
    built = next(image for image in report.images if image.name == "ubuntu-22.04")
    assert built.outcome == "built"
    assert "pool-dev: recycled 2 idle agent(s) on older image versions; 4 wait" in captured.text
    assert report.to_json()["recycle"] == {"recycled": 2, "waiting": 4}
    assert pool.busy_deleted == []
    # recycling comes after the pool stage
    assert captured.text.index("[pool-dev] Apply complete!") < captured.text.index("recycled 2 idle")
