"""Which resources a deploy must never lose unnoticed, and how `--allow-replace` lets one go.

Two sources say a resource is protected:
- its type: the gallery, its image definitions and the pool (`PROTECTED_TYPES`, or for an
  `azapi_resource` its ARM type, `PROTECTED_ARM_TYPES`), whose loss takes
  image versions or running agents along; this also covers a resource whose block was removed
  from the configuration (its `prevent_destroy` went with the block);
- `lifecycle.prevent_destroy` in the synthesized stack (the gallery construct sets it).

With `prevent_destroy` Terraform refuses the whole plan ("Instance cannot be destroyed"), so
nobody could see what else the plan does, and no flag could let one resource go. mdpool therefore
plans with an override file (`mdpool_override.tf.json`, Terraform's own mechanism for merging
settings into a configuration) that lifts `prevent_destroy`, and enforces the protection itself on
the plan it then reads: a plan that replaces or destroys a protected resource is refused unless
`--allow-replace` names it. The override lives only while `terraform plan` runs (the saved plan
carries its own copy of the configuration), so `terraform` run by hand in the stack directory still
meets `prevent_destroy`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Mapping

OVERRIDE_FILE = "mdpool_override.tf.json"

PROTECTED_TYPES: Mapping[str, str] = {
    "azurerm_shared_image_gallery": "gallery",
    "azurerm_shared_image": "image definition",
    "azurerm_managed_devops_pool": "pool",
}

# The same kinds by ARM type, for resources driven through the azapi provider (`azapi_resource`,
# whose Terraform type says nothing): the pool is one since it moved to the pools API 2026-06-02.
PROTECTED_ARM_TYPES: Mapping[str, str] = {
    "microsoft.compute/galleries": "gallery",
    "microsoft.compute/galleries/images": "image definition",
    "microsoft.devopsinfrastructure/pools": "pool",
}


def arm_type_of(values: object) -> str | None:
    """`Microsoft.X/y` of an azapi resource's `type` argument (`Microsoft.X/y@api-version`), else None."""
    arm_type = values.get("type") if isinstance(values, dict) else None
    return arm_type.split("@", 1)[0] if isinstance(arm_type, str) and "/" in arm_type else None


# Why losing each protected kind hurts: said when the deploy refuses.
PROTECTED_KINDS: Mapping[str, str] = {
    "gallery": "a replaced or destroyed gallery takes every image version in it along",
    "image definition": "a replaced or destroyed image definition takes its image versions along",
    "pool": "a replaced or destroyed pool drops its agents and the jobs running on them",
    "protected resource": "the synthesized stack marks it prevent_destroy",
}


@dataclass(frozen=True)
class ProtectionPolicy:
    """Protected resources by type, or by exact address (without an index)."""

    types: Mapping[str, str] = field(default_factory=lambda: dict(PROTECTED_TYPES))
    addresses: Mapping[str, str] = field(default_factory=dict)

    def kind_of(self, resource_type: str, address: str, arm_type: str | None = None) -> str | None:
        bare = address.split("[", 1)[0]
        by_arm_type = PROTECTED_ARM_TYPES.get(arm_type.lower()) if arm_type and resource_type.startswith("azapi_") else None
        return self.addresses.get(bare) or self.types.get(resource_type) or by_arm_type

    def with_addresses(self, addresses: Mapping[str, str]) -> "ProtectionPolicy":
        return replace(self, addresses={**addresses, **self.addresses})

    def for_stack(self, stack_json: Path) -> "ProtectionPolicy":
        """This policy plus every resource the stack marks `prevent_destroy`."""
        marked = prevent_destroy_addresses(stack_json)
        return self.with_addresses(
            {address: self.types.get(resource_type, "protected resource") for address, resource_type in marked.items()}
        )


def prevent_destroy_addresses(stack_json: Path) -> dict[str, str]:
    """address -> resource type for each resource with `lifecycle.prevent_destroy` in a cdk.tf.json."""
    from mdpool.files import load_json_file

    document = load_json_file(stack_json)  # checked before (mdpool.deploy.output_check); read bounded again
    resources = document.get("resource") if isinstance(document, dict) else None
    found = {}
    for resource_type, blocks in (resources if isinstance(resources, dict) else {}).items():
        for name, block in (blocks if isinstance(blocks, dict) else {}).items():
            lifecycle = block.get("lifecycle") if isinstance(block, dict) else None
            if isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy") is True:
                found[f"{resource_type}.{name}"] = resource_type
    return found


@contextmanager
def prevent_destroy_lifted(stack_dir: Path, addresses: Mapping[str, str]) -> Iterator[None]:
    """While inside, an override file lifts `prevent_destroy` from `addresses` (address -> type)."""
    override = stack_dir / OVERRIDE_FILE
    override.unlink(missing_ok=True)  # a leftover of an interrupted run must not lift anything else
    if not addresses:
        yield
        return
    blocks: dict[str, dict[str, dict]] = {}
    for address, resource_type in addresses.items():
        name = address.split(".", 1)[1]
        blocks.setdefault(resource_type, {})[name] = {"lifecycle": {"prevent_destroy": False}}
    override.write_text(json.dumps({"resource": blocks}, indent=2, sort_keys=True) + "\n")
    try:
        yield
    finally:
        override.unlink(missing_ok=True)
