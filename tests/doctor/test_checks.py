"""Each doctor check passing and failing, with its message, through the real SDK/HTTP stack and the stand-ins."""

from __future__ import annotations

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.doctor.runner import run_checks
from tests.doctor.conftest import ORGANIZATION, PRINCIPAL, SUBSCRIPTION, write_config
from tests.support.doctor_standin import compute_sku, mdp_sku

SUB = f"/subscriptions/{SUBSCRIPTION}"
POOL = "mdp-jhp-dev-weu"
GALLERY_RG, POOL_RG = "rg-jhp-images-dev-weu", "rg-jhp-pool-dev-weu"
# Contributor's permissions (built-in role definition b24988ac-...: actions *, notActions on authorization writes)
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ],
}


def rows(cfg, endpoints, **kwargs):
    return {r.check: r for r in run_checks(cfg, endpoints, **kwargs)}


def test_the_example_on_a_healthy_subscription_is_all_ok(example, endpoints, devops, graph, credential, arm):
    results = run_checks(example, endpoints)
    assert [(r.check, r.status) for r in results] == [
        ("providers", "ok"),
        ("permissions", "ok"),
        ("pool-name", "ok"),
        ("pool-sku", "ok"),
        ("build-vm-size", "ok"),
        ("quota", "ok"),
        ("service-principal", "ok"),
        (f"devops:{ORGANIZATION}", "ok"),
        ("gallery-images", "ok"),
        ("build-policy", "ok"),
    ]
    by = {r.check: r for r in results}
    assert by["quota"].message == (
        "needs 40 vCPUs of standardDSv2Family (10 x Standard_DS3_v2 at 4 vCPUs); 100 free in westeurope (limit 100, 0 in use)"
    )
    assert by[f"devops:{ORGANIZATION}"].message == (
        "deployer@example.com is a member of https://dev.azure.com/your-organization and may administer its agent pools"
    )
    # each token went only to its own service: no stand-in saw a token for another audience
    assert devops.rejected_tokens == 0 and graph.rejected_tokens == 0
    assert not [r for r in arm.requests if r.status == 401]
    assert set(credential.scopes) == {
        "https://management.azure.com/.default",
        "https://graph.microsoft.com/.default",
        "499b84ac-1321-427f-aa17-267ca6975798/.default",
    }


def test_cheap_only_leaves_out_the_directory_and_the_gallery(example, endpoints):
    assert list(rows(example, endpoints, cheap_only=True)) == [
        "providers",
        "permissions",
        "pool-name",
        "pool-sku",
        "build-vm-size",
        "quota",
        f"devops:{ORGANIZATION}",
    ]


# --- providers ------------------------------------------------------------------------------------


def test_an_unregistered_provider_fails_when_the_identity_may_not_register_it(example, endpoints, azure):
    azure.providers["Microsoft.DevOpsInfrastructure"] = "NotRegistered"
    azure.permissions[SUB.lower()] = [{"actions": ["*/read", "Microsoft.DevOpsInfrastructure/pools/*"], "notActions": []}]
    result = rows(example, endpoints)["providers"]
    assert result.status == "failed"
    assert result.message == (
        "not registered: Microsoft.DevOpsInfrastructure (NotRegistered); the deploying identity "
        "may not register them (*/register/action)"
    )
    assert result.fix == (
        "az provider register --namespace Microsoft.DevOpsInfrastructure (as Contributor or Owner of the subscription)"
    )


def test_an_unregistered_provider_only_warns_when_the_deploy_may_register_it(example, endpoints, azure):
    azure.providers["Microsoft.DevCenter"] = "Unregistered"
    result = rows(example, endpoints)["providers"]
    assert result.status == "warning"
    assert "Microsoft.DevCenter (Unregistered)" in result.message
    assert result.fix == "register them now: az provider register --namespace Microsoft.DevCenter"


