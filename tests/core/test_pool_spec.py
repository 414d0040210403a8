"""The pool's request body against the pools REST spec 2026-06-02 and Microsoft's request examples.

The spec and two examples are carried in tests/data/managed-devops-pools/ (MIT, Microsoft; README and
LICENSE beside them). `tests.support.openapi_schema` turns the spec's `PoolProperties` into a JSON
Schema; `resourcePredictions` is free-form there, so its shape is checked against the azurerm
provider's mapping (helpers.go expandResourcePredictionsModel: one map for all week, or seven maps
from Sunday; "HH:MM:SS" keys, its dayScheduleSchemaOptional regex; counts >= 0).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdpool.config import EnvironmentConfig, Pool
from mdpool.constructs.pool_body import pool_properties
from tests.conftest import EXAMPLE_CONFIG
from tests.support.openapi_schema import SwaggerSchemas

DATA = Path(__file__).parent.parent / "data" / "managed-devops-pools"
FULL = Path(__file__).parent / "configs" / "full.yaml"
SPEC = SwaggerSchemas.load(DATA / "devopsinfrastructure-2026-06-02.json")
PROPERTIES = jsonschema.Draft202012Validator(SPEC.schema("PoolProperties"))
RESOURCE_PREDICTIONS = jsonschema.Draft202012Validator(
    {
        "type": "object",
        "properties": {
            "timeZone": {"type": "string", "minLength": 1},
            "daysData": {
                "type": "array",
                "anyOf": [{"minItems": 1, "maxItems": 1}, {"minItems": 7, "maxItems": 7}],
                "items": {
                    "type": "object",
                    "propertyNames": {"pattern": r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$"},
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
        },
        "required": ["timeZone", "daysData"],
        "additionalProperties": False,
    }
)

PROJECT = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DevCenter/projects/p"
SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/vnet/subnets/agents"
)


def body_of(pool: Pool, gallery: dict[str, str] | None = None, subnet: str | None = None) -> dict[str, Any]:
    ids = gallery or {
        name: f"/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/{name}"
        for name in ("ubuntu-22.04", "ubuntu-24.04", "win-2022")
    }
    return pool_properties(pool, project_id=PROJECT, gallery_image_ids=ids, subnet_id=subnet)


def problems(properties: dict[str, Any]) -> list[str]:
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in PROPERTIES.iter_errors(properties)]
    predictions = properties.get("agentProfile", {}).get("resourcePredictions")
    if predictions is not None:
        found += [
            f"resourcePredictions/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in RESOURCE_PREDICTIONS.iter_errors(predictions)
        ]
    return found


def pool_from(path: Path) -> Pool:
    from mdpool.loader import load_config

    return load_config(path).pool


# --- the validator itself: refuses what the spec refuses ----------------------------------------


def test_microsofts_request_examples_pass_the_spec():
    for name in ("CreateOrUpdatePool.json", "CreateOrUpdatePool_InstanceMix.json"):
        example = json.loads((DATA / name).read_text())
        assert problems(example["parameters"]["resource"]["properties"]) == [], name


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda p: p["fabricProfile"]["images"][0].update(ephemeralType="Ephemeral"), "is not one of"),
        (lambda p: p["fabricProfile"]["images"][0].update(isEphemeral=True), "Additional properties"),  # read-only
        (lambda p: p["fabricProfile"]["networkProfile"].update(ipAddresses=["1.1.1.1"]), "Additional properties"),
        (lambda p: p["organizationProfile"]["organizations"][0].update(openAcess=True), "Additional properties"),
        (lambda p: p.update(maximumConcurrency=10001), "greater than the maximum"),
        (lambda p: p.update(maximumConcurrency=0), "less than the minimum"),
        (lambda p: p["agentProfile"].update(kind="Ephemeral"), "'Ephemeral' is not one of ['Stateful', 'Stateless']"),
        (lambda p: p["agentProfile"].update(maxAgentLifetime="1.00:00:00"), "Additional properties"),  # Stateful only
        (lambda p: p["fabricProfile"]["networkProfile"].update(staticIpAddressCount=2**31), "greater than the maximum"),
        (
            lambda p: (
                p["fabricProfile"]["images"][0].pop("provisioningScriptEntryPoint")
                and p["fabricProfile"]["images"][0].update(provisioningScriptEntryPoint=7)
            ),
            "is not of type 'string'",
        ),
    ],
)
def test_the_validator_refuses_what_the_spec_refuses(edit, expected):
    example = json.loads((DATA / "CreateOrUpdatePool.json").read_text())
    properties = copy.deepcopy(example["parameters"]["resource"]["properties"])
    edit(properties)
    assert any(expected in problem for problem in problems(properties)), problems(properties)


# --- mdpool's bodies ------------------------------------------------------------------------------


def test_the_example_pool_passes_the_spec():
    assert problems(body_of(pool_from(EXAMPLE_CONFIG))) == []


def test_the_full_config_pool_passes_the_spec():
    assert problems(body_of(pool_from(FULL), subnet=SUBNET)) == []


def test_a_body_out_of_the_spec_is_caught():
    properties = body_of(pool_from(FULL), subnet=SUBNET)
    properties["fabricProfile"]["images"][0]["ephemeralType"] = "OsDisk"
    properties["agentProfile"]["resourcePredictions"]["daysData"] = [{"4:00": 1}]
    found = problems(properties)
    assert any("fabricProfile/images/0/ephemeralType" in p for p in found)
    assert any(p.startswith("resourcePredictions/daysData/0") for p in found)


def test_the_body_matches_microsofts_example_key_for_key():
    """A config written to say what CreateOrUpdatePool.json says gives the same keys, shapes and values."""
    example = json.loads((DATA / "CreateOrUpdatePool.json").read_text())["parameters"]["resource"]["properties"]
    image = example["fabricProfile"]["images"][0]
    pool = Pool.model_validate(
        {
            "maximum_concurrency": 10,
            "agents": {"kind": "stateless"},
            "description": "Managed by Managed DevOps Pools",
            "organizations": [{"url": "https://mseng.visualstudio.com", "parallelism": 10, "open_access": True}],
            "sku": "Standard_D4ads_v5",
            "images": [
                {
                    "resource_id": image["resourceId"],
                    "ephemeral": "Automatic",
                    "provisioning_script": {
                        "storage_account_id": image["provisioningScriptStorageAccountResourceId"],
                        "entry_point": image["provisioningScriptEntryPoint"],
                        "identity_client_id": image["provisioningScriptManagedIdentityClientId"],
                        "restart": True,
                    },
                }
            ],
            "key_vault": {"certificate_ids": ["https://abc.vault.azure.net/secrets/one"], "store_name": "Root"},
            "network": {"subnet_id": example["fabricProfile"]["networkProfile"]["subnetId"], "static_ip_count": 2},
        }
    )
    ours = pool_properties(
        pool,
        project_id=example["devCenterProjectResourceId"],
        gallery_image_ids={},
        subnet_id=example["fabricProfile"]["networkProfile"]["subnetId"],
    )

    def leaves(value: Any, path: str = "") -> dict[str, Any]:
        if isinstance(value, dict):
            return {k: v for key, item in value.items() for k, v in leaves(item, f"{path}/{key}").items()}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return {k: v for i, item in enumerate(value) for k, v in leaves(item, f"{path}/{i}").items()}
        return {path: value}

    theirs, mine = leaves(example), leaves(ours)
    # What the example sends that a pool body must not write: the service's state. `updateDescription`
    # is written with the description: the service applies a description only when it is true (spec).
    not_written = {"/provisioningState"}
    assert {path: value for path, value in theirs.items() if path not in not_written} == {
        path: mine[path] for path in theirs if path not in not_written and path in mine
    }
    assert set(theirs) - set(mine) == not_written
    # What mdpool writes beyond the example: settings it always states (the provider does too).
    assert set(mine) - set(theirs) == {
        "/organizationProfile/organizations/0/parallelism",
        "/organizationProfile/permissionProfile/kind",
        "/fabricProfile/images/0/buffer",
        "/fabricProfile/osProfile/logonType",
        "/fabricProfile/storageProfile/osDiskStorageAccountType",
    }


def test_instance_mix_has_the_shape_of_microsofts_example():
    example = json.loads((DATA / "CreateOrUpdatePool_InstanceMix.json").read_text())["parameters"]["resource"]
    pool = Pool.model_validate(
        {
            "maximum_concurrency": 10,
            "organizations": [{"name": "o", "parallelism": 10}],
            "images": [{"well_known": "windows-2022/latest"}],
            "instance_mix": ["Standard_E2ads_v5", "Standard_D2ads_v5"],
        }
    )
    properties = body_of(pool)
    assert properties["fabricProfile"]["sku"] == example["properties"]["fabricProfile"]["sku"]
    assert problems(properties) == []


# --- generated configs ----------------------------------------------------------------------------

_days = st.dictionaries(
    st.sampled_from(["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]),
    st.dictionaries(
        st.builds(lambda h, m: f"{h:02d}:{m:02d}:00", st.integers(0, 23), st.integers(0, 59)),
        st.integers(0, 20),
        min_size=1,
        max_size=3,
    ),
    max_size=7,
)
_standby = st.one_of(
    st.just({"kind": "off"}),
    st.builds(
        lambda p: {"kind": "automatic", "automatic": {"prediction_preference": p}},
        st.sampled_from(["Balanced", "MostCostEffective", "MoreCostEffective", "MorePerformance", "BestPerformance"]),
    ),
    st.builds(lambda n: {"kind": "manual", "manual": {"time_zone": "UTC", "all_week": n}}, st.integers(1, 50)),
    st.builds(lambda d: {"kind": "manual", "manual": {"time_zone": "W. Europe Standard Time", "days": d}}, _days),
)
_image = st.one_of(
    st.builds(lambda n: {"well_known": n}, st.sampled_from(["ubuntu-22.04/latest", "windows-2022/latest", "ubuntu-24.04"])),
    st.builds(
        lambda n, v: {"gallery_image": n, "version": v},
        st.sampled_from(["ubuntu-22.04", "win-2022"]),
        st.sampled_from(["latest", "1.0.0"]),
    ),
    st.just({"resource_id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/images/custom"}),
).flatmap(
    lambda image: st.fixed_dictionaries(
        {
            **{key: st.just(value) for key, value in image.items()},
            "ephemeral": st.sampled_from([None, "Automatic", "CacheDisk", "ResourceDisk"]),
            "aliases": st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=2),
        }
    )
)
_pool = st.fixed_dictionaries(
    {
        "maximum_concurrency": st.integers(1, 10000),
        "agents": st.sampled_from(
            [
                {"kind": "stateless"},
                {"kind": "stateful"},
                {"kind": "stateful", "grace_period": "00:10:00", "maximum_lifetime": "7.00:00:00"},
            ]
        ),
        "standby": _standby,
        "organizations": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["acme", "contoso"]),
                    "parallelism": st.integers(1, 10000),
                    "open_access": st.sampled_from([None, True, False]),
                    "alias": st.sampled_from([None, "main"]),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        "permission": st.sampled_from(
            [{"kind": "CreatorOnly"}, {"kind": "Inherit"}, {"kind": "SpecificAccounts", "users": ["a@b.example"]}]
        ),
        "images": st.lists(_image, min_size=1, max_size=3),
        "os_disk_type": st.sampled_from(["Standard", "StandardSSD", "Premium"]),
        "instance_mix": st.sampled_from([[], ["Standard_D2ads_v5", "Standard_D4ads_v5"]]),
        "interactive_logon": st.booleans(),
        "data_disk": st.sampled_from([None, {"size_gb": 1}, {"size_gb": 32767, "drive_letter": "F", "caching": "None"}]),
        "network": st.sampled_from(
            [
                None,
                {"subnet_id": SUBNET},
                {"subnet_id": SUBNET, "static_ip_count": 0},
                {"subnet_id": SUBNET, "static_ip_count": 3},
                {"static_ip_count": 2},  # static addresses on Azure's network: no subnet
            ]
        ),
        "work_folder": st.sampled_from([None, "/agent/work"]),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pool)
def test_generated_pools_pass_the_spec(data):
    data = {key: value for key, value in data.items() if value is not None}
    pool = Pool.model_validate(data)
    subnet = pool.network.subnet_id if pool.network else None
    assert problems(body_of(pool, subnet=subnet)) == []


def test_every_enum_of_the_config_is_an_enum_of_the_spec():
    """The config's Literal choices are the spec's enums (no value the service refuses, none missing)."""
    spec = json.loads((DATA / "devopsinfrastructure-2026-06-02.json").read_text())["definitions"]
    fields = dict(EnvironmentConfig.model_fields)
    assert fields  # the config is importable

    def choices(model, field: str) -> set[str]:
        annotation = str(model.model_fields[field].annotation)
        return {part.strip(" '\"") for part in annotation.split("Literal[", 1)[1].split("]", 1)[0].split(",")}

    from mdpool.config import Automatic, DataDisk, KeyVaultCertificates, Permission, PoolImage

    assert choices(PoolImage, "ephemeral") == set(spec["EphemeralType"]["enum"])
    assert choices(Pool, "os_disk_type") == set(spec["OsDiskStorageAccountType"]["enum"])
    assert choices(DataDisk, "caching") == set(spec["CachingType"]["enum"])
    assert choices(DataDisk, "storage_account_type") == set(spec["StorageAccountType"]["enum"])
    assert choices(Permission, "kind") == set(spec["AzureDevOpsPermissionType"]["enum"])
    assert choices(Automatic, "prediction_preference") == set(spec["PredictionPreference"]["enum"])
    assert choices(KeyVaultCertificates, "store_name") == set(spec["CertificateStoreNameOption"]["enum"])


def test_yaml_of_the_example_is_what_the_body_says():
    """Value for value: the blog's pool settings in the example YAML reach the body unchanged."""
    raw = yaml.safe_load(EXAMPLE_CONFIG.read_text())["pool"]
    properties = body_of(pool_from(EXAMPLE_CONFIG))
    assert properties["maximumConcurrency"] == raw["maximum_concurrency"]
    assert properties["fabricProfile"]["sku"]["name"] == raw["sku"]
    assert properties["agentProfile"]["gracePeriodTimeSpan"] == raw["agents"]["grace_period"]
    assert properties["agentProfile"]["maxAgentLifetime"] == raw["agents"]["maximum_lifetime"]
    days = raw["standby"]["manual"]["days"]
    sunday_first = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    assert properties["agentProfile"]["resourcePredictions"]["daysData"] == [days.get(day, {}) for day in sunday_first]


