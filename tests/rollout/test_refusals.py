"""What `mdpool rollout` refuses before it changes anything, the state file's rules, and the overlay."""

from __future__ import annotations

import json

import pytest

from mdpool.loader import load_config
from mdpool.problems import InputError
from mdpool.rollout import state as machine
from mdpool.rollout.overlay import with_rollout
from mdpool.rollout.runner import RolloutRefused
from tests.rollout.conftest import IMAGE, NEW, OLD, rollout_config


def run(world, image=IMAGE, **options):
    rollout, close, stack = world.rollout()
    try:
        return rollout.run(image, **options), rollout, stack
    finally:
        close()


def test_an_image_not_in_the_gallery_is_refused(world):
    with pytest.raises(RolloutRefused, match="windows: not a gallery image of .*; gallery images: ubuntu-22.04, ubuntu-24.04"):
        run(world, "windows")


def test_an_image_no_pool_runs_at_latest_is_refused(world):
    with pytest.raises(RolloutRefused, match="ubuntu-24.04: no pool runs it at `latest`"):
        run(world, "ubuntu-24.04")


def test_an_organization_without_a_smoke_pipeline_is_refused(world, tmp_path):
    def other_org(data):
        data["rollout"]["smoke"][0]["organization"] = "another-organization"

    world.settings.config = str(rollout_config(tmp_path, other_org))
    with pytest.raises(RolloutRefused, match="no smoke pipeline for https://dev.azure.com/your-organization"):
        run(world)
    assert world.arm.version_patches == []


def test_an_unknown_version_is_refused_and_nothing_is_written(world):
    with pytest.raises(RolloutRefused, match=f"{IMAGE}: no Succeeded version 9.9.9; versions: {OLD}, {NEW}"):
        _, rollout, _ = run(world, version="9.9.9")
    assert world.arm.version_patches == []


def test_a_first_version_has_nothing_to_fall_back_on_and_goes_straight_into_latest(world):
    from mdpool.loader import load_config

    image_id = load_config(world.settings.config).names.gallery_image_id(IMAGE)
    world.arm._versions[image_id.lower()].pop(OLD.lower())  # NEW, held back, is the only version
    outcome, rollout, stack = run(world)
    assert outcome.ok and outcome.state is None and stack.applied == []
    assert outcome.lines == [
        f"{IMAGE} {NEW}: no earlier version to fall back on, so no canary: the pools take it as their first version"
    ]
    assert world.arm.version_patches == [(f"{image_id}/versions/{NEW}", False)]
    assert not rollout.path.exists()


def test_a_rollout_under_way_blocks_another_image_and_says_how_to_finish(world):
    rollout, close, _ = world.rollout()
    close()
    machine.save(rollout.path, machine.RolloutState("ubuntu-24.04", "2.0.0", "1.0.0", ["p"], phase=machine.SMOKE))
    with pytest.raises(RolloutRefused, match="a rollout of ubuntu-24.04 2.0.0 is under way .*mdpool rollout ubuntu-24.04 --abort"):
        run(world)


def test_abort_without_a_rollout_is_refused(world):
    with pytest.raises(RolloutRefused, match="no rollout under way to abort"):
        run(world, abort=True)


def test_the_machine_allows_only_its_transitions():
    state = machine.RolloutState(IMAGE, NEW, OLD, ["p"])
    with pytest.raises(ValueError, match="cannot go from holding to promoting"):
        state.advance(machine.PROMOTING)
    for phase in (machine.CANARY, machine.SMOKE, machine.PROMOTING, machine.RECYCLING, machine.PROMOTED):
        state.advance(phase)
    with pytest.raises(ValueError, match="cannot go from promoted to rolling_back"):
        state.advance(machine.ROLLING_BACK)


def test_a_state_file_is_replaced_whole_and_a_broken_one_is_one_line(tmp_path):
    path = tmp_path / "state" / "rollout-dev.json"
    first = machine.RolloutState(IMAGE, NEW, OLD, ["p"])
    machine.save(path, first)
    assert machine.load(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["rollout-dev.json"]  # no temporary file left
    path.write_text('{"format": 1, "image": ')
    with pytest.raises(machine.StateFileError, match=r"rollout-dev.json: not a rollout state mdpool can read \("):
        machine.load(path)
    path.write_text(json.dumps({**first.to_json(), "phase": "sideways"}))
    with pytest.raises(machine.StateFileError, match="unknown phase 'sideways'"):
        machine.load(path)


@pytest.mark.parametrize("phase", [machine.CANARY, machine.SMOKE])
def test_the_overlay_holds_while_the_canary_runs(tmp_path, phase):
    cfg = load_config(rollout_config(tmp_path))
    canary = with_rollout(cfg, machine.RolloutState(IMAGE, NEW, OLD, ["p"], phase=phase))
    [default, extra] = [i for i in canary.pool.images if i.gallery_image == IMAGE]
    assert (default.version, default.aliases, default.buffer) == (OLD, cfg.pool.images[0].aliases, "*")
    assert (extra.version, extra.aliases, extra.buffer) == (NEW, [f"{IMAGE}-canary"], 0)


@pytest.mark.parametrize(
    "phase", [machine.HOLDING, machine.PROMOTING, machine.RECYCLING, machine.PROMOTED, machine.ROLLING_BACK, machine.ROLLED_BACK]
)
def test_outside_the_canary_the_pool_stack_is_the_config(tmp_path, phase):
    cfg = load_config(rollout_config(tmp_path))
    assert with_rollout(cfg, machine.RolloutState(IMAGE, NEW, OLD, ["p"], phase=phase)) is cfg


def test_a_canary_strategy_without_a_smoke_pipeline_is_refused_by_validate(tmp_path):
    def no_smoke(data):
        data["rollout"]["smoke"] = []

    with pytest.raises(InputError, match="strategy canary needs at least one `smoke` pipeline"):
        load_config(rollout_config(tmp_path, no_smoke))