def test_build_providers_are_only_needed_with_builds(tmp_path, endpoints, azure):
    azure.providers["Microsoft.VirtualMachineImages"] = "NotRegistered"
    azure.permissions[SUB.lower()] = [CONTRIBUTOR | {"notActions": ["*/register/action"]}]

    def no_builds(data):
        for image in data["gallery"]["images"]:
            image.pop("build")

    assert rows(load_config(write_config(tmp_path, no_builds)), endpoints)["providers"].status == "ok"
    assert rows(load_config(write_config(tmp_path, lambda d: None)), endpoints)["providers"].status == "failed"


# --- pool name ------------------------------------------------------------------------------------


def test_a_pool_name_taken_elsewhere_fails(example, endpoints, azure, arm):
    azure.taken_pool_names.add(POOL)
    result = rows(example, endpoints)["pool-name"]
    assert result.status == "failed"
    assert result.message == (
        f"pool name {POOL} is already taken in Azure (AlreadyExists: The pool name '{POOL}' is "
        "already in use.); pool names are global"
    )
    assert result.fix == "set pool.name in the config to another name (e.g. with your organization's prefix)"
    body = arm.requests_matching("POST", "checkNameAvailability")[0].body
    assert body == {"name": POOL, "type": "Microsoft.DevOpsInfrastructure/pools"}


def test_our_own_pool_keeps_its_name(example, endpoints, azure, arm):
    azure.taken_pool_names.add(POOL)
    azure.our_pools.add((POOL_RG, POOL))
    result = rows(example, endpoints)["pool-name"]
    assert (result.status, result.message) == ("ok", f"pool {POOL} already exists in {POOL_RG} (ours): the deploy updates it")
    assert not arm.requests_matching("POST", "checkNameAvailability")


# --- SKUs -----------------------------------------------------------------------------------------


def test_a_pool_sku_the_service_does_not_offer_fails(example, endpoints, azure):
    azure.mdp_skus = [mdp_sku("Standard_DS2_v2", "standardDSv2Family"), mdp_sku("Standard_D2ads_v5", "x")]
    result = rows(example, endpoints)["pool-sku"]
    assert result.status == "failed"
    assert result.message == (
        "pool.sku Standard_DS3_v2 is not offered by Managed DevOps Pools in westeurope "
        "(close: Standard_DS2_v2, Standard_D2ads_v5)"
    )


def test_a_restricted_pool_sku_fails_with_the_reason(example, endpoints, azure):
    azure.mdp_skus = [mdp_sku("Standard_DS3_v2", "standardDSv2Family", restricted="NotAvailableForSubscription")]
    result = rows(example, endpoints)["pool-sku"]
    assert result.status == "failed"
    assert result.message == (
        "pool.sku Standard_DS3_v2 is restricted for this subscription in westeurope (NotAvailableForSubscription)"
    )


def test_a_location_restriction_matches_the_location_whatever_its_case(example, endpoints, azure):
    # ARM location names are case-insensitive: a restriction listing WestEurope restricts westeurope
    sku = mdp_sku("Standard_DS3_v2", "standardDSv2Family", restricted="NotAvailableForSubscription")
    for restriction in sku["properties"]["restrictions"]:
        restriction["values"] = ["WestEurope"]
        restriction["restrictionInfo"]["locations"] = ["WestEurope"]
    azure.mdp_skus = [sku]
    assert rows(example, endpoints)["pool-sku"].status == "failed"


def test_a_zone_restriction_does_not_fail_the_sku(example, endpoints, azure):
    sku = mdp_sku("Standard_DS3_v2", "standardDSv2Family")
    sku["properties"]["restrictions"] = [
        {
            "type": "Zone",
            "values": ["westeurope"],
            "reasonCode": "NotAvailableForSubscription",
            "restrictionInfo": {"locations": ["westeurope"], "zones": ["1"]},
        }
    ]
    azure.mdp_skus = [sku]
    assert rows(example, endpoints)["pool-sku"].status == "ok"


