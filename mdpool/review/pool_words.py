"""A Managed DevOps Pool in plain words: agents, standby schedule, images and sizing.

Reads the arguments of an `azurerm_managed_devops_pool` (as synthesized) into small typed facts a
reviewer can check against what the team asked for ("Monday 04:00:00 -> 1 agent"), and says which
of them a change touches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mdpool.review.escape import code, text
from mdpool.review.references import Resolver

POOL_TYPE = "azurerm_managed_devops_pool"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NO_CHANGE = "no change"
"""An empty day in a manual schedule leaves the count of the day before as it is."""

_GALLERY_IMAGE_ID = re.compile(r"/galleries/[^/]+/images/(?P<image>[^/]+)(?:/versions/(?P<version>[^/]+))?$")
_VERSION_SUFFIX = re.compile(r"^(?P<reference>\$\{[^}]+\})(?:/versions/(?P<version>[^/]+))?$")


@dataclass(frozen=True)
class PoolImage:
    image: str
    """Readable source: "well-known `ubuntu-22.04/latest`" or "gallery image `ubuntu-22.04`, latest version"."""
    aliases: tuple[str, ...]
    buffer: str


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
        return (f"stateful: an idle agent waits {grace} for the next job; agents are recycled after {lifetime}",
                stateful)
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
    suffixed = _VERSION_SUFFIX.match(reference)
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
    }


def describe_pool(values: dict, stack: str, resolver: Resolver) -> PoolFacts:
    """The plain-words facts of one synthesized pool."""
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
