"""`mdpool synth` reads the rollout state beside its output: the real pool stack (azapi body) carries the canary
while one runs, and is the config again once it ended, so the Terraform state and the config agree after it."""

from __future__ import annotations

import json

from mdpool.rollout import state as machine
from mdpool.synth import synthesize


def pool_images(out) -> list[dict]:
    stack = json.loads((out / "stacks" / "pool-dev" / "cdk.tf.json").read_text())
    (pool,) = stack["resource"]["azapi_resource"].values()
    return pool["body"]["properties"]["fabricProfile"]["images"]


def test_the_pool_stack_carries_the_canary_only_while_it_runs(tmp_path, example_config):
    out = tmp_path / "cdktf.out"
    # the definition id crosses from the gallery stack as a reference
    definition = "${data.terraform_remote_state.cross-stack-reference-input-gallery-dev.outputs."
    path = machine.state_path(example_config, out)
    assert path == tmp_path / "state" / "rollout-dev.json"
    rollout = machine.RolloutState("ubuntu-22.04", "1.0.2", "1.0.1", [example_config.names.pool], phase=machine.SMOKE)
    machine.save(path, rollout)
    synthesize(example_config, out)
    gallery = [entry for entry in pool_images(out) if "resourceId" in entry]
    assert all(entry["resourceId"].startswith(definition) for entry in gallery)
    definition = gallery[0]["resourceId"].rsplit("/versions/", 1)[0]
    assert gallery == [
        {"resourceId": f"{definition}/versions/1.0.1", "aliases": ["jhp-ubuntu-22.04/latest", "jhp-ubuntu/latest"], "buffer": "0"},
        {"resourceId": f"{definition}/versions/1.0.2", "aliases": ["ubuntu-22.04-canary"], "buffer": "0"},
    ]
    rollout.phase = machine.PROMOTED
    machine.save(path, rollout)
    synthesize(example_config, out)  # promoted: the config alone again
    assert [entry for entry in pool_images(out) if "resourceId" in entry] == [
        {"resourceId": f"{definition}/versions/latest", "aliases": ["jhp-ubuntu-22.04/latest", "jhp-ubuntu/latest"], "buffer": "0"}
    ]