def test_a_restricted_build_vm_size_fails(example, endpoints, azure):
    azure.compute_skus = [s for s in azure.compute_skus if s["name"] != "Standard_D4s_v3"] + [
        compute_sku("Standard_D4s_v3", "standardDSv3Family", 4, restricted="NotAvailableForSubscription")
    ]
    result = rows(example, endpoints)["build-vm-size"]
    assert result.status == "failed"
    assert result.message == (
        "Standard_D4s_v3 (gallery.images[ubuntu-22.04, ubuntu-24.04].build.vm_size) is "
        "restricted for this subscription in westeurope (NotAvailableForSubscription)"
    )


def test_an_unknown_build_vm_size_fails(example, endpoints, azure):
    azure.compute_skus = [s for s in azure.compute_skus if s["name"] != "Standard_D4s_v3"]
    result = rows(example, endpoints)["build-vm-size"]
    assert result.status == "failed" and "Standard_D4s_v3 (gallery.images" in result.message
    assert "is not a VM size in westeurope" in result.message


# --- quota ----------------------------------------------------------------------------------------


def test_the_blogs_pool_on_the_default_quota_fails_with_the_numbers(example, endpoints, azure):
    azure.usages["standardDSv2Family"] = (0, 5)  # the default quota per family (prerequisites.md)
    result = rows(example, endpoints)["quota"]
    assert result.status == "failed"
    assert result.message == (
        "needs 40 vCPUs of standardDSv2Family (10 x Standard_DS3_v2 at 4 vCPUs); 5 free in westeurope (limit 5, 0 in use)"
    )
    assert result.fix == (
        "raise the Managed DevOps Pools quota for standardDSv2Family in westeurope by 35 to at least "
        "40 (portal: Quotas > Managed DevOps Pools > Request adjustment), or lower "
        "pool.maximum_concurrency to 1"
    )


@pytest.mark.parametrize("usage, status", [((0, 40), "ok"), ((1, 41), "ok"), ((1, 40), "failed"), ((0, 39), "failed")])
def test_quota_both_sides_of_the_bound(example, endpoints, azure, usage, status):
    azure.usages["standardDSv2Family"] = usage
    result = rows(example, endpoints)["quota"]
    assert result.status == status, result
    if status == "failed":
        assert "by 1 to at least" in result.fix


def test_a_family_the_service_does_not_list_warns(example, endpoints, azure):
    del azure.usages["standardDSv2Family"]
    result = rows(example, endpoints)["quota"]
    assert result.status == "warning"
    assert result.message.startswith("needs 40 vCPUs of standardDSv2Family")


# --- permissions ----------------------------------------------------------------------------------


def test_a_contributor_may_not_create_the_role_assignments(example, endpoints, azure):
    azure.permissions[SUB.lower()] = [CONTRIBUTOR]
    result = rows(example, endpoints)["permissions"]
    assert result.status == "failed"
    assert result.message == (
        "the deploying identity may not: Microsoft.Authorization/roleDefinitions/write on resource group "
        f"{GALLERY_RG}, Microsoft.Authorization/roleAssignments/write on resource group {GALLERY_RG}"
    )
    assert result.fix.startswith(
        f"grant it Owner, or Contributor plus Role Based Access Control Administrator on resource group {GALLERY_RG}"
    )


