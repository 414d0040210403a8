"""The Terraform state backend is reachable: the storage account and its container exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.context import STORAGE_API
from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "state-backend"
CHEAP = True


def applies(cfg: EnvironmentConfig) -> bool:
    return cfg.state.backend == "azurerm" and cfg.state.azurerm is not None


def run(ctx: Context) -> list[CheckResult]:
    remote = ctx.cfg.state.azurerm
    assert remote is not None
    subscription = remote.subscription_id or ctx.cfg.subscription_id
    account = (
        f"/subscriptions/{subscription}/resourceGroups/{remote.resource_group_name}"
        f"/providers/Microsoft.Storage/storageAccounts/{remote.storage_account_name}"
    )
    # Storage Accounts - Get Properties (learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties)
    reply = ctx.arm.get(account, STORAGE_API)
    if reply.status == 404:
        return [
            failed(
                NAME,
                f"state.azurerm: storage account {remote.storage_account_name} not found in resource "
                f"group {remote.resource_group_name} ({reply.describe()})",
                f"create it (az storage account create -n {remote.storage_account_name} -g "
                f"{remote.resource_group_name} --subscription {subscription}) or correct state.azurerm",
            )
        ]
    if not reply.ok:
        raise Unchecked(
            f"could not read the state storage account {remote.storage_account_name}: {reply.describe()}",
            "let the deploying identity read it (Reader, and Storage Blob Data Contributor for the state)",
        )
    # Blob Containers - Get (learn.microsoft.com/rest/api/storagerp/blob-containers/get)
    container = ctx.arm.get(f"{account}/blobServices/default/containers/{remote.container_name}", STORAGE_API)
    if container.status == 404:
        return [
            failed(
                NAME,
                f"state.azurerm: container {remote.container_name} not found in storage account {remote.storage_account_name}",
                f"create it (az storage container create -n {remote.container_name} --account-name "
                f"{remote.storage_account_name} --auth-mode login)",
            )
        ]
    if not container.ok:
        raise Unchecked(f"could not read the state container {remote.container_name}: {container.describe()}")
    return [
        ok(NAME, f"state in {remote.storage_account_name}/{remote.container_name} (resource group {remote.resource_group_name})")
    ]
