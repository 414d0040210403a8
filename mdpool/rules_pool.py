"""Rules for the pool settings of the pools API 2026-06-02 (instance mix, provisioning scripts).

Called from `mdpool.rules._all_rules`. Each rule names its source; shapes, enums and ranges the
schema already holds (`mdpool.config`: ephemeral types, int32 static IP count) are not repeated.
"""

from __future__ import annotations

import re
from typing import Iterator

from mdpool.config import EnvironmentConfig
from mdpool.yamlsource import Loc

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
STORAGE_ACCOUNT_ID = re.compile(
    rf"^/subscriptions/{_GUID}/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{{3,24}}$",
    re.IGNORECASE,
)


def pool_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    pool = config.pool
    # pools spec 2026-06-02: organizationProfile is one kind, AzureDevOps or GitHub (discriminator `kind`).
    if bool(pool.organizations) == (pool.github is not None):
        yield (
            ("pool", "organizations"),
            ("give `organizations` (Azure DevOps) or `github` (GitHub organizations); a pool serves one or the other"),
        )
    elif pool.github is not None:
        # GitHubOrganizationProfile holds only `organizations`: no permission profile and no description.
        if "permission" in pool.model_fields_set:
            yield ("pool", "permission"), "applies to Azure DevOps organizations only; a GitHub pool has none"
        if pool.description is not None:
            yield ("pool", "description"), "applies to Azure DevOps organizations only; a GitHub pool has none"
    if pool.instance_mix:
        # Our own config's shape: with an instance mix the body's sku name is "Mix" (Microsoft's example
        # CreateOrUpdatePool_InstanceMix.json), so a `sku` given as well would be dropped unseen.
        if "sku" in pool.model_fields_set:
            yield ("pool", "sku"), "give either `sku` (one VM size) or `instance_mix` (several), not both"
        seen: dict[str, int] = {}
        for index, size in enumerate(pool.instance_mix):
            # pools spec 2026-06-02 DevOpsAzureSku.vmSizes: x-ms-identifiers ["name"], a size is listed once.
            if size.lower() in seen:
                yield (
                    ("pool", "instance_mix", index),
                    (f"VM size {size!r} is already listed at instance_mix[{seen[size.lower()]}]; each size once"),
                )
            seen.setdefault(size.lower(), index)
    for index, image in enumerate(pool.images):
        script = image.provisioning_script
        # pools spec 2026-06-02 PoolImage.provisioningScriptStorageAccountResourceId: format arm-id,
        # x-ms-arm-id-details allowedResources Microsoft.Storage/storageAccounts (account names: 3-24
        # lowercase letters and digits, azurerm storage/validate StorageAccountName).
        if script is not None and not STORAGE_ACCOUNT_ID.match(script.storage_account_id):
            yield (
                ("pool", "images", index, "provisioning_script", "storage_account_id"),
                f"{script.storage_account_id!r} is not a storage account id; allowed: /subscriptions/<guid>/"
                "resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<3-24 lowercase letters or digits>",
            )