def test_permissions_on_existing_groups_are_read_there(example, endpoints, azure):
    azure.permissions[SUB.lower()] = [{"actions": ["*/read"], "notActions": []}]
    azure.resource_groups |= {GALLERY_RG, POOL_RG}
    azure.permissions[f"{SUB}/resourceGroups/{GALLERY_RG}".lower()] = [
        {
            "actions": [
                "Microsoft.Compute/galleries/*",
                "Microsoft.ManagedIdentity/*",
                "Microsoft.Authorization/*",
                "Microsoft.VirtualMachineImages/imageTemplates/*",
            ],
            "notActions": [],
        }
    ]
    azure.permissions[f"{SUB}/resourceGroups/{POOL_RG}".lower()] = [
        {"actions": ["microsoft.devcenter/*", "Microsoft.DevOpsInfrastructure/pools/write"], "notActions": []},
        {"actions": ["*"], "notActions": ["Microsoft.DevCenter/projects/*"]},
    ]
    result = rows(example, endpoints)["permissions"]
    assert result.status == "failed"
    assert result.message == (
        f"the deploying identity may not: Microsoft.Resources/subscriptions/resourceGroups/write on subscription {SUBSCRIPTION}"
    )
    assert result.fix.startswith(f"grant it Contributor on subscription {SUBSCRIPTION}")


def test_existing_groups_need_no_create_right(tmp_path, endpoints, azure):
    azure.permissions[SUB.lower()] = [
        {"actions": ["*"], "notActions": ["Microsoft.Resources/subscriptions/resourceGroups/write"]}
    ]
    cfg = load_config(write_config(tmp_path, lambda d: d.update(resource_groups={"create": False})))
    assert rows(cfg, endpoints)["permissions"].status == "ok"


# --- state backend ----------------------------------------------------------------------------------


def _azurerm(data):
    data["state"] = {
        "backend": "azurerm",
        "azurerm": {"resource_group_name": "rg-tfstate", "storage_account_name": "sttfstatejhp"},
    }


def test_the_state_backend_needs_its_storage_account_and_container(tmp_path, endpoints, azure, example):
    assert "state-backend" not in rows(example, endpoints)  # local state: nothing to reach
    cfg = load_config(write_config(tmp_path, _azurerm))
    result = rows(cfg, endpoints)["state-backend"]
    assert result.status == "failed"
    assert result.message.startswith("state.azurerm: storage account sttfstatejhp not found in resource group rg-tfstate")
    assert result.fix.startswith("create it (az storage account create -n sttfstatejhp -g rg-tfstate")
    azure.storage_accounts[("rg-tfstate", "sttfstatejhp")] = set()
    result = rows(cfg, endpoints)["state-backend"]
    assert (result.status, result.message) == (
        "failed",
        "state.azurerm: container tfstate not found in storage account sttfstatejhp",
    )
    azure.storage_accounts[("rg-tfstate", "sttfstatejhp")] = {"tfstate"}
    assert rows(cfg, endpoints)["state-backend"].status == "ok"


# --- service principal ----------------------------------------------------------------------------


def test_a_service_principal_id_that_is_not_the_tenants_fails(example, endpoints, graph):
    graph.service_principals["DevOpsInfrastructure"] = ["22222222-2222-2222-2222-222222222222"]
    result = rows(example, endpoints)["service-principal"]
    assert result.status == "failed"
    assert result.message == (
        f"devops_infrastructure_principal_id {PRINCIPAL} is not the tenant's DevOpsInfrastructure "
        "service principal (22222222-2222-2222-2222-222222222222)"
    )
    assert result.fix == "set devops_infrastructure_principal_id: 22222222-2222-2222-2222-222222222222 in the config"


def test_an_unreadable_directory_warns_that_it_was_not_checked(example, endpoints, graph):
    graph.readable = False
    result = rows(example, endpoints)["service-principal"]
    assert result.status == "warning"
    assert result.message == (
        "not checked: the directory could not be read (HTTP 403 (Authorization_RequestDenied): "
        "Insufficient privileges to complete the operation.)"
    )


# --- Azure DevOps ---------------------------------------------------------------------------------


