"""The resource providers a deploy needs are registered in the subscription."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.checks.actions import allows
from mdpool.doctor.context import PROVIDERS_API
from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok, warning

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "providers"
CHEAP = True

# Managed DevOps Pools: MicrosoftDocs/azure-devops-docs docs/managed-devops-pools/prerequisites.md
# ("Register the Managed DevOps Pools resource provider"): DevOpsInfrastructure and DevCenter.
POOL_PROVIDERS = (
    "Microsoft.DevOpsInfrastructure",
    "Microsoft.DevCenter",
    "Microsoft.Compute",
    "Microsoft.Network",
    "Microsoft.ManagedIdentity",
)
# Azure Image Builder: learn.microsoft.com/azure/virtual-machines/linux/image-builder ("Register the
# features"): VirtualMachineImages, Compute, KeyVault, Storage, Network, ContainerInstance.
BUILD_PROVIDERS = ("Microsoft.VirtualMachineImages", "Microsoft.KeyVault", "Microsoft.Storage", "Microsoft.ContainerInstance")


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def needed(cfg: EnvironmentConfig) -> list[str]:
    builds = any(image.build for image in cfg.gallery.images)
    return list(dict.fromkeys(POOL_PROVIDERS + (BUILD_PROVIDERS if builds else ())))


def run(ctx: Context) -> list[CheckResult]:
    missing: list[str] = []
    states: dict[str, str] = {}
    for namespace in needed(ctx.cfg):
        # Providers - Get: GET /subscriptions/{id}/providers/{namespace} (learn.microsoft.com/rest/api/resources/providers/get)
        reply = ctx.arm.get(f"{ctx.subscription}/providers/{namespace}", PROVIDERS_API)
        if reply.status == 404:
            states[namespace] = "unknown to this subscription's cloud"
            missing.append(namespace)
            continue
        if not reply.ok:
            raise Unchecked(
                f"could not read resource provider {namespace}: {reply.describe()}",
                "let the deploying identity read the subscription (Reader)",
            )
        state = str((reply.body or {}).get("registrationState") or "")
        if state != "Registered":
            states[namespace] = state or "no state"
            missing.append(namespace)
    if not missing:
        return [ok(NAME, f"{len(needed(ctx.cfg))} resource providers registered")]
    listed = ", ".join(f"{ns} ({states[ns]})" for ns in missing)
    fix = " && ".join(f"az provider register --namespace {ns}" for ns in missing)
    try:
        can_register = all(allows(ctx.subscription_permissions, f"{ns}/register/action") for ns in missing)
    except Unchecked:
        can_register = False
    if can_register:
        # the azurerm provider registers EXTRA_RESOURCE_PROVIDERS (mdpool/stacks/foundation.py) when allowed
        return [
            warning(
                NAME,
                f"not registered: {listed}; the deploying identity may register them, and the "
                "deploy's azurerm provider does so on first use (it can take minutes)",
                f"register them now: {fix}",
            )
        ]
    return [
        failed(
            NAME,
            f"not registered: {listed}; the deploying identity may not register them (*/register/action)",
            f"{fix} (as Contributor or Owner of the subscription)",
        )
    ]
