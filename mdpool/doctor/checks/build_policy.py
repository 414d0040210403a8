"""Would Azure Policy deny what Image Builder creates for a build? Asked before the hour-long build.

Image Builder creates a staging resource group, a storage account in it and the build VM (with a
public IP address unless the build runs in the user's subnet, `build.network`); "verify that Azure
Policy doesn't prevent VM Image Builder from creating or using necessary resources" (Learn,
Troubleshoot Azure VM Image Builder, Prerequisites). Azure Policy answers that question itself:
Policy Restrictions - Check At Subscription Scope (Microsoft.PolicyInsights 2024-10-01,
`POST /subscriptions/{s}/providers/Microsoft.PolicyInsights/checkPolicyRestrictions`) evaluates a
resource's content against the deny policies of the scope. A denial shows as a `NonCompliant`
entry of `contentEvaluationResult.policyEvaluations` or a `Deny` field restriction; each names its
`policyAssignmentId`. Asked at the subscription (the staging groups may not exist yet), so an
assignment on one resource group alone is not seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.context import Context

NAME = "build-policy"
CHEAP = False
POLICY_API = "2024-10-01"  # Microsoft.PolicyInsights stable 2024-10-01, PolicyRestrictions_CheckAtSubscriptionScope
# api-versions of the resource contents asked about (each type's GA version in azure-rest-api-specs)
_CONTENT_API = {
    "Microsoft.Resources/resourceGroups": "2021-04-01",
    "Microsoft.Storage/storageAccounts": "2023-05-01",
    "Microsoft.Compute/virtualMachines": "2024-07-01",
    "Microsoft.Network/publicIPAddresses": "2024-05-01",
}


def applies(cfg: EnvironmentConfig) -> bool:
    return any(image.build for image in cfg.gallery.images)


def planned_resources(cfg: EnvironmentConfig) -> list[tuple[str, dict[str, Any]]]:
    """(what it is, its resource content) for each resource the builds create, each content once."""
    names = cfg.names
    location = cfg.location
    found: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(label: str, content: dict[str, Any]) -> None:
        import json

        found.setdefault(json.dumps(content, sort_keys=True), (label, content))

    for image in cfg.gallery.images:
        if image.build is None:
            continue
        # Image Builder's own group is IT_<template group>_<template>_<guid>; the guid is not known before
        group = (
            names.staging_resource_groups.get(image.name)
            or f"IT_{names.gallery_resource_group}_{names.image_template(image.name)}"
        )
        add(
            f"staging resource group {group}", {"type": "Microsoft.Resources/resourceGroups", "name": group, "location": location}
        )
        add(
            "staging storage account (build logs)",
            {
                "type": "Microsoft.Storage/storageAccounts",
                "location": location,
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS"},
            },
        )
        add(
            f"build VM ({image.build_vm_size})",
            {
                "type": "Microsoft.Compute/virtualMachines",
                "location": location,
                "properties": {"hardwareProfile": {"vmSize": image.build_vm_size}},
            },
        )
        if image.build.network is None:  # without vnetConfig the build VM is reached over a public IP
            add(
                "build VM's public IP address",
                {"type": "Microsoft.Network/publicIPAddresses", "location": location, "sku": {"name": "Standard"}},
            )
    return list(found.values())


def run(ctx: Context) -> list[CheckResult]:
    denied: dict[str, list[str]] = {}  # assignment id -> what it denies
    resources = planned_resources(ctx.cfg)
    for label, content in resources:
        body = {"resourceDetails": {"resourceContent": content, "apiVersion": _CONTENT_API[content["type"]]}}
        reply = ctx.arm.request(
            "POST", f"{ctx.subscription}/providers/Microsoft.PolicyInsights/checkPolicyRestrictions", POLICY_API, body=body
        )
        if not reply.ok:
            raise Unchecked(
                f"could not ask Azure Policy: {reply.describe()}",
                "the deploying identity needs Microsoft.PolicyInsights/checkPolicyRestrictions/read on the subscription",
            )
        for assignment in denying_assignments(reply.body if isinstance(reply.body, dict) else {}):
            denied.setdefault(assignment, [])
            if label not in denied[assignment]:
                denied[assignment].append(label)
    if not denied:
        return [ok(NAME, f"Azure Policy denies none of the {len(resources)} resources image builds create")]
    fix = (
        "ask for an exemption from that assignment for the staging group(s), or set builder.staging_resource_group "
        "and build.network so the builds fit it (docs/images.md)"
    )
    return [
        failed(NAME, f"policy assignment {assignment.rsplit('/', 1)[-1]} ({assignment}) denies the {', the '.join(labels)}", fix)
        for assignment, labels in denied.items()
    ]


def denying_assignments(answer: dict[str, Any]) -> list[str]:
    """The policyAssignmentId of every denial in a checkPolicyRestrictions answer, each once, in order."""
    found: list[str] = []
    evaluations = (answer.get("contentEvaluationResult") or {}).get("policyEvaluations") or []
    for evaluation in evaluations:
        if evaluation.get("evaluationResult") == "NonCompliant":
            found.append(str((evaluation.get("policyInfo") or {}).get("policyAssignmentId") or "an unnamed assignment"))
    for field in answer.get("fieldRestrictions") or []:
        for restriction in field.get("restrictions") or []:
            if restriction.get("result") == "Deny":
                found.append(str((restriction.get("policy") or {}).get("policyAssignmentId") or "an unnamed assignment"))
    return list(dict.fromkeys(found))
