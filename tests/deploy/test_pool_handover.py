"""The pool's hand-over from round 1's `azurerm_managed_devops_pool` to `azapi_resource`, on the real terraform.

Round 1 kept the pool at another address (the stand-in `round-one` layout); the current pool stack
carries what mdpool emits for the hand-over (mdpool.constructs.handover): `removed` with
`destroy = false` for the former address, and an `import` with `?api-version=2026-06-02` in the id,
switched on by a variable that `mdpool plan`/`deploy` set only when the state holds the former pool.
"""

from __future__ import annotations

import json

from mdpool.deploy.migration import plan_variables
from tests.deploy.standin_stacks import FORMER_POOL
from tests.deploy.test_stages import deployment


def pool_plan(workspace, terraform) -> dict[str, dict]:
    """The pool stack's planned changes by address, planned with the variables mdpool derives from the state."""
    stack_dir = workspace.out / "stacks" / "pool-dev"
    stack = terraform.stack("pool-dev", stack_dir)
    stack.init()
    stack.plan("handover.tfplan", plan_variables(stack_dir / "cdk.tf.json", stack.state_addresses()))
    try:
        plan = stack.show_plan("handover.tfplan")
    finally:
        (stack_dir / "handover.tfplan").unlink()
    return {item["address"]: item["change"] for item in plan["resource_changes"] if item["mode"] == "managed"}


def test_a_round_one_state_hands_the_pool_over_without_replacing_it(workspace, terraform, captured):
    workspace.use("round-one")
    assert deployment(workspace, terraform, captured).deploy().result == "succeeded"
    assert workspace.state_resources("pool-dev") == [f"terraform_data.{FORMER_POOL}"]

    workspace.use("base")
    changes = pool_plan(workspace, terraform)
    assert changes[f"terraform_data.{FORMER_POOL}"]["actions"] == ["forget"]
    assert changes["terraform_data.pool"]["importing"]["id"].endswith(
        "/providers/Microsoft.DevOpsInfrastructure/pools/mdp-jhp-dev-weu?api-version=2026-06-02"
    )
    assert not any("delete" in change["actions"] for change in changes.values())  # no destroy, no replacement

    report = deployment(workspace, terraform, captured).plan()
    assert "pool-dev: the state holds the azurerm pool of mdpool round 1" in captured.text
    assert "1 to import, 1 to forget" in captured.text
    assert report.stacks[-1].changes == {"create": 0, "update": 1, "replace": 0, "destroy": 0}  # update: see standin_stacks

    report = deployment(workspace, terraform, captured).deploy()
    assert report.result == "succeeded"
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]  # the new address, managed
    state = json.loads((workspace.state / "pool-dev.tfstate").read_text())
    pool = next(r for r in state["resources"] if r["name"] == "pool")
    assert pool["instances"][0]["attributes"]["id"].endswith("?api-version=2026-06-02")

    # once handed over, the state no longer holds the former pool: nothing is imported again
    assert plan_variables(workspace.out / "stacks" / "pool-dev" / "cdk.tf.json", ["terraform_data.pool"]) == {}
    assert all(
        change["actions"] == ["no-op"] and "importing" not in change for change in pool_plan(workspace, terraform).values()
    )


def test_a_fresh_deploy_does_not_import(workspace, terraform, captured):
    report = deployment(workspace, terraform, captured).deploy()
    assert report.result == "succeeded"
    assert "round 1" not in captured.text and "to import" not in captured.text
    assert "pool-dev: 1 to create" in captured.text
    assert [(s.name, s.changes["create"]) for s in report.stacks] == [("gallery-dev", 5), ("pool-dev", 1)]
    state = json.loads((workspace.state / "pool-dev.tfstate").read_text())
    pool = next(r for r in state["resources"] if r["name"] == "pool")
    assert "?api-version" not in pool["instances"][0]["attributes"]["id"]  # created, not imported
