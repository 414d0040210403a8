"""`mdpool rollout`: a canary, the smoke run, then promotion or rollback; against the ARM and Azure DevOps
stand-ins and the real terraform on the stand-in pool stack (tests/rollout/standin_rollout.py)."""

from __future__ import annotations

import json

import pytest

from mdpool.rollout import state as machine
from tests.rollout.conftest import IMAGE, NEW, OLD, ORGANIZATION


def gallery_id(world) -> str:
    from mdpool.loader import load_config

    return load_config(world.settings.config).names.gallery_image_id(IMAGE)


def test_a_healthy_canary_is_promoted_and_idle_agents_on_the_old_version_recycled(deployed):
    world = deployed
    rollout, close, stack = world.rollout()
    try:
        outcome = rollout.run(IMAGE)
    finally:
        close()
    assert outcome.ok, world.text
    assert outcome.lines == [f"rollout of {IMAGE} {NEW}: promoted"]
    definition = gallery_id(world)

    # the canary apply: the previous version pinned as the default, the new one as <image>-canary, buffer 0
    canary = stack.applied[0]
    assert canary == (
        {"resourceId": f"{definition}/versions/{OLD}", "aliases": ["jhp-ubuntu-22.04/latest"], "buffer": "*"},
        {"resourceId": f"{definition}/versions/{NEW}", "aliases": [f"{IMAGE}-canary"], "buffer": "0"},
    )
    # the smoke run was queued once, in the pool's organization, with the canary's alias as its parameter
    runs = world.devops.organizations[ORGANIZATION].runs
    assert [run.template_parameters for run in runs] == [{"imageOverride": f"{IMAGE}-canary"}]
    # promoted: the pool is back at `latest` as the config says (Terraform state == config), no canary
    assert stack.applied[-1] == ({"resourceId": f"{definition}/versions/latest", "aliases": ["jhp-ubuntu-22.04/latest"], "buffer": "*"},)
    assert stack.pool_input()["fabric_images"] == [dict(entry) for entry in stack.applied[-1]]
    # born held back from latest (strategy canary), let in on promotion
    assert world.arm.version_patches == [(f"{definition}/versions/{NEW}", False)]
    assert world.exclude_from_latest(NEW) is False
    # idle agents on the old version recycled (half the ready ones per run), the leased one never
    assert world.pool.deleted == ["m1-ready-old"] and world.pool.busy_deleted == []
    saved = json.loads(rollout.path.read_text())
    assert saved["phase"] == machine.PROMOTED and saved["runs"][0]["result"] == "succeeded"


def test_a_failing_smoke_run_keeps_the_old_version_excludes_the_new_and_names_the_run(deployed):
    world = deployed
    pipeline = next(iter(world.devops.organizations[ORGANIZATION].pipelines.values()))
    pipeline.result = "failed"
    rollout, close, stack = world.rollout()
    try:
        outcome = rollout.run(IMAGE)
    finally:
        close()
    assert not outcome.ok
    url = f"https://dev.azure.com/{ORGANIZATION}/build/_build/results?buildId=1000"
    assert outcome.lines == [
        f"rollout of {IMAGE} {NEW}: rolled back: smoke run {url} failed; the pools keep {OLD}, and {NEW} is excluded from latest"
    ]
    definition = gallery_id(world)
    # the pool stack as the config says again (latest), and latest is the old version: the new one is excluded
    assert stack.pool_input()["fabric_images"] == [
        {"resourceId": f"{definition}/versions/latest", "aliases": ["jhp-ubuntu-22.04/latest"], "buffer": "*"}
    ]
    assert world.exclude_from_latest(NEW) is True and world.exclude_from_latest(OLD) is False
    assert world.pool.deleted == []  # nothing recycled: the old version stays
    # run again: the same version is not tried twice
    rollout, close, _ = world.rollout()
    try:
        with pytest.raises(Exception, match=f"{NEW}: rolled back .*build a new version"):
            rollout.run(IMAGE)
    finally:
        close()


