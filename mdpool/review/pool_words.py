"""A Managed DevOps Pool in plain words: agents, standby schedule, images and sizing.

Reads a synthesized pool into small typed facts a reviewer can check against what the team asked
for ("Monday 04:00:00 -> 1 agent"), and says which of them a change touches. The pool is known by
its ARM type whatever the Terraform type: an `azapi_resource` of `Microsoft.DevOpsInfrastructure/pools`
(its body, API 2026-06-02), or the former `azurerm_managed_devops_pool` (a base synthesized by an
older mdpool).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mdpool.review.escape import code, text
from mdpool.review.references import Resolver

POOL_TYPE = "azurerm_managed_devops_pool"
"""The pool's former Terraform type (azurerm); the pool is now an azapi_resource of POOL_ARM_TYPE."""
POOL_ARM_TYPE = "Microsoft.DevOpsInfrastructure/pools"
SUNDAY_FIRST = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
"""The order of the service's daysData (azurerm helpers.go expandResourcePredictionsModel)."""
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NO_CHANGE = "no change"
"""An empty day in a manual schedule leaves the count of the day before as it is."""

_GALLERY_IMAGE_ID = re.compile(r"/galleries/[^/]+/images/(?P<image>[^/]+)(?:/versions/(?P<version>[^/]+))?$")
_VERSION_SUFFIX = re.compile(r"(?P<reference>\$\{[^}]+\})(?:/versions/(?P<version>[^/]+))?")


@dataclass(frozen=True)
class PoolImage:
    image: str
    """Readable source: "well-known `ubuntu-22.04/latest`" or "gallery image `ubuntu-22.04`, latest version"."""
    aliases: tuple[str, ...]
    buffer: str
    options: tuple[str, ...] = ()
    """Settings beyond the source: "ephemeral OS disk ResourceDisk", "provisioning script `x.ps1`"."""


@dataclass(frozen=True)
class Standby:
    kind: str
    """"no standby agents", "manual schedule", "all week" or "automatic"."""
    time_zone: str | None
    days: dict[str, str]
    """Per day: "04:00:00 -> 1, 18:00:00 -> 0", or NO_CHANGE."""
    summary: str
    """One line: the kind with its time zone, weekly count or prediction preference."""


@dataclass(frozen=True)
class PoolFacts:
    name: str
    agents: str
    standby: Standby
    images: tuple[PoolImage, ...]
    sizing: dict[str, str]
    """Label -> value: SKU, maximum concurrency, OS disk, data disk."""
    organizations: tuple[str, ...]


