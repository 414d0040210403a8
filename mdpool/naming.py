"""Names and resource ids for every resource mdpool creates, derived from the environment.

The blog says "use a naming module instead" four times; this is it. A derived name follows
`<type>-<prefix>-<environment>-<region>` (Cloud Adoption Framework abbreviations), adapted to
each resource type's rules: a gallery name, for instance, may not contain hyphens, so it uses
underscores. Explicit names in the config are checked against the same rules (`RULES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig


@dataclass(frozen=True)
class NameRule:
    """Azure's rule for one resource type's name: length and characters, and where that rule is written.

    `pattern` (matched against the whole name, ASCII only) is what the source says Azure or the
    provider refuses: an error. `advice`/`advice_text`, where given, is a stricter convention mdpool
    has no source for: a warning only.
    """

    kind: str
    min_length: int
    max_length: int
    pattern: str
    allowed: str
    source: str
    advice: str | None = None
    advice_text: str = ""

    def problem(self, name: str) -> str | None:
        """What is wrong with `name` (an error), or None if Azure accepts it."""
        if not self.min_length <= len(name) <= self.max_length:
            return (
                f"{self.kind} name {name!r} has {len(name)} characters; "
                f"allowed: {self.min_length} to {self.max_length}, {self.allowed}"
            )
        if not re.fullmatch(self.pattern, name, flags=re.ASCII):
            return f"{self.kind} name {name!r} is not valid; allowed: {self.allowed}"
        return None

    def warning(self, name: str) -> str | None:
        """A convention beyond the source that `name` breaks, or None."""
        if self.advice and not re.fullmatch(self.advice, name, flags=re.ASCII):
            return f"{self.kind} name {name!r} {self.advice_text}"
        return None


_NAME_RULES_DOC = "learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
RULES: dict[str, NameRule] = {
    rule.kind: rule
    for rule in [
        NameRule(
            "resource group",
            1,
            90,
            r"[-\w.()]*[-\w()]",
            "letters, digits, - _ . ( ), not ending in a period",
            "go-azure-helpers resourcemanager/resourcegroups/validate.go ValidateName",
        ),
        NameRule(
            "gallery",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.]*[A-Za-z0-9])?",
            "letters, digits, underscores and periods (no hyphens), starting and ending with a letter or digit",
            "azurerm compute/validate/compute.go SharedImageGalleryName; start/end: " + _NAME_RULES_DOC,
        ),
        NameRule(
            "gallery image",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?",
            "letters, digits, - _ ., starting and ending with a letter or digit",
            "azurerm compute/validate/compute.go SharedImageName; start/end: " + _NAME_RULES_DOC,
        ),
        NameRule(
            "user-assigned identity",
            3,
            128,
            r"[A-Za-z0-9][A-Za-z0-9_-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "role definition",
            1,
            512,
            r"[\s\S]*",
            "any text",
            "azurerm authorization/role_definition_resource.go name StringIsNotEmpty; 512: "
            "learn.microsoft.com/azure/role-based-access-control/custom-roles (Name)",
            advice=r"[^%]*[^ %.]",
            advice_text="contains % or ends in a space or period; Azure may refuse it",
        ),
        NameRule(
            "dev center",
            3,
            26,
            r"[A-Za-z0-9][A-Za-z0-9-]{2,25}",
            "letters, digits and hyphens, starting with a letter or digit",
            "learn.microsoft.com/azure/templates/microsoft.devcenter/devcenters (name pattern)",
        ),
        NameRule(
            "dev center project",
            3,
            63,
            r"[A-Za-z0-9][A-Za-z0-9_.-]{2,62}",
            "letters, digits, - _ ., starting with a letter or digit",
            "learn.microsoft.com/azure/templates/microsoft.devcenter/projects (name pattern)",
        ),
        NameRule(
            "managed devops pool",
            3,
            44,
            r"[A-Za-z0-9][A-Za-z0-9.-]{1,42}[A-Za-z0-9-]",
            "letters, digits, hyphens and periods, starting with a letter or digit, not ending in a period",
            "azurerm manageddevopspools/managed_devops_pool_resource.go name StringMatch",
        ),
        NameRule(
            "virtual network",
            2,
            64,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            "letters, digits, - _ ., starting with a letter or digit, ending with a letter, digit or underscore",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "subnet",
            1,
            80,
            r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            "letters, digits, - _ ., starting with a letter or digit, ending with a letter, digit or underscore",
            _NAME_RULES_DOC,
        ),
        NameRule(
            "image template",
            1,
            64,
            r"[A-Za-z0-9_.-]+",
            "letters, digits, - _ .",
            "Azure Image Builder REST spec 2025-10-01 ImageTemplateNameParameter pattern",
            advice=r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?",
            advice_text="should start with a letter or digit and end with a letter, digit or underscore",
        ),
    ]
}

# Short region codes for names (CAF style). Unknown regions use the full name unless the config
# sets naming.region_abbreviation.
REGION_ABBREVIATIONS = {
    "westeurope": "weu",
    "northeurope": "neu",
    "swedencentral": "sdc",
    "germanywestcentral": "gwc",
    "francecentral": "frc",
    "uksouth": "uks",
    "ukwest": "ukw",
    "switzerlandnorth": "szn",
    "norwayeast": "nwe",
    "polandcentral": "plc",
    "italynorth": "itn",
    "spaincentral": "spc",
    "eastus": "eus",
    "eastus2": "eus2",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
    "centralus": "cus",
    "northcentralus": "ncus",
    "southcentralus": "scus",
    "canadacentral": "cnc",
    "brazilsouth": "brs",
    "australiaeast": "aue",
    "southeastasia": "sea",
    "eastasia": "ea",
    "japaneast": "jpe",
    "koreacentral": "krc",
    "centralindia": "inc",
    "uaenorth": "uan",
    "southafricanorth": "san",
}


@dataclass(frozen=True)
class Names:
    """Every name and id mdpool uses for one environment (explicit config names win)."""

    subscription_id: str
    gallery_resource_group: str
    pool_resource_group: str
    gallery: str
    builder_identity: str
    builder_role: str
    dev_center: str
    project: str
    pool: str
    vnet: str
    subnet: str
    image_templates: dict[str, str]

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    def resource_group_id(self, name: str) -> str:
        return f"{self.subscription_scope}/resourceGroups/{name}"

    @property
    def gallery_id(self) -> str:
        return f"{self.resource_group_id(self.gallery_resource_group)}/providers/Microsoft.Compute/galleries/{self.gallery}"

    def gallery_image_id(self, image: str) -> str:
        """Id of the gallery image definition `image` (versions live below it)."""
        return f"{self.gallery_id}/images/{image}"

    @property
    def builder_identity_id(self) -> str:
        return (
            f"{self.resource_group_id(self.gallery_resource_group)}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{self.builder_identity}"
        )

    def image_template(self, image: str) -> str:
        return self.image_templates[image]


def region_code(config: EnvironmentConfig) -> str:
    return config.naming.region_abbreviation or REGION_ABBREVIATIONS.get(config.location, config.location)


def _given(explicit: str | None, derived: str) -> str:
    """The name the config gives (even an empty one, which the name rules then refuse), else the derived one."""
    return derived if explicit is None else explicit


def derive_names(config: EnvironmentConfig) -> Names:
    prefix, env, region = config.naming.prefix, config.environment, region_code(config)
    role_prefix = _given(config.naming.role_prefix, prefix.upper())
    pool = config.pool
    new_network = pool.network.new if pool.network else None
    return Names(
        subscription_id=config.subscription_id,
        gallery_resource_group=_given(config.resource_groups.gallery, f"rg-{prefix}-images-{env}-{region}"),
        pool_resource_group=_given(config.resource_groups.pool, f"rg-{prefix}-pool-{env}-{region}"),
        gallery=_given(config.gallery.name, f"gal_{prefix}_{env}_{region}"),
        builder_identity=_given(config.builder.identity_name, f"id-{prefix}-imagebuilder-{env}-{region}"),
        builder_role=_given(config.builder.role_name, f"[{role_prefix}] Azure Image Builder Service ({env}-{region})"),
        dev_center=_given(pool.dev_center_name, f"dc-{prefix}-{env}-{region}"),
        project=_given(pool.project_name, f"dcp-{prefix}-{env}-{region}"),
        pool=_given(pool.name, f"mdp-{prefix}-{env}-{region}"),
        vnet=_given(new_network.name if new_network else None, f"vnet-{prefix}-pool-{env}-{region}"),
        subnet=_given(new_network.subnet_name if new_network else None, "snet-agents"),
        image_templates={
            image.name: _given(image.build.template_name if image.build else None, f"it-{prefix}-{image.name}-{env}")
            for image in config.gallery.images
        },
    )


def name_checks(config: EnvironmentConfig) -> list[tuple]:
    """(config location, problem) for each name, explicit or derived, that Azure would refuse.

    A derived name is reported at the setting that would fix it (e.g. pool.dev_center_name), so the
    user knows where to write an explicit, shorter name.
    """
    names = config.names
    checks: list[tuple[tuple, str, str]] = [
        (("resource_groups", "gallery"), "resource group", names.gallery_resource_group),
        (("resource_groups", "pool"), "resource group", names.pool_resource_group),
        (("gallery", "name"), "gallery", names.gallery),
        (("builder", "identity_name"), "user-assigned identity", names.builder_identity),
        (("builder", "role_name"), "role definition", names.builder_role),
        (("pool", "dev_center_name"), "dev center", names.dev_center),
        (("pool", "project_name"), "dev center project", names.project),
        (("pool", "name"), "managed devops pool", names.pool),
    ]
    if config.pool.network and config.pool.network.new:
        checks += [
            (("pool", "network", "new", "name"), "virtual network", names.vnet),
            (("pool", "network", "new", "subnet_name"), "subnet", names.subnet),
        ]
    for index, image in enumerate(config.gallery.images):
        checks.append((("gallery", "images", index, "name"), "gallery image", image.name))
        checks.append(
            (("gallery", "images", index, "build", "template_name"), "image template", names.image_template(image.name))
        )
    found: list[tuple] = []
    for loc, kind, name in checks:
        message = RULES[kind].problem(name)
        if message:
            found.append((loc, message))
        elif (advice := RULES[kind].warning(name)) is not None:
            found.append((loc, advice, "warning"))
    return found
