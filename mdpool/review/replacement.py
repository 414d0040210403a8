"""Which attribute changes make Terraform destroy and re-create a resource (ForceNew).

Taken from the providers' resource schemas (`ForceNew: true`, documented as "Changing this
forces a new resource to be created"), for the resource types mdpool synthesizes. Only what is
certain is listed: a change that is not listed may still replace a resource when the provider
decides so at plan time (`mdpool plan` shows the truth); a listed one always does.
"""

from __future__ import annotations

import re

_PLACEMENT = ("name", "location", "resource_group_name")

FORCE_NEW: dict[str, tuple[str, ...]] = {
    "azurerm_resource_group": ("name", "location"),
    "azurerm_shared_image_gallery": _PLACEMENT,
    "azurerm_shared_image": _PLACEMENT
    + (
        "gallery_name",
        "os_type",
        "architecture",
        "hyper_v_generation",
        "specialized",
        "identifier",
        "eula",
        "privacy_statement_uri",
        "purchase_plan",
        "trusted_launch_supported",
        "trusted_launch_enabled",
        "confidential_vm_supported",
        "confidential_vm_enabled",
        "accelerated_network_support_enabled",
        "hibernation_enabled",
        "disk_controller_type_nvme_enabled",
    ),
    "azurerm_user_assigned_identity": _PLACEMENT,
    "azurerm_role_definition": ("scope", "role_definition_id"),
    "azurerm_role_assignment": (
        "name",
        "scope",
        "role_definition_id",
        "role_definition_name",
        "principal_id",
        "principal_type",
    ),
    "azurerm_resource_provider_registration": ("name",),
    "azurerm_dev_center": _PLACEMENT,
    "azurerm_dev_center_project": _PLACEMENT + ("dev_center_id",),
    "azurerm_managed_devops_pool": _PLACEMENT,
    # azapi_resource (the pool): its name, parent and location replace the resource (the azapi
    # provider's resource schema: RequiresReplace on name, parent_id and location). The pools spec
    # 2026-06-02 marks no body property as creation-only, so no body change is listed.
    "azapi_resource": ("name", "parent_id", "location"),
    "azurerm_virtual_network": _PLACEMENT,
    "azurerm_subnet": ("name", "resource_group_name", "virtual_network_name"),
    "azurerm_subnet_network_security_group_association": ("subnet_id", "network_security_group_id"),
    # Terraform's built-in resource: any change to triggers_replace replaces it by definition.
    "terraform_data": ("triggers_replace",),
}

_INDEX = re.compile(r"\.\d+(?=\.|$)")


def forces_replacement(resource_type: str, path: str) -> bool:
    """True when a change at dotted `path` (list indices included) always replaces the resource."""
    attribute = _INDEX.sub("", path)
    return any(attribute == key or attribute.startswith(key + ".") for key in FORCE_NEW.get(resource_type, ()))
