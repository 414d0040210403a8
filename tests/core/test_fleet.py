"""A fleet: several pools under `pools:` on one gallery, their defaults, names and stacks.

The one-pool form (`pool:`) is the example's; tests/core/test_snapshot.py holds it byte for byte.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.problems import InputError
from mdpool.yamlsource import load_yaml
from tests.conftest import EXAMPLE_CONFIG

FLEET_CONFIG = EXAMPLE_CONFIG.parent / "fleet.yaml"
FLEET = load_yaml(FLEET_CONFIG).data


def write(tmp_path: Path, data: dict) -> Path:
    data = copy.deepcopy(data)
    definition = tmp_path / "image.json.j2"
    definition.write_text("{}")
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = definition.name
    target = tmp_path / "env.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def fleet(**changes) -> dict:
    data = copy.deepcopy(FLEET)
    data.update(changes)
    return data


def problems_of(path: Path) -> list[str]:
    """The errors loading `path` reports; [] when it loads."""
    try:
        load_config(path)
    except InputError as error:
        return [str(problem) for problem in error.problems]
    return []


def test_the_fleet_example_has_two_pools_with_their_defaults():
    config = load_config(FLEET_CONFIG)
    linux, windows = config.pools
    assert (linux.key, windows.key) == ("linux", "windows")
    assert config.pool_stacks == ["pool-dev-linux", "pool-dev-windows"]
    # taken from pool_defaults: the same organization and agents for both
    assert linux.organizations == windows.organizations == config.pool_defaults.organizations
    assert windows.agents.kind == "stateful" and windows.agents.maximum_lifetime == "02:00:00"
    # given per pool
    assert (linux.sku, windows.sku) == ("Standard_DS3_v2", "Standard_D8ads_v5")
    assert (linux.tags, windows.tags) == ({}, {"os": "windows"})
    # the one organization's parallelism is the whole pool's
    assert [linux.parallelism_of(linux.organizations[0]), windows.parallelism_of(windows.organizations[0])] == [10, 4]


def test_each_pool_has_its_own_names():
    names = load_config(FLEET_CONFIG).names
    linux, windows = names.pools["linux"], names.pools["windows"]
    assert (linux.pool, windows.pool) == ("mdp-jhp-dev-linux-weu", "mdp-jhp-dev-windows-weu")
    assert (linux.dev_center, windows.dev_center) == ("dc-jhp-dev-linux-weu", "dc-jhp-dev-windows-weu")
    assert (linux.resource_group, windows.resource_group) == ("rg-jhp-pool-dev-linux-weu", "rg-jhp-pool-dev-windows-weu")
    assert names.gallery == "gal_jhp_dev_weu"  # one gallery for the fleet


def test_a_pools_own_setting_replaces_the_default_whole(tmp_path):
    data = fleet()
    data["pools"][1]["agents"] = {"kind": "stateless"}
    windows = load_config(write(tmp_path, data)).pools[1]
    assert windows.agents.kind == "stateless" and windows.agents.grace_period is None


def test_a_pool_named_in_capitals_keeps_its_name_and_derives_lower_case_names(tmp_path):
    data = fleet()
    data["pools"][1]["name"] = "Win2025"
    config = load_config(write(tmp_path, data))
    assert config.pool_stacks[1] == "pool-dev-Win2025"
    assert config.names.for_pool(config.pools[1]).pool == "mdp-jhp-dev-win2025-weu"


@pytest.mark.parametrize("name", ["a", "A", "abcdefghijkl", "x1y2"])
def test_pool_names_accepted(tmp_path, name):
    data = fleet()
    data["pools"][1]["name"] = name
    data["pools"][1]["dev_center_name"] = "dc-fleet-windows"  # a derived one could be too long for Azure
    assert load_config(write(tmp_path, data)).pools[1].key == name


@pytest.mark.parametrize("name", ["", "abcdefghijklm", "1linux", "win-2", "win_2"])
def test_pool_names_refused(tmp_path, name):
    data = fleet()
    data["pools"][1]["name"] = name
    (problem,) = problems_of(write(tmp_path, data))
    assert ": pools[1].name: " in problem and "letters or digits" in problem, problem


def test_a_fleet_pool_needs_a_name(tmp_path):
    data = fleet()
    del data["pools"][0]["name"]
    assert any(": pools[0].name: required setting is missing" in p for p in problems_of(write(tmp_path, data)))


def test_pool_and_pools_together_are_refused(tmp_path):
    data = fleet(pool=copy.deepcopy(load_yaml(EXAMPLE_CONFIG).data["pool"]))
    (problem,) = problems_of(write(tmp_path, data))
    assert "give `pool:` (one pool) or `pools:`" in problem


def test_neither_pool_nor_pools_is_refused(tmp_path):
    data = fleet()
    del data["pools"]
    del data["pool_defaults"]
    (problem,) = problems_of(write(tmp_path, data))
    assert "give `pool:` (one pool) or `pools:`" in problem


def test_an_empty_fleet_is_refused(tmp_path):
    (problem,) = problems_of(write(tmp_path, fleet(pools=[])))
    assert ": pools: " in problem


def test_pool_defaults_without_pools_are_refused(tmp_path):
    data = copy.deepcopy(load_yaml(EXAMPLE_CONFIG).data)
    data["pool_defaults"] = {"sku": "Standard_D2ads_v5"}
    (problem,) = problems_of(write(tmp_path, data))
    assert "`pool_defaults:` applies to `pools:`" in problem


def test_a_problem_in_a_default_is_reported_where_the_default_is_written(tmp_path):
    data = fleet()
    data["pool_defaults"]["agents"] = {"kind": "stateless", "grace_period": "00:10:00"}
    problems = problems_of(write(tmp_path, data))
    assert problems and all(": pool_defaults.agents.grace_period: " in p for p in problems), problems


def test_a_problem_in_a_pool_is_reported_at_that_pool(tmp_path):
    data = fleet()
    data["pools"][1]["images"][0]["buffer"] = "101"
    problems = problems_of(write(tmp_path, data))
    assert any(": pools[1].images[0].buffer: " in p for p in problems), problems
    assert not any(": pools[0]" in p for p in problems), problems


def test_a_derived_name_too_long_is_reported_at_the_pools_setting(tmp_path):
    data = fleet()
    data["pools"][1]["name"] = "windowsbuild"  # dc-jhp-dev-windowsbuild-weu: 27 characters, a dev center allows 26
    problems = problems_of(write(tmp_path, data))
    assert any(": pools[1].dev_center_name: " in p and "27 characters" in p for p in problems), problems


def test_an_explicit_azure_name_of_a_fleet_pool_is_its_pool_name(tmp_path):
    data = fleet()
    data["pools"][0]["pool_name"] = "x"
    (problem,) = problems_of(write(tmp_path, data))
    assert ": pools[0].pool_name: " in problem and "allowed: 3 to 44" in problem


def test_several_organizations_need_each_ones_parallelism(tmp_path):
    data = fleet()
    data["pools"][1]["organizations"] = [
        {"url": "https://dev.azure.com/one", "parallelism": 3},
        {"url": "https://dev.azure.com/two"},
    ]
    (problem,) = problems_of(write(tmp_path, data))
    assert ": pools[1].organizations[1].parallelism: required with several organizations" in problem


def test_the_fleet_synthesizes_one_stack_per_pool_on_one_gallery(tmp_path):
    from mdpool.synth import synthesize

    result = synthesize(load_config(FLEET_CONFIG), tmp_path / "out")
    assert list(result.stacks) == ["gallery-dev", "pool-dev-linux", "pool-dev-windows"]
    pools = {}
    for stack in ("pool-dev-linux", "pool-dev-windows"):
        document = result.stack_json(stack)
        (pool,) = document["resource"]["azapi_resource"].values()
        pools[stack] = pool
        # each pool stack reads the one gallery stack's state, and keeps its own
        (remote,) = document["data"]["terraform_remote_state"].values()
        assert remote["config"]["path"].endswith("state/gallery-dev.tfstate")
        assert document["terraform"]["backend"]["local"]["path"].endswith(f"state/{stack}.tfstate")
    linux, windows = pools["pool-dev-linux"], pools["pool-dev-windows"]
    assert (linux["name"], windows["name"]) == ("mdp-jhp-dev-linux-weu", "mdp-jhp-dev-windows-weu")
    assert linux["body"]["properties"]["fabricProfile"]["sku"]["name"] == "Standard_DS3_v2"
    assert windows["body"]["properties"]["fabricProfile"]["sku"]["name"] == "Standard_D8ads_v5"
    assert windows["body"]["properties"]["organizationProfile"]["organizations"][0]["parallelism"] == 4
    assert windows["tags"]["os"] == "windows" and "os" not in linux["tags"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["stacks"]["pool-dev-windows"]["dependencies"] == ["gallery-dev"]


def test_the_fleet_example_is_valid_under_the_editor_schema_and_both_forms_together_are_not():
    import jsonschema

    from mdpool import schemas

    schema = json.loads((EXAMPLE_CONFIG.parent.parent / schemas.CONFIG_SCHEMA).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert [error.message for error in validator.iter_errors(FLEET)] == []
    both = fleet(pool=copy.deepcopy(load_yaml(EXAMPLE_CONFIG).data["pool"]))
    assert list(validator.iter_errors(both))


# --- rules across pools -------------------------------------------------------------------------------


def test_pool_names_differing_only_in_case_are_refused(tmp_path):
    data = fleet()
    data["pools"][1]["name"] = "Linux"
    data["pools"][1]["dev_center_name"] = "dc-other"  # leave only the pool names alike
    problems = problems_of(write(tmp_path, data))
    assert any(": pools[1].name: pool 'Linux' is already pools[0]" in p for p in problems), problems


def test_two_pools_with_one_azure_name_in_one_group_are_refused_and_in_two_groups_accepted(tmp_path):
    data = fleet()
    data["pools"][0]["pool_name"] = "mdp-shared"
    data["pools"][1]["pool_name"] = "MDP-Shared"
    assert problems_of(write(tmp_path, data)) == []  # derived groups differ (rg-...-linux-..., rg-...-windows-...): two resources
    data["resource_groups"] = {"pool": "rg-pools", "create": False}
    problems = problems_of(write(tmp_path, data))
    assert any(": pools[1].pool_name: managed devops pool 'MDP-Shared'" in p for p in problems), problems


def test_a_pool_resource_group_every_pool_stack_would_create_is_refused(tmp_path):
    data = fleet(resource_groups={"pool": "rg-pools"})
    problems = problems_of(write(tmp_path, data))
    assert any(": resource_groups.pool: every pool stack would create" in p for p in problems), problems
    # the gallery's group (the gallery stack owns it) or existing groups are fine
    assert problems_of(write(tmp_path, fleet(resource_groups={"pool": "rg-jhp-images-dev-weu"}))) == []
    assert problems_of(write(tmp_path, fleet(resource_groups={"pool": "rg-pools", "create": False}))) == []


SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/{}"


def test_a_subnet_serves_one_pool(tmp_path):
    data = fleet()
    data["pool_defaults"]["network"] = {"subnet_id": SUBNET.format("agents")}
    problems = problems_of(write(tmp_path, data))
    assert any(": pool_defaults.network.subnet_id: this subnet already serves pools[0]" in p for p in problems), problems
    data["pools"][1]["network"] = {"subnet_id": SUBNET.format("windows")}
    assert problems_of(write(tmp_path, data)) == []


def test_parallel_jobs_of_the_organization_against_the_pools_sum(tmp_path):
    data = fleet()
    data["pool_defaults"]["organizations"][0]["parallel_jobs"] = 14  # 10 + 4: fits exactly
    assert load_config(write(tmp_path, data)).warnings == []
    data["pool_defaults"]["organizations"][0]["parallel_jobs"] = 13
    warnings = [str(w) for w in load_config(write(tmp_path, data)).warnings]
    assert len(warnings) == 1 and ": pool_defaults.organizations[0].parallel_jobs: warning: " in warnings[0]
    assert "may run 14 agents at once but the organization has 13 parallel jobs" in warnings[0]