def test_a_member_without_agent_pool_administration_fails(example, endpoints, devops):
    devops.add_organization(ORGANIZATION, may_administer=False)  # Reader + User: View, Use
    result = rows(example, endpoints)[f"devops:{ORGANIZATION}"]
    assert result.status == "failed"
    assert result.message == (
        "deployer@example.com is a member of https://dev.azure.com/your-organization but may not "
        "administer agent pools (Manage, Administer Permissions and Create on all agent pools); "
        "pool creation would fail with PoolProvisioningFailed"
    )
    assert result.fix == (
        "in https://dev.azure.com/your-organization/_settings/agentpools choose Security and give "
        "deployer@example.com the Administrator role, or add it to Project Collection Administrators"
    )
    assert devops.organizations[ORGANIZATION].evaluations == [(42, "AgentPools")]


def test_create_without_manage_is_not_enough(example, endpoints, devops):
    devops.add_organization(ORGANIZATION, allowed_bits=1 | 16 | 32)  # the Creator role
    assert rows(example, endpoints)[f"devops:{ORGANIZATION}"].status == "failed"
    devops.add_organization(ORGANIZATION, allowed_bits=2 | 8 | 32)  # exactly what is asked
    assert rows(example, endpoints)[f"devops:{ORGANIZATION}"].status == "ok"


def test_a_non_member_fails_with_where_to_add_it(example, endpoints, devops):
    devops.add_organization(ORGANIZATION, member=False)
    result = rows(example, endpoints)[f"devops:{ORGANIZATION}"]
    assert result.status == "failed"
    assert result.message == (
        "the deploying identity is not a member of https://dev.azure.com/your-organization "
        "(HTTP 401 (UnauthorizedRequestException): TF400813: The user 'deployer@example.com' is "
        "not authorized to access this resource.)"
    )
    assert result.fix.startswith("add it to the organization: https://dev.azure.com/your-organization/_settings/users")


def test_every_organization_gets_its_row(tmp_path, endpoints, devops):
    devops.add_organization("other-org", member=False)

    def two_orgs(data):
        data["pool"]["organizations"][0]["parallelism"] = 9
        data["pool"]["organizations"].append({"name": "other-org", "parallelism": 1})

    cfg = load_config(write_config(tmp_path, two_orgs))
    result = rows(cfg, endpoints)
    assert result[f"devops:{ORGANIZATION}"].status == "ok" and result["devops:other-org"].status == "failed"


# --- gallery images --------------------------------------------------------------------------------


def _no_build(data):
    data["gallery"]["images"][0].pop("build")


def test_a_gallery_image_without_build_needs_a_version(tmp_path, endpoints, arm):
    cfg = load_config(write_config(tmp_path, _no_build))
    result = rows(cfg, endpoints)["gallery-images"]
    assert (result.status, result.message) == ("failed", "ubuntu-22.04 has no version and no build section")
    assert result.fix == "add a build section to gallery image ubuntu-22.04, or publish a version into it"
    arm.add_image_version(cfg.names.gallery_image_id("ubuntu-22.04"), name="1.0.0")
    result = rows(cfg, endpoints)["gallery-images"]
    assert (result.status, result.message) == ("ok", "ubuntu-22.04: 1 version(s)")


def test_a_pinned_version_must_exist(tmp_path, endpoints, arm):
    def pinned(data):
        _no_build(data)
        data["pool"]["images"][2]["version"] = "1.0.1"

    cfg = load_config(write_config(tmp_path, pinned))
    arm.add_image_version(cfg.names.gallery_image_id("ubuntu-22.04"), name="1.0.0")
    result = rows(cfg, endpoints)["gallery-images"]
    assert (result.status, result.message) == ("failed", "ubuntu-22.04 has no version 1.0.1")
    assert result.fix == "set the pool image's version to latest or one of: 1.0.0"


# --- the HTTP stack: production retries, no redirects -----------------------------------------------


def test_throttling_is_retried_by_the_production_policy(example, endpoints, arm, devops):
    arm.throttle("GET", r"/locations/westeurope/usages$", times=1, retry_after=0.05)
    devops.fail(r"/_apis/connectionData$", 429, headers={"Retry-After": "0"})
    result = rows(example, endpoints)
    assert result["quota"].status == "ok" and result[f"devops:{ORGANIZATION}"].status == "ok"
    assert len(devops.requests_matching("GET", r"/_apis/connectionData$")) == 2
    assert len(arm.requests_matching("GET", r"/usages$")) == 2


