"""The pool's ARM request body (Microsoft.DevOpsInfrastructure/pools@2026-06-02), from the typed config.

Plain data, no cdktn: the pool construct hands it to `azapi_resource`, and the tests validate it
against the REST spec. The body holds only what the config sets (or a value the service echoes
back unchanged), so a plan after apply shows no change; what the service fills in (defaults,
`isEphemeral`, `ipAddresses`, `provisioningState`) is read back through the resource's exported
values, never written.

The shapes follow the spec (`devopsinfrastructure-2026-06-02.json`). The standby schedule is
free-form there; its shape (`timeZone`, `daysData`: seven maps "HH:MM:SS" -> count starting on
Sunday, or one map for the whole week) is the azurerm provider's mapping
(terraform-provider-azurerm internal/services/manageddevopspools/helpers.go,
expandResourcePredictionsModel) and Microsoft's "Configure scaling" page for Managed DevOps Pools.
"""

from __future__ import annotations

from typing import Any, Mapping

from mdpool.validate.formats import canonical_id
from mdpool.config import DAYS, Pool, PoolImage
from mdpool.timespan import canonical_timespan, parse_time_of_day

API_VERSION = "2026-06-02"
RESOURCE_TYPE = f"Microsoft.DevOpsInfrastructure/pools@{API_VERSION}"
INSTANCE_MIX_SKU = "Mix"
"""The SKU name with several VM sizes (Microsoft's example CreateOrUpdatePool_InstanceMix.json)."""

EXPORTED_VALUES = {
    # Read back, never written: the service fills these in (JMESPath queries of azapi's response_export_values).
    "ip_addresses": "properties.fabricProfile.networkProfile.ipAddresses",
    "provisioning_state": "properties.provisioningState",
}


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    """Write only what is set: None and empty lists stay out of the body."""
    if value is None or value == []:
        return
    target[key] = value


def gallery_image_version_id(definition_id: str, version: str) -> str:
    return f"{definition_id}/versions/{version}"


def github_profile(pool: Pool) -> dict[str, Any]:
    assert pool.github is not None
    organizations = []
    for org in pool.github.organizations:
        item: dict[str, Any] = {"url": org.url}
        _set(item, "repositories", list(org.repositories))
        organizations.append(item)
    return {"kind": "GitHub", "organizations": organizations}


def organization_profile(pool: Pool) -> dict[str, Any]:
    if pool.github is not None:
        return github_profile(pool)
    organizations = []
    for org in pool.organizations:
        item: dict[str, Any] = {"url": org.resolved_url, "parallelism": pool.parallelism_of(org)}
        _set(item, "projects", list(org.projects))
        _set(item, "openAccess", org.open_access)
        _set(item, "alias", org.alias)
        organizations.append(item)
    permission: dict[str, Any] = {"kind": pool.permission.kind}
    if pool.permission.kind == "SpecificAccounts":
        _set(permission, "users", list(pool.permission.users))
        _set(permission, "groups", list(pool.permission.groups))
    profile: dict[str, Any] = {"kind": "AzureDevOps", "organizations": organizations, "permissionProfile": permission}
    if pool.description is not None:
        # spec AzureDevOpsOrganizationProfile.updateDescription: the service applies `description` only when
        # it is true (Microsoft's example CreateOrUpdatePool.json sends both)
        profile["description"] = pool.description
        profile["updateDescription"] = True
    return profile


def days_data(pool: Pool) -> list[dict[str, int]]:
    """One map for an all-week count, else seven maps (Sunday first); a day left out is `{}` (no change)."""
    schedule = pool.standby.manual
    assert schedule is not None
    if schedule.all_week is not None:
        return [{"00:00:00": schedule.all_week}]
    days = schedule.days or {}
    return [
        {
            parse_time_of_day(time): count
            for time, count in sorted((days.get(day) or {}).items(), key=lambda item: parse_time_of_day(item[0]))
        }
        for day in DAYS  # config.DAYS starts on Sunday, as daysData does
    ]


