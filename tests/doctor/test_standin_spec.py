"""The stand-in's Managed DevOps Pools answers have the shapes the REST spec gives them.

The spec is Microsoft's (Azure/azure-rest-api-specs, devopsinfrastructure 2026-06-02), copied into
tests/data/managed-devops-pools/ with its licence. References to Azure's common types (outside the
file) are accepted as anything; the spec's own definitions, required properties included, are checked.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.http import Arm
from tests.doctor.conftest import SUBSCRIPTION

SPEC = Path(__file__).resolve().parents[1] / "data" / "managed-devops-pools" / "devopsinfrastructure-2026-06-02.json"
SUB = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.DevOpsInfrastructure"


def _loosen(node: Any) -> Any:
    """External $refs -> {}; a string may be null (the spec says e.g. `reason` "will be null if the name is available")."""
    if isinstance(node, dict):
        if "$ref" in node and not node["$ref"].startswith("#/"):
            return {}
        node = {k: _loosen(v) for k, v in node.items()}
        if node.get("type") == "string":
            node["type"] = ["string", "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        return node
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    return node


def schema_of(definition: str) -> dict[str, Any]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return {"$ref": f"#/definitions/{definition}", "definitions": _loosen(copy.deepcopy(spec["definitions"]))}


@pytest.mark.parametrize(
    "method, path, body, definition",
    [
        (
            "POST",
            f"{SUB}/checkNameAvailability",
            {"name": "mdp-jhp-dev-weu", "type": "Microsoft.DevOpsInfrastructure/pools"},
            "CheckNameAvailabilityResult",
        ),
        ("GET", f"{SUB}/locations/westeurope/skus", None, "ResourceSkuListResult"),
        ("GET", f"{SUB}/locations/westeurope/usages", None, "PagedQuota"),
    ],
)
def test_the_standin_answers_as_the_spec_says(endpoints, azure, method, path, body, definition):
    azure.taken_pool_names.add("mdp-jhp-dev-weu")
    arm = Arm(endpoints)
    try:
        reply = arm.request(method, path, DEVOPS_INFRASTRUCTURE_API, body=body)
    finally:
        arm.close()
    assert reply.ok
    jsonschema.Draft4Validator(schema_of(definition)).validate(reply.body)


def test_the_validator_refuses_a_missing_required_property():
    with pytest.raises(jsonschema.ValidationError, match="'limit' is a required property"):
        jsonschema.Draft4Validator(schema_of("PagedQuota")).validate({"value": [{"id": "x", "unit": "Count", "currentValue": 0}]})