def test_a_redirect_is_not_followed_so_the_token_stays_with_azure_devops(example, endpoints, devops, graph):
    devops.fail(r"/_apis/connectionData$", 302, headers={"Location": f"{graph.base_url}/v1.0/elsewhere"})
    result = rows(example, endpoints)[f"devops:{ORGANIZATION}"]
    assert (result.status, result.message) == (
        "warning",
        "could not ask https://dev.azure.com/your-organization who the deploying identity is: HTTP 302",
    )
    assert not graph.requests_matching("GET", "elsewhere")


def test_a_shortfall_only_warns_when_the_pool_exists_and_uses_the_quota_itself(example, endpoints, azure):
    azure.usages["standardDSv2Family"] = (40, 60)  # our 10 agents may be the 40 in use
    azure.our_pools.add((POOL_RG, POOL))
    result = rows(example, endpoints)["quota"]
    assert result.status == "warning"
    assert result.message == (
        "needs 40 vCPUs of standardDSv2Family (10 x Standard_DS3_v2 at 4 vCPUs); 20 free in "
        "westeurope (limit 60, 40 in use); the pool already exists and its own agents count in use"
    )


# --- instance mix: every size is checked ------------------------------------------------------------

MIX = ["Standard_DS3_v2", "Standard_D2ads_v5"]


def _mix(tmp_path):
    def change(data):
        data["pool"].pop("sku", None)
        data["pool"]["instance_mix"] = MIX

    return load_config(write_config(tmp_path, change))


def test_each_size_of_the_mix_is_offered_and_fits(tmp_path, endpoints, azure):
    found = rows(_mix(tmp_path), endpoints)
    assert {check: found[check].status for check in found if check.startswith(("pool-sku", "quota"))} == {
        "pool-sku:Standard_DS3_v2": "ok",
        "pool-sku:Standard_D2ads_v5": "ok",
        "quota:Standard_DS3_v2": "ok",
        "quota:Standard_D2ads_v5": "ok",
    }
    # 10 agents: 40 vCPUs of DSv2 (4 each) or 20 of DADSv5 (2 each), each compared with its own family
    assert found["quota:Standard_D2ads_v5"].message.startswith("needs 20 vCPUs of standardDADSv5Family")


def test_a_size_of_the_mix_short_of_quota_warns_while_another_fits(tmp_path, endpoints, azure):
    azure.usages["standardDSv2Family"] = (0, 39)  # one vCPU short for 10 x 4
    found = rows(_mix(tmp_path), endpoints)
    assert found["quota:Standard_DS3_v2"].status == "warning"
    assert found["quota:Standard_DS3_v2"].message.endswith("another size of the mix fits")
    assert found["quota:Standard_D2ads_v5"].status == "ok"


def test_a_mix_that_fits_nowhere_fails(tmp_path, endpoints, azure):
    azure.usages["standardDSv2Family"] = (0, 39)
    azure.usages["standardDADSv5Family"] = (1, 20)  # 19 free, 20 needed
    found = rows(_mix(tmp_path), endpoints)
    assert found["quota:Standard_DS3_v2"].status == "failed"
    assert found["quota:Standard_D2ads_v5"].status == "failed"
    assert "by 1 to at least 21" in found["quota:Standard_D2ads_v5"].fix


def test_a_size_of_the_mix_the_service_does_not_offer_fails(tmp_path, endpoints, azure):
    azure.mdp_skus = [mdp_sku("Standard_DS3_v2", "standardDSv2Family")]
    result = rows(_mix(tmp_path), endpoints)["pool-sku:Standard_D2ads_v5"]
    assert result.status == "failed"
    assert result.message.startswith("a size of pool.instance_mix Standard_D2ads_v5 is not offered")