def agent_profile(pool: Pool) -> dict[str, Any]:
    profile: dict[str, Any] = {"kind": "Stateful" if pool.agents.kind == "stateful" else "Stateless"}
    if pool.agents.kind == "stateful":
        # written in the service's own spelling (canonical_timespan), so the read-back shows no change
        for key, value in (("gracePeriodTimeSpan", pool.agents.grace_period), ("maxAgentLifetime", pool.agents.maximum_lifetime)):
            if value is not None:
                profile[key] = canonical_timespan(value)
    standby = pool.standby
    if standby.kind == "manual" and standby.manual is not None:
        profile["resourcePredictionsProfile"] = {"kind": "Manual"}
        profile["resourcePredictions"] = {"timeZone": standby.manual.time_zone, "daysData": days_data(pool)}
    elif standby.kind == "automatic":
        preference = standby.automatic.prediction_preference if standby.automatic else "Balanced"
        profile["resourcePredictionsProfile"] = {"kind": "Automatic", "predictionPreference": preference}
    return profile


def image_entry(image: PoolImage, gallery_image_ids: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if image.gallery_image is not None:
        entry["resourceId"] = gallery_image_version_id(gallery_image_ids[image.gallery_image], image.version)
    _set(entry, "resourceId", canonical_id(image.resource_id) if image.resource_id else None)
    _set(entry, "wellKnownImageName", image.well_known)
    _set(entry, "aliases", list(image.aliases))
    entry["buffer"] = str(image.buffer)
    _set(entry, "ephemeralType", image.ephemeral)
    script = image.provisioning_script
    if script is not None:
        entry["provisioningScriptStorageAccountResourceId"] = canonical_id(script.storage_account_id)
        entry["provisioningScriptEntryPoint"] = script.entry_point
        _set(entry, "provisioningScriptManagedIdentityClientId", script.identity_client_id)
        _set(entry, "provisioningScriptShouldRestart", script.restart)
    return entry


def fabric_profile(pool: Pool, gallery_image_ids: Mapping[str, str], subnet_id: str | None) -> dict[str, Any]:
    sku: dict[str, Any] = {"name": pool.sku}
    if pool.instance_mix:
        sku = {"name": INSTANCE_MIX_SKU, "vmSizes": [{"name": size} for size in pool.instance_mix]}
    # logonType is always sent, as the azurerm provider does (helpers.go expandSecurityModel).
    os_profile: dict[str, Any] = {"logonType": "Interactive" if pool.interactive_logon else "Service"}
    if pool.key_vault is not None:
        vault = pool.key_vault
        secrets: dict[str, Any] = {"observedCertificates": list(vault.certificate_ids), "keyExportable": vault.key_export}
        _set(secrets, "certificateStoreLocation", vault.store_location)
        _set(secrets, "certificateStoreName", vault.store_name)
        os_profile["secretsManagementSettings"] = secrets
    storage: dict[str, Any] = {"osDiskStorageAccountType": pool.os_disk_type}
    if pool.data_disk is not None:
        disk = pool.data_disk
        data_disk = {"diskSizeGiB": disk.size_gb, "caching": disk.caching, "storageAccountType": disk.storage_account_type}
        _set(data_disk, "driveLetter", disk.drive_letter)
        storage["dataDisks"] = [data_disk]
    fabric: dict[str, Any] = {
        "kind": "Vmss",
        "sku": sku,
        "images": [image_entry(image, gallery_image_ids) for image in pool.images],
        "osProfile": os_profile,
        "storageProfile": storage,
    }
    network: dict[str, Any] = {}
    _set(network, "subnetId", subnet_id)
    if pool.network is not None:
        _set(network, "staticIpAddressCount", pool.network.static_ip_count)
    if network:
        fabric["networkProfile"] = network
    return fabric


def pool_properties(
    pool: Pool, *, project_id: str, gallery_image_ids: Mapping[str, str], subnet_id: str | None = None
) -> dict[str, Any]:
    """The `properties` of the pool's request body."""
    properties: dict[str, Any] = {
        "devCenterProjectResourceId": project_id,
        "maximumConcurrency": pool.maximum_concurrency,
        "organizationProfile": organization_profile(pool),
        "agentProfile": agent_profile(pool),
        "fabricProfile": fabric_profile(pool, gallery_image_ids, subnet_id),
    }
    if pool.work_folder is not None:
        properties["runtimeConfiguration"] = {"workFolder": pool.work_folder}
    return properties


def pool_body(
    pool: Pool, *, project_id: str, gallery_image_ids: Mapping[str, str], subnet_id: str | None = None
) -> dict[str, Any]:
    """The whole request body azapi sends (name, location, tags and identity are the resource's own arguments)."""
    return {"properties": pool_properties(pool, project_id=project_id, gallery_image_ids=gallery_image_ids, subnet_id=subnet_id)}