def test_a_github_pool_passes_the_spec():
    pool = Pool.model_validate(
        {
            "maximum_concurrency": 4,
            "images": [{"well_known": "ubuntu-24.04/latest"}],
            "github": {
                "organizations": [
                    {"url": "https://github.com/acme", "repositories": ["app"]},
                    {"url": "https://github.com/acme-two"},
                ]
            },
        }
    )
    properties = body_of(pool)
    assert properties["organizationProfile"] == {
        "kind": "GitHub",
        "organizations": [{"url": "https://github.com/acme", "repositories": ["app"]}, {"url": "https://github.com/acme-two"}],
    }
    assert problems(properties) == []
    # a permission profile is Azure DevOps only: the spec refuses it on a GitHub profile
    properties["organizationProfile"]["permissionProfile"] = {"kind": "Inherit"}
    assert any("Additional properties" in p for p in problems(properties))


def test_automatic_standby_without_a_preference_asks_for_balanced():
    # azurerm helpers.go (automatic resource prediction schema): prediction_preference defaults to Balanced
    pool = Pool.model_validate(
        {
            "maximum_concurrency": 2,
            "organizations": [{"name": "o", "parallelism": 2}],
            "images": [{"well_known": "ubuntu-22.04"}],
            "standby": {"kind": "automatic"},
        }
    )
    properties = body_of(pool)
    assert properties["agentProfile"]["resourcePredictionsProfile"] == {"kind": "Automatic", "predictionPreference": "Balanced"}
    assert "resourcePredictions" not in properties["agentProfile"]
    assert problems(properties) == []


def test_an_exportable_key_is_asked_for_as_written():
    # pools spec 2026-06-02 SecretsManagementSettings.keyExportable: required, written as configured
    pool = Pool.model_validate(
        {
            "maximum_concurrency": 2,
            "organizations": [{"name": "o", "parallelism": 2}],
            "images": [{"well_known": "windows-2022/latest"}],
            "key_vault": {"certificate_ids": ["https://kv-acme.vault.azure.net/secrets/agent-cert"], "key_export": True},
        }
    )
    properties = body_of(pool)
    assert properties["fabricProfile"]["osProfile"]["secretsManagementSettings"]["keyExportable"] is True
    assert problems(properties) == []