# --- ephemeral OS disk on the resource disk ---------------------------------------------------------


def _on_resource_disk(size: str):
    def change(data):
        data["pool"]["sku"] = size
        data["pool"]["images"][0]["ephemeral"] = "ResourceDisk"

    return change


@pytest.mark.parametrize("megabytes, status", [(0, "failed"), (1, "ok")])
def test_a_resource_disk_needs_a_size_with_a_temporary_disk(tmp_path, endpoints, azure, megabytes, status):
    # Compute resource SKUs: MaxResourceVolumeMB is 0 for a size without a temporary disk (e.g. Standard_D2as_v5)
    azure.compute_skus = [s for s in azure.compute_skus if s["name"] != "Standard_D2as_v5"] + [
        compute_sku("Standard_D2as_v5", "standardDASv5Family", 2, resource_disk_mb=megabytes)
    ]
    cfg = load_config(write_config(tmp_path, _on_resource_disk("Standard_D2as_v5")))
    result = rows(cfg, endpoints)["resource-disk"]
    assert result.status == status
    if status == "failed":
        assert result.message == (
            "ephemeral ResourceDisk needs a VM size with a temporary disk; Standard_D2as_v5 has none in westeurope"
        )


def test_the_resource_disk_check_runs_only_for_a_resource_disk(example, endpoints):
    assert "resource-disk" not in rows(example, endpoints)


def test_a_size_with_a_temporary_disk_in_a_mix_without_one_fails(tmp_path, endpoints, azure):
    azure.compute_skus = azure.compute_skus + [compute_sku("Standard_D2as_v5", "standardDASv5Family", 2, resource_disk_mb=0)]

    def change(data):
        _on_resource_disk("Standard_D2ads_v5")(data)
        del data["pool"]["sku"]
        data["pool"]["instance_mix"] = ["Standard_D2ads_v5", "Standard_D2as_v5"]

    result = rows(load_config(write_config(tmp_path, change)), endpoints)["resource-disk"]
    assert result.status == "failed" and "Standard_D2as_v5 has none" in result.message


def test_the_quota_family_is_matched_ignoring_case(example, endpoints, azure):
    # the Compute SKU says standardDSv2Family; the usages may spell it otherwise (ARM names are case-insensitive)
    del azure.usages["standardDSv2Family"]
    azure.usages["StandardDSv2Family"] = (1, 40)
    result = rows(example, endpoints)["quota"]
    assert result.status == "failed" and "lists no quota" not in result.message


def test_a_restriction_type_is_matched_ignoring_case(example, endpoints, azure):
    sku = mdp_sku("Standard_DS3_v2", "standardDSv2Family", restricted="NotAvailableForSubscription")
    for restriction in sku["properties"]["restrictions"]:
        restriction["type"] = "location"
    azure.mdp_skus = [sku]
    assert rows(example, endpoints)["pool-sku"].status == "failed"


# --- a fleet: the pools of one size add up in the region's quota ----------------------------------


def _fleet(tmp_path, heavy: int = 5):
    """config/fleet.yaml's pools (linux 10 x Standard_DS3_v2, windows 4 x Standard_D8ads_v5) and a third
    pool on the linux pool's size."""
    from tests.conftest import REPO

    fleet = yaml.safe_load((REPO / "config" / "fleet.yaml").read_text())

    def change(data):
        del data["pool"]
        data["pool_defaults"], data["pools"] = fleet["pool_defaults"], fleet["pools"]
        third = {"name": "heavy", "maximum_concurrency": heavy, "sku": "standard_ds3_v2", "images": fleet["pools"][0]["images"]}
        data["pools"].append(third)

    return load_config(write_config(tmp_path, change))