def _get(values: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(values, dict):
            values = values.get(key)  # type: ignore[arg-type]
        elif isinstance(values, list) and isinstance(key, int) and key < len(values):
            values = values[key]
        else:
            return None
    return values


def _one(values: Any) -> Any:
    """A nested block: an object, or (in some synth forms) a one-item list."""
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def _agents(values: dict) -> tuple[str, dict | None]:
    stateful, stateless = _one(values.get("stateful_agent")), _one(values.get("stateless_agent"))
    if isinstance(stateful, dict):
        grace = stateful.get("grace_period_time_span") or "00:00:00 (Azure's default)"
        lifetime = stateful.get("maximum_agent_lifetime") or "7.00:00:00 (Azure's default)"
        return (f"stateful: an idle agent waits {grace} for the next job; agents are recycled after {lifetime}", stateful)
    if isinstance(stateless, dict):
        return "stateless: a fresh agent for every job", stateless
    return "not set", None


def _standby(profile: dict | None) -> Standby:
    manual = _one(_get(profile, "manual_resource_prediction"))
    automatic = _one(_get(profile, "automatic_resource_prediction"))
    if isinstance(manual, dict):
        zone = manual.get("time_zone_name") or "UTC"
        if manual.get("all_week_schedule") is not None:
            count = manual["all_week_schedule"]
            return Standby("all week", zone, {}, f"{count} standby agent(s) around the clock, all week ({zone})")
        days = {}
        for day in DAYS:
            entries = manual.get(f"{day}_schedule") or []
            pairs = sorted((str(e.get("time")), e.get("count")) for e in entries if isinstance(e, dict))
            days[day] = ", ".join(f"{time} -> {count}" for time, count in pairs) if pairs else NO_CHANGE
        return Standby("manual schedule", zone, days, f"manual schedule, time zone {zone}")
    if isinstance(automatic, dict):
        preference = automatic.get("prediction_preference") or "Balanced"
        return Standby("automatic", None, {}, f"automatic, prediction preference {preference}")
    return Standby("no standby agents", None, {}, "no standby agents: every agent starts on demand")


def _image_source(image: dict, stack: str, resolver: Resolver) -> str:
    if image.get("well_known_image_name"):
        return f"well-known {code(str(image['well_known_image_name']))}"
    reference = str(image.get("id") or "")
    version = None
    suffixed = _VERSION_SUFFIX.fullmatch(reference)
    if suffixed:
        target = resolver.target(stack, suffixed.group("reference"))
        version = suffixed.group("version")
        name = target.azure_name if target else None
    else:
        literal = _GALLERY_IMAGE_ID.search(reference)
        name, version = (literal.group("image"), literal.group("version")) if literal else (None, None)
    if not name:
        return code(resolver.readable(stack, reference))
    when = "latest version" if version in (None, "latest") else f"version {text(str(version))}"
    return f"gallery image {code(name)}, {when}"


def _sizing(values: dict) -> dict[str, str]:
    fabric = _one(values.get("virtual_machine_scale_set_fabric")) or {}
    storage = _one(fabric.get("storage"))
    security = _one(fabric.get("security")) or {}
    if isinstance(storage, dict):
        data_disk = f"{storage.get('disk_size_in_gb')} GiB {storage.get('storage_account_type') or 'Standard_LRS'}"
        data_disk += f", caching {storage.get('caching') or 'ReadWrite'}"
        if storage.get("drive_letter"):
            data_disk += f", drive {storage['drive_letter']}"
    else:
        data_disk = "none"
    return {
        "SKU": str(fabric.get("sku_name")),
        "maximum concurrency": str(values.get("maximum_concurrency")),
        "OS disk": str(fabric.get("os_disk_storage_account_type") or "Standard"),
        "data disk": data_disk,
        "interactive logon": "yes" if security.get("interactive_logon_enabled") else "no",
        "network": "own subnet" if fabric.get("subnet_id") else "Microsoft-managed",
        "static outbound IPs": "none",  # the azurerm resource cannot set any
    }


def is_pool(resource_type: str, values: Any) -> bool:
    """A Managed DevOps Pool, by its ARM type whatever the Terraform type."""
    if resource_type == POOL_TYPE:
        return True
    arm_type = values.get("type") if isinstance(values, dict) else None
    return (
        resource_type == "azapi_resource"
        and isinstance(arm_type, str)
        and arm_type.split("@", 1)[0].lower() == POOL_ARM_TYPE.lower()
    )


def _agents_in_body(agent: dict) -> str:
    if agent.get("kind") == "Stateful":
        grace = agent.get("gracePeriodTimeSpan") or "00:00:00 (Azure's default)"
        lifetime = agent.get("maxAgentLifetime") or "7.00:00:00 (Azure's default)"
        return f"stateful: an idle agent waits {grace} for the next job; agents are recycled after {lifetime}"
    if agent.get("kind") == "Stateless":
        return "stateless: a fresh agent for every job"
    return "not set"


def _standby_in_body(agent: dict) -> Standby:
    profile = agent.get("resourcePredictionsProfile") or {}
    if profile.get("kind") == "Automatic":
        preference = profile.get("predictionPreference") or "Balanced"
        return Standby("automatic", None, {}, f"automatic, prediction preference {preference}")
    if profile.get("kind") != "Manual":
        return Standby("no standby agents", None, {}, "no standby agents: every agent starts on demand")
    predictions = agent.get("resourcePredictions") or {}
    zone = predictions.get("timeZone") or "UTC"
    days_data = [day if isinstance(day, dict) else {} for day in predictions.get("daysData") or ()]
    if len(days_data) == 1:
        count = next(iter(days_data[0].values()), 0)
        return Standby("all week", zone, {}, f"{count} standby agent(s) around the clock, all week ({zone})")
    by_day = dict(zip(SUNDAY_FIRST, days_data))
    days = {
        day: ", ".join(f"{time} -> {count}" for time, count in sorted((by_day.get(day) or {}).items())) or NO_CHANGE
        for day in DAYS
    }
    return Standby("manual schedule", zone, days, f"manual schedule, time zone {zone}")


def _image_in_body(image: dict, stack: str, resolver: Resolver) -> PoolImage:
    source = _image_source(
        {"well_known_image_name": image.get("wellKnownImageName"), "id": image.get("resourceId")}, stack, resolver
    )
    options = []
    if image.get("ephemeralType"):
        options.append(f"ephemeral OS disk {text(str(image['ephemeralType']))}")
    if image.get("provisioningScriptEntryPoint"):
        restart = ", then restart" if image.get("provisioningScriptShouldRestart") else ""
        options.append(f"provisioning script {code(str(image['provisioningScriptEntryPoint']))}{restart}")
    return PoolImage(source, tuple(image.get("aliases") or ()), str(image.get("buffer", "*")), tuple(options))


def _organization_in_body(org: dict) -> str:
    projects = f"projects {', '.join(org['projects'])}" if org.get("projects") else "all projects"
    extras = "".join([", open access" if org.get("openAccess") else "", f", alias {org['alias']}" if org.get("alias") else ""])
    return f"{org.get('url')} (parallelism {org.get('parallelism')}, {projects}{extras})"


def _sizing_in_body(properties: dict) -> dict[str, str]:
    fabric = properties.get("fabricProfile") or {}
    sku = fabric.get("sku") or {}
    sizes = [str(size.get("name")) for size in sku.get("vmSizes") or () if isinstance(size, dict)]
    storage = fabric.get("storageProfile") or {}
    disks = storage.get("dataDisks") or []
    if disks and isinstance(disks[0], dict):
        disk = disks[0]
        data_disk = (
            f"{disk.get('diskSizeGiB')} GiB {disk.get('storageAccountType') or 'Standard_LRS'}, "
            f"caching {disk.get('caching') or 'ReadWrite'}"
        )
        if disk.get("driveLetter"):
            data_disk += f", drive {disk['driveLetter']}"
    else:
        data_disk = "none"
    network = fabric.get("networkProfile") or {}
    static_ips = network.get("staticIpAddressCount")
    return {
        "SKU": f"instance mix of {', '.join(sizes)}" if sizes else str(sku.get("name")),
        "maximum concurrency": str(properties.get("maximumConcurrency")),
        "OS disk": str(storage.get("osDiskStorageAccountType") or "Standard"),
        "data disk": data_disk,
        "interactive logon": "yes" if (fabric.get("osProfile") or {}).get("logonType") == "Interactive" else "no",
        "network": "own subnet" if network.get("subnetId") else "Microsoft-managed",
        "static outbound IPs": str(static_ips) if static_ips else "none",
    }


def _describe_body(values: dict, stack: str, resolver: Resolver) -> PoolFacts:
    properties = _get(values, "body", "properties") or {}
    agent = properties.get("agentProfile") or {}
    fabric = properties.get("fabricProfile") or {}
    images = tuple(_image_in_body(image, stack, resolver) for image in fabric.get("images") or () if isinstance(image, dict))
    profile = properties.get("organizationProfile") or {}
    organizations = tuple(_organization_in_body(org) for org in profile.get("organizations") or () if isinstance(org, dict))
    if profile.get("kind") == "GitHub":
        organizations = tuple(f"GitHub {org.get('url')}" for org in profile.get("organizations") or () if isinstance(org, dict))
    return PoolFacts(
        str(values.get("name")),
        _agents_in_body(agent),
        _standby_in_body(agent),
        images,
        _sizing_in_body(properties),
        organizations,
    )


def describe_pool(values: dict, stack: str, resolver: Resolver) -> PoolFacts:
    """The plain-words facts of one synthesized pool."""
    if isinstance(values.get("body"), dict):
        return _describe_body(values, stack, resolver)
    agents, profile = _agents(values)
    fabric = _one(values.get("virtual_machine_scale_set_fabric")) or {}
    images = tuple(
        PoolImage(_image_source(image, stack, resolver), tuple(image.get("aliases") or ()), str(image.get("buffer", "*")))
        for image in fabric.get("image") or ()
        if isinstance(image, dict)
    )
    organizations = tuple(
        f"{org.get('url')} (parallelism {org.get('parallelism')}"
        + (f", projects {', '.join(org['projects'])})" if org.get("projects") else ", all projects)")
        for org in _get(_one(values.get("azure_devops_organization")), "organization") or ()
        if isinstance(org, dict)
    )
    return PoolFacts(str(values.get("name")), agents, _standby(profile), images, _sizing(values), organizations)