def test_a_rollout_killed_between_steps_resumes_where_it_stopped(deployed, tmp_path):
    """SIGKILL (a crash, a lost agent) while the smoke run is watched: the next run watches the same run,
    never queues a second one, and promotes."""
    import dataclasses
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    world = deployed
    organization = world.devops.organizations[ORGANIZATION]
    pipeline = next(iter(organization.pipelines.values()))
    pipeline.polls = 10_000  # the run stays in progress while the child watches it
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(dataclasses.asdict(world.settings)))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.rollout.standin_rollout", str(settings), IMAGE],
        cwd=REPO,
        env=world.settings.terraform_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rollout, close, stack = world.rollout()
    try:
        deadline = time.monotonic() + 120
        while True:
            saved = machine.load(rollout.path)
            if saved is not None and saved.phase == machine.SMOKE and saved.runs and organization.runs[0].looks >= 2:
                break
            assert child.poll() is None and time.monotonic() < deadline, child.stderr.read() if child.stderr else ""
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert machine.load(rollout.path).phase == machine.SMOKE  # the file is whole (written atomically)

        pipeline.polls = 0  # the run completes at the next look
        outcome = rollout.run(IMAGE)
    finally:
        close()
        if child.poll() is None:
            child.kill()
    assert outcome.ok, world.text
    assert f"rollout of {IMAGE} {NEW}: resuming at smoke" in world.text
    assert len(organization.runs) == 1  # watched again, not queued again
    # this process applied only the promotion: the canary was applied by the killed one
    definition = gallery_id(world)
    assert stack.applied == [({"resourceId": f"{definition}/versions/latest", "aliases": ["jhp-ubuntu-22.04/latest"], "buffer": "*"},)]
    assert stack.pool_input()["fabric_images"] == [dict(entry) for entry in stack.applied[-1]]
    assert world.exclude_from_latest(NEW) is False


def test_a_smoke_run_past_the_timeout_rolls_back(deployed):
    world = deployed
    pipeline = next(iter(world.devops.organizations[ORGANIZATION].pipelines.values()))
    pipeline.polls = 10**6  # never finishes
    rollout, close, stack = world.rollout()
    ticks = iter(range(0, 10**6, 25))  # each look at the clock: 25 s later (rollout.timeout_minutes is 1)
    rollout.smoke.clock = lambda: float(next(ticks))
    try:
        outcome = rollout.run(IMAGE)
    finally:
        close()
    assert not outcome.ok
    assert "still inProgress after 1 min (rollout.timeout_minutes)" in outcome.lines[0]
    assert world.exclude_from_latest(NEW) is True
    assert stack.pool_input()["fabric_images"][0]["resourceId"].endswith("/versions/latest")


def test_abort_rolls_a_canary_back(deployed):
    world = deployed
    pipeline = next(iter(world.devops.organizations[ORGANIZATION].pipelines.values()))
    pipeline.polls = 10**6
    rollout, close, stack = world.rollout()
    try:
        # a rollout left at its canary (as a stopped run leaves it), then aborted
        state = machine.RolloutState(IMAGE, NEW, OLD, ["mdp-jhp-dev-weu"], phase=machine.CANARY)
        machine.save(rollout.path, state)
        outcome = rollout.run(IMAGE, abort=True)
    finally:
        close()
    assert not outcome.ok and "rolled back: aborted (mdpool rollout --abort)" in outcome.lines[0]
    assert stack.applied and stack.pool_input()["fabric_images"][0]["resourceId"].endswith("/versions/latest")
    assert world.exclude_from_latest(NEW) is True
    assert world.devops.organizations[ORGANIZATION].runs == []  # nothing queued


def test_a_version_already_in_latest_is_held_back_first_when_rolled_out_by_hand(deployed, tmp_path):
    """Strategy immediate (builds publish into latest): `mdpool rollout` holds the version back before the canary."""
    from tests.rollout.conftest import rollout_config

    world = deployed
    world.settings.config = str(rollout_config(tmp_path, lambda data: data["rollout"].update(strategy="immediate")))
    definition = gallery_id(world)
    world.arm._versions[definition.lower()][NEW.lower()]["properties"]["publishingProfile"]["excludeFromLatest"] = False
    rollout, close, _ = world.rollout()
    try:
        outcome = rollout.run(IMAGE)
    finally:
        close()
    assert outcome.ok, world.text
    assert world.arm.version_patches == [(f"{definition}/versions/{NEW}", True), (f"{definition}/versions/{NEW}", False)]


def test_under_strategy_canary_a_version_in_latest_is_already_promoted(world):
    definition = gallery_id(world)
    world.arm._versions[definition.lower()][NEW.lower()]["properties"]["publishingProfile"]["excludeFromLatest"] = False
    rollout, close, stack = world.rollout()
    try:
        outcome = rollout.run(IMAGE)
    finally:
        close()
    assert outcome.ok and outcome.state is None and stack.applied == []
    assert outcome.lines == [f"{IMAGE} {NEW}: already in latest; nothing to roll out (--version {NEW} canaries it anyway)"]