@pytest.mark.parametrize("limit, status", [(60, "ok"), (59, "failed")])
def test_pools_of_one_size_add_up_against_the_quota(tmp_path, endpoints, azure, limit, status):
    azure.usages["standardDSv2Family"] = (0, limit)  # (10 + 5) agents x 4 vCPUs = 60
    found = rows(_fleet(tmp_path), endpoints)
    result = found["quota:Standard_DS3_v2"]
    assert result.status == status, result.message
    assert result.message.startswith("needs 60 vCPUs of standardDSv2Family (15 x Standard_DS3_v2 at 4 vCPUs)")
    if status == "failed":
        assert "lower maximum_concurrency of pools linux, heavy to 14 together" in result.fix
    assert "quota" not in found  # one row per size in a fleet


# --- Azure Policy and the build's staging resources -----------------------------------------------

DENY_PUBLIC_IP = f"{SUB}/providers/Microsoft.Authorization/policyAssignments/deny-public-ip"
ALLOWED_LOCATIONS = (
    "/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/allowed-locations"
)


def test_azure_policy_is_asked_about_every_resource_a_build_creates(example, endpoints, azure):
    row = rows(example, endpoints)["build-policy"]
    assert row.status == "ok" and "none of the 5 resources" in row.message
    kinds = [body["resourceDetails"]["resourceContent"]["type"] for body in azure.policy_checks]
    # two staging groups (one per template), one storage account, one build VM size, one public IP
    assert sorted(kinds) == sorted(
        [
            "Microsoft.Resources/resourceGroups",
            "Microsoft.Resources/resourceGroups",
            "Microsoft.Storage/storageAccounts",
            "Microsoft.Compute/virtualMachines",
            "Microsoft.Network/publicIPAddresses",
        ]
    )
    assert all(body["resourceDetails"]["apiVersion"] for body in azure.policy_checks)


def test_each_blocking_assignment_is_named_in_one_line(example, endpoints, azure):
    azure.policy_denials["microsoft.network/publicipaddresses"] = [DENY_PUBLIC_IP]
    azure.policy_field_denials["microsoft.storage/storageaccounts"] = [("location", ALLOWED_LOCATIONS)]
    azure.policy_field_denials["microsoft.compute/virtualmachines"] = [("location", ALLOWED_LOCATIONS)]
    results = [r for r in run_checks(example, endpoints) if r.check == "build-policy"]
    assert [(r.status, r.message) for r in results] == [
        (
            "failed",
            f"policy assignment allowed-locations ({ALLOWED_LOCATIONS}) denies the staging storage account (build logs), "
            "the build VM (Standard_D4s_v3)",
        ),
        ("failed", f"policy assignment deny-public-ip ({DENY_PUBLIC_IP}) denies the build VM's public IP address"),
    ]
    assert all("\n" not in r.message and "builder.staging_resource_group" in r.fix for r in results)


def test_a_build_in_the_users_subnet_creates_no_public_ip(tmp_path, endpoints, azure):
    vnet = f"{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v"

    def in_subnet(data):
        for image in data["gallery"]["images"]:
            image["build"]["network"] = {"subnet_id": f"{vnet}/subnets/build"}
        data["builder"]["staging_resource_group"] = "rg-aib"

    azure.policy_denials["microsoft.network/publicipaddresses"] = [DENY_PUBLIC_IP]
    row = rows(load_config(write_config(tmp_path, in_subnet)), endpoints)["build-policy"]
    assert row.status == "ok"
    groups = [b["resourceDetails"]["resourceContent"].get("name") for b in azure.policy_checks]
    assert "rg-aib-ubuntu-22.04" in groups and "rg-aib-ubuntu-24.04" in groups


def test_a_policy_check_azure_refuses_warns_that_it_was_not_checked(example, endpoints, arm):
    arm.deny_authorization("POST", r"/checkPolicyRestrictions$", times=100)
    row = rows(example, endpoints)["build-policy"]
    assert row.status == "warning" and "could not ask Azure Policy: HTTP 403" in row.message
    assert "checkPolicyRestrictions/read" in row.fix
