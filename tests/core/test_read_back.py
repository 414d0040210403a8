"""No change on the second plan: the body mdpool sends, read back as the service answers, is what azapi
expects (its comparison rule: tests/support/azapi_compare.py).

The service's answer is the stand-in's model (tests/support/pool_standin.py `service_read`), and that
model is first held against Microsoft's recorded responses: applied to each example request, it gives
exactly the example's response.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.loader import load_config
from mdpool.constructs.pool_body import pool_properties
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.core.test_config_rules import DELETE, write
from tests.support.azapi_compare import drift
from tests.support.pool_standin import service_read

EXAMPLES = REPO / "tests" / "data" / "managed-devops-pools"
FULL_CONFIG = REPO / "tests" / "core" / "configs" / "full.yaml"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize("example", ["CreateOrUpdatePool.json", "CreateOrUpdatePool_InstanceMix.json"])
@pytest.mark.parametrize("status", ["200", "201"])
def test_the_stand_in_answers_as_microsofts_recorded_responses(example, status):
    recorded = json.loads((EXAMPLES / example).read_text())
    sent = recorded["parameters"]["resource"]["properties"]
    assert service_read(sent) == recorded["responses"][status]["body"]["properties"]


def _body(config) -> dict:
    names = config.names
    return pool_properties(
        config.pool,
        project_id=f"{names.resource_group_id(names.pool_resource_group)}/providers/Microsoft.DevCenter/projects/{names.project}",
        gallery_image_ids={image.name: names.gallery_image_id(image.name) for image in config.gallery.images},
        subnet_id=config.pool.network.subnet_id if config.pool.network else None,
    )


@pytest.mark.parametrize("config_file", [EXAMPLE_CONFIG, FULL_CONFIG], ids=["example", "full"])
def test_the_read_back_shows_no_change(config_file: Path):
    body = _body(load_config(config_file))
    assert drift(body, service_read(body)) == []


def test_microsofts_examples_read_back_show_no_change():
    # the rule itself on Microsoft's own pair: what the example sends, read back as it records
    for example in ("CreateOrUpdatePool.json", "CreateOrUpdatePool_InstanceMix.json"):
        recorded = json.loads((EXAMPLES / example).read_text())
        sent = recorded["parameters"]["resource"]["properties"]
        assert drift(sent, recorded["responses"]["200"]["body"]["properties"]) == []


@pytest.mark.parametrize(
    "typed, written",
    [("0:30:00", "00:30:00"), ("0.02:00:00", "02:00:00"), ("7.0:0:0", "7.00:00:00"), ("1.00:00:00", "1.00:00:00")],
)
def test_time_spans_are_written_as_the_service_returns_them(tmp_path, typed, written):
    config = load_config(write(tmp_path, {"pool.agents.grace_period": typed, "pool.agents.maximum_lifetime": typed}))
    body = _body(config)
    assert body["agentProfile"]["gracePeriodTimeSpan"] == written
    assert body["agentProfile"]["maxAgentLifetime"] == written
    assert drift(body, service_read(body)) == []


def test_ids_are_written_with_the_services_type_segments(tmp_path):
    typed = f"{SUB}/resourcegroups/rg-Scripts/providers/microsoft.storage/storageaccounts/scripts01"
    config = load_config(
        write(
            tmp_path,
            {
                "pool.images[0].provisioning_script": {"storage_account_id": typed, "entry_point": "setup.sh"},
                "pool.images[1].well_known": DELETE,
                "pool.images[1].resource_id": f"{SUB}/resourcegroups/rg-Img/providers/microsoft.compute/galleries/G/images/I",
            },
        )
    )
    images = _body(config)["fabricProfile"]["images"]
    # names (rg-Scripts, G, I) stay as written; the type segments take the spelling of the spec's examples
    assert images[0]["provisioningScriptStorageAccountResourceId"] == (
        f"{SUB}/resourceGroups/rg-Scripts/providers/Microsoft.Storage/storageAccounts/scripts01"
    )
    assert images[1]["resourceId"] == f"{SUB}/resourceGroups/rg-Img/providers/Microsoft.Compute/galleries/G/images/I"


def test_a_description_is_sent_with_update_description(tmp_path):
    # spec AzureDevOpsOrganizationProfile.updateDescription: the service applies the description only when true
    profile = _body(load_config(write(tmp_path, {"pool.description": "Build agents"})))["organizationProfile"]
    assert (profile["description"], profile["updateDescription"]) == ("Build agents", True)
    assert "updateDescription" not in _body(load_config(EXAMPLE_CONFIG))["organizationProfile"]
