"""Turn schema errors into one-line problems, and check the rules Azure enforces across fields.

The schema (`mdpool.config`) catches wrong types, unknown keys and out-of-range values. The rules
here need the whole, typed configuration: buffers that add up, schedules within the pool's size,
parallelism matching concurrency, images that exist in this config's gallery, names Azure accepts.
Each rule carries a one-line comment naming its source: the azurerm provider's ValidateFunc
(hashicorp/terraform-provider-azurerm, path and function), a REST spec, or a Microsoft docs page.
A rule mdpool adds without such a source is a warning (printed, exit 0), never an error.
docs/rules.md lists them all.

A rule yields `(loc, message)` for an error or `(loc, message, "warning")` for a warning.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from mdpool import azure_formats as formats
from mdpool.config import DAYS, EnvironmentConfig
from mdpool.naming import name_checks
from mdpool.output_folder import DEFAULT_OUT, state_inside_output
from mdpool.problems import Problem
from mdpool.rules_pool import pool_rules
from mdpool.timespan import parse_time_of_day
from mdpool.timezones import TIME_ZONES
from mdpool.yamlsource import Loc, YamlDocument

WELL_KNOWN_IMAGES = ("ubuntu-22.04", "ubuntu-24.04", "windows-2022", "windows-2025")
RESERVED_SUBNET_ADDRESSES = 5
MAX_TAGS, MAX_TAG_KEY_BYTES, MAX_TAG_VALUE_BYTES = 50, 512, 256
WARNING = "warning"

# Plain-language text for the schema's regular expressions, so nobody has to read a regex.
PATTERN_TEXT = {
    r"^[a-z][a-z0-9]{0,9}$": "1 to 10 lowercase letters or digits, starting with a letter (e.g. dev)",
    r"^[a-z][a-z0-9]{1,9}$": "2 to 10 lowercase letters or digits, starting with a letter (e.g. jhp)",
    r"^[a-z0-9]{2,8}$": "2 to 8 lowercase letters or digits (e.g. weu)",
    r"^[a-z][a-z0-9]+$": "an Azure region name in lowercase without spaces (e.g. westeurope)",
    r"^[a-z0-9]{3,24}$": "3 to 24 lowercase letters or digits",
    r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$": "3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    r"^[A-Za-z0-9][A-Za-z0-9-]*$": "an Azure DevOps organization name (letters, digits, hyphens)",
}


# --- schema errors -> problems --------------------------------------------------------------------


def pydantic_problems(error: ValidationError, doc: YamlDocument, root: type[BaseModel]) -> list[Problem]:
    """One problem per faulty setting; union branches that pydantic reports separately are merged."""
    by_loc: dict[Loc, list[str]] = {}
    for item in error.errors(include_url=False):
        loc, parent = _clean_loc(root, item["loc"], unknown_key=item["type"] == "extra_forbidden")
        by_loc.setdefault(loc, [])
        message = _message(item, loc, parent)
        if message not in by_loc[loc]:
            by_loc[loc].append(message)
    return [doc.problem(loc, "; or ".join(messages)) for loc, messages in by_loc.items()]


def _message(item: Mapping[str, Any], loc: Loc, parent: Any) -> str:
    kind, ctx, value = item["type"], item.get("ctx", {}), item.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _field_names(parent)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {key!r}; {hint}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required setting is missing"
    if kind == "literal_error":
        return f"{value!r} is not allowed; allowed: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"{value!r} is not allowed; allowed: {PATTERN_TEXT.get(pattern, 'text matching ' + pattern)}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", item["msg"]))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{value!r} is out of range; {item['msg'].lower().replace('input should be', 'allowed: a number')}"
    if kind in ("too_short", "too_long"):
        return item["msg"].replace("List should", "the list must").replace("Value should", "must")
    typename = type(value).__name__ if value is not None else "nothing"
    return f"{item['msg'].replace('Input should be', 'must be')} (got {typename}: {value!r})"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (Annotated, Optional and unions opened up)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _clean_loc(root: type[BaseModel], raw: tuple, unknown_key: bool) -> tuple[Loc, Any]:
    """Drop pydantic's union-branch tags from `raw`; return the clean loc and the type(s) holding its last part.

    A part that names no field, item or entry of the types reached so far is a branch tag
    (`str`, `function-after[...]`), except the last part of an unknown-key error: that is the key.
    """
    current: list[Any] = [root]
    parent: Any = root
    clean: list[str | int] = []
    for part in raw[:-1] if unknown_key else raw:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and part in candidate.model_fields:
                following += _unwrap(candidate.model_fields[part].annotation)
            elif origin is list and isinstance(part, int):
                following += _unwrap(typing.get_args(candidate)[0])
            elif origin is dict and part != "[key]":
                following += _unwrap(typing.get_args(candidate)[1])
        if following:
            parent = current
            clean.append(part)
            current = following
    if unknown_key:
        parent = current
        clean.append(raw[-1])
    return tuple(clean), parent


def _field_names(parent: Any) -> list[str]:
    models = [c for c in (parent if isinstance(parent, list) else [parent]) if isinstance(c, type) and issubclass(c, BaseModel)]
    names: list[str] = []
    for model in models:
        names += [name for name in model.model_fields if name not in names]
    return names


# --- rules across fields --------------------------------------------------------------------------

Finding = tuple  # (loc, message) for an error, (loc, message, "warning") for a warning
PROVIDER = "hashicorp/terraform-provider-azurerm"
POOL_RESOURCE = "internal/services/manageddevopspools/managed_devops_pool_resource.go"


def check_config(config: EnvironmentConfig, doc: YamlDocument) -> list[Problem]:
    return [doc.problem(finding[0], finding[1], *finding[2:]) for finding in _all_rules(config)]


def _all_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    yield from _gallery_rules(config)
    yield from _organization_rules(config)
    yield from _agent_rules(config)
    yield from _standby_rules(config)
    yield from _image_rules(config)
    yield from _storage_rules(config)
    yield from _network_rules(config)
    yield from _security_rules(config)
    yield from _tag_rules(config)
    yield from _misc_rules(config)
    yield from pool_rules(config)
    yield from name_checks(config)
    yield from _unique_name_rules(config)


def _identifier_problem(value: str, max_length: int) -> str | None:
    # azurerm internal/services/compute/validate/compute.go SharedImageIdentifierAttribute(max)
    if not 1 <= len(value) <= max_length:
        return f"{value!r} has {len(value)} characters; allowed: 1 to {max_length}"
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        return f"{value!r} is not valid; allowed: letters, digits, - _ ."
    if value.endswith("."):
        return f"{value!r} ends with a period; allowed: a value that does not"
    return None


def _gallery_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    seen_identifiers: dict[tuple[str, str, str], int] = {}
    folded_identifiers: dict[tuple[str, ...], int] = {}
    for index, image in enumerate(config.gallery.images):
        loc = ("gallery", "images", index)
        # shared_image_resource.go identifier: publisher 128, offer 64, sku 64
        for part, limit in (("publisher", 128), ("offer", 64), ("sku", 64)):
            problem = _identifier_problem(getattr(image.identifier, part), limit)
            if problem:
                yield (*loc, "identifier", part), f"{part} {problem}"
        ident = (image.identifier.publisher, image.identifier.offer, image.identifier.sku)
        folded = tuple(part.casefold() for part in ident)
        # Azure: an image definition's publisher/offer/sku is unique within its gallery
        # (learn.microsoft.com/azure/virtual-machines/shared-image-galleries, "Image definitions")
        if ident in seen_identifiers:
            yield (
                (*loc, "identifier"),
                (
                    f"publisher/offer/sku {'/'.join(ident)} is used by images[{seen_identifiers[ident]}] "
                    "too; each image definition in a gallery needs its own identifier"
                ),
            )
        elif folded in folded_identifiers:  # case-only difference: no source says how Azure compares
            yield (
                (*loc, "identifier"),
                (
                    f"publisher/offer/sku {'/'.join(ident)} differs from images[{folded_identifiers[folded]}] "
                    "only in case; Azure may treat them as the same identifier"
                ),
                WARNING,
            )
        seen_identifiers.setdefault(ident, index)
        folded_identifiers.setdefault(folded, index)
        if image.build is not None:  # mdpool's input format: a definition file beside the config
            path = image.build.definition_path
            if not path.is_file():
                yield (
                    (*loc, "build", "definition"),
                    (f"file {image.build.definition!r} not found (looked in {path}); give a path relative to the config file"),
                )
            elif not (path.name.endswith(".json") or path.name.endswith(".json.j2")):
                yield (*loc, "build", "definition"), "image definition files end in .json or .json.j2"


def _unique_name_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    """Names of sibling resources, compared as Azure compares them: case-insensitively
    (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules: "Resource and
    resource group names are case-insensitive ... Always perform a case-insensitive comparison")."""
    names = config.names
    seen_images: dict[str, int] = {}
    seen_templates: dict[str, int] = {}
    for index, image in enumerate(config.gallery.images):
        loc = ("gallery", "images", index)
        key = image.name.casefold()
        if key in seen_images:
            other = config.gallery.images[seen_images[key]].name
            yield (
                (*loc, "name"),
                (
                    f"image {image.name!r} is defined twice (also images[{seen_images[key]}] as "
                    f"{other!r}); names must be unique, and Azure compares them ignoring case"
                ),
            )
        seen_images.setdefault(key, index)
        template = names.image_template(image.name)
        key = template.casefold()
        if key in seen_templates:
            yield (
                (*loc, "build", "template_name"),
                (
                    f"image template name {template!r} is also used by "
                    f"images[{seen_templates[key]}]; template names must be unique "
                    "(Azure compares them ignoring case)"
                ),
            )
        seen_templates.setdefault(key, index)
    groups = (names.gallery_resource_group, names.pool_resource_group)
    if groups[0] != groups[1] and groups[0].casefold() == groups[1].casefold():
        yield (
            ("resource_groups", "pool"),
            (
                f"{groups[1]!r} and {groups[0]!r} differ only in case: Azure sees "
                "one resource group; write the same spelling in both"
            ),
        )


def _organization_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    pool = config.pool
    total = sum(org.parallelism for org in pool.organizations)
    # managed_devops_pool_resource.go CustomizeDiff: sum of parallelism == maximum_concurrency (Azure DevOps pools only)
    if pool.organizations and total != pool.maximum_concurrency:
        yield (
            ("pool", "organizations"),
            (f"parallelism adds up to {total} but pool.maximum_concurrency is {pool.maximum_concurrency}; they must be equal"),
        )
    seen: set[str] = set()
    for index, org in enumerate(pool.organizations):
        url = org.resolved_url
        # managed_devops_pool_resource.go organization.url: StringMatch `[a-zA-Z0-9]$`
        if not url[-1:].isascii() or not url[-1:].isalnum():
            yield ("pool", "organizations", index, "url"), f"{url!r} must end with a letter or digit (no trailing slash)"
        if url.lower() in seen:  # no source: the service's behaviour with a repeated organization is unknown
            yield ("pool", "organizations", index), f"organization {url} is listed twice", WARNING
        seen.add(url.lower())
        for position, project in enumerate(org.projects):
            # azurerm manageddevopspools/validate/project_name.go ProjectName
            problem = formats.devops_project_problem(project)
            if problem:
                yield ("pool", "organizations", index, "projects", position), problem
    permission = pool.permission
    # managed_devops_pool_resource.go administrator_account: AtLeastOneOf(groups, users)
    if permission.kind == "SpecificAccounts" and not (permission.users or permission.groups):
        yield ("pool", "permission"), "kind SpecificAccounts needs at least one entry in users or groups"
    # managed_devops_pool_resource.go CustomizeDiff: no administrator_account unless SpecificAccounts
    if permission.kind != "SpecificAccounts" and (permission.users or permission.groups):
        yield ("pool", "permission"), "users and groups are only used with kind SpecificAccounts"
    for field in ("users", "groups"):
        for index, entry in enumerate(getattr(permission, field)):
            # managed_devops_pool_resource.go administrator_account.users/groups: validation.IsEmailAddress
            problem = formats.email_problem(entry)
            if problem:
                yield ("pool", "permission", field, index), problem


def _agent_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    agents = config.pool.agents
    if agents.kind == "stateless":
        # managed_devops_pool_resource.go: stateless_agent has no grace period or lifetime to set
        for field in ("grace_period", "maximum_lifetime"):
            if getattr(agents, field) is not None:
                yield ("pool", "agents", field), f"{field} applies to stateful agents only; remove it or use kind stateful"


def _standby_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    standby, limit = config.pool.standby, config.pool.maximum_concurrency
    loc = ("pool", "standby")
    # helpers.go: manual_resource_prediction ConflictsWith automatic_resource_prediction
    if standby.kind == "manual" and standby.manual is None:
        yield loc, "kind manual needs a `manual:` schedule (time_zone and all_week or days)"
    if standby.kind != "manual" and standby.manual is not None:
        yield (*loc, "manual"), f"a manual schedule is only used with kind manual (kind is {standby.kind})"
    if standby.kind != "automatic" and standby.automatic is not None:
        yield (*loc, "automatic"), f"automatic settings are only used with kind automatic (kind is {standby.kind})"
    schedule = standby.manual
    if schedule is None:
        return
    # helpers.go time_zone_name: validate.ResourcePredictionsProfileTimeZone (case-sensitive list)
    if schedule.time_zone not in TIME_ZONES:
        folded = {zone.casefold(): zone for zone in TIME_ZONES}
        close = (
            [folded[schedule.time_zone.casefold()]]
            if schedule.time_zone.casefold() in folded
            else difflib.get_close_matches(schedule.time_zone, sorted(TIME_ZONES), n=1)
        )
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield (
            (*loc, "manual", "time_zone"),
            (
                f"{schedule.time_zone!r} is not a time zone Azure knows; {hint}"
                "allowed: a Windows time zone id such as UTC or W. Europe Standard Time"
            ),
        )
    # helpers.go all_week_schedule ConflictsWith the day schedules, AtLeastOneOf all of them
    if (schedule.all_week is None) == (schedule.days is None):
        yield (*loc, "manual"), "give exactly one of `all_week` (one count, all week) or `days` (times per weekday)"
        return
    if schedule.all_week is not None:
        # helpers.go all_week_schedule IntAtLeast(1); CustomizeDiff: not above maximum_concurrency
        if not 1 <= schedule.all_week <= limit:
            yield (
                (*loc, "manual", "all_week"),
                (
                    f"{schedule.all_week} standby agents is not allowed; "
                    f"allowed: 1 to maximum_concurrency ({limit}); for none, use kind off"
                ),
            )
        return
    # managed_devops_pool_resource.go validateManualAgentCounts: at least one day schedule
    days = schedule.days or {}
    if not any(days.get(day) for day in DAYS):
        yield (*loc, "manual", "days"), 'no day has a time; allowed: at least one day with `"hh:mm:ss": count`'
    for day in DAYS:
        entries = days.get(day, {})
        day_loc = (*loc, "manual", "days", day)
        seen: dict[str, str] = {}
        for time, count in entries.items():
            try:
                canonical = parse_time_of_day(time)  # helpers.go day schedule time: HH:MM:SS, 00:00:00-23:59:59
            except ValueError as error:
                yield (*day_loc, time), str(error)
                continue
            # managed_devops_pool_resource.go validateScheduleAgentCounts: no duplicate time slot
            if canonical in seen:
                yield (*day_loc, time), f"{time!r} is the same time as {seen[canonical]!r}; each time once per day"
            seen[canonical] = time
            # helpers.go count IntAtLeast(0); validateScheduleAgentCounts: not above maximum_concurrency
            if not 0 <= count <= limit:
                yield (*day_loc, time), f"{count} standby agents is not allowed; allowed: 0 to maximum_concurrency ({limit})"


IMAGE_KINDS = "give exactly one of `well_known` (e.g. ubuntu-22.04/latest), `gallery_image` (a gallery image name) or `resource_id` (any image resource id)"
KNOWN_IMAGE_IDS = [
    re.compile(
        r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/images/[^/]+(/versions/[^/]+)?",
        re.IGNORECASE,
    ),
    re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/images/[^/]+", re.IGNORECASE),
    re.compile(
        r"/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/publishers/[^/]+/artifactTypes/vmImage/offers/[^/]+/skus/[^/]+/versions/[^/]+",
        re.IGNORECASE,
    ),
]


def _image_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    gallery_names = [image.name for image in config.gallery.images]
    numeric: list[int] = []
    any_star = False
    aliases: dict[str, int] = {}
    for index, image in enumerate(config.pool.images):
        loc = ("pool", "images", index)
        # managed_devops_pool_resource.go validateVirtualMachineScaleSetFabricImages: one of id / well_known_image_name
        kinds = [kind for kind in (image.well_known, image.gallery_image, image.resource_id) if kind is not None]
        if len(kinds) != 1:
            yield loc, IMAGE_KINDS
        if image.well_known is not None:
            yield from _well_known_rules(loc, image.well_known)
        if image.resource_id is not None:
            yield from _resource_id_rules(loc, image.resource_id)
        if image.gallery_image is not None:
            if image.gallery_image not in gallery_names:
                close = difflib.get_close_matches(image.gallery_image, gallery_names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                known = ", ".join(gallery_names) or "none: gallery.images is empty"
                yield (
                    (*loc, "gallery_image"),
                    f"{image.gallery_image!r} is not an image of this config's gallery; {hint}allowed: {known}",
                )
            # azurerm compute/validate/compute.go SharedImageVersionName: latest or 1.2.3 (1-10 digits each)
            if not re.fullmatch(r"latest|[0-9]{1,10}\.[0-9]{1,10}\.[0-9]{1,10}", image.version):
                yield (
                    (*loc, "version"),
                    f"{image.version!r} is not allowed; allowed: latest or a gallery image version like 1.0.0",
                )
        elif image.version != "latest":
            yield (
                (*loc, "version"),
                "version applies to gallery images; put a well-known image's version after a slash, or the version in resource_id",
            )
        buffer = str(image.buffer)
        # managed_devops_pool_resource.go image.buffer: StringMatch `^(?:\*|[0-9][0-9]?|100)$`
        if buffer == "*":
            any_star = True
        elif re.fullmatch(r"[0-9][0-9]?|100", buffer):
            numeric.append(int(buffer))
        else:
            yield (*loc, "buffer"), f"{image.buffer!r} is not allowed; allowed: * (even share) or a number from 0 to 100"
        for position, alias in enumerate(image.aliases):
            # no source on how Azure treats a repeated alias: a warning
            key = alias.casefold()
            if key in aliases:
                yield (
                    (*loc, "aliases", position),
                    (
                        f"alias {alias!r} is already used by pool.images[{aliases[key]}] "
                        "(compared ignoring case); a pipeline's demand would match either"
                    ),
                    WARNING,
                )
            aliases.setdefault(key, index)
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-images ("The total of all image buffer
    # values must equal 100"); `*` shares what is left evenly (the provider's default buffer)
    total = sum(numeric)
    if numeric and not any_star and total != 100:
        yield ("pool", "images"), f"numeric buffers add up to {total}; they must add up to 100 (or use * for an even share)"
    if any_star and total > 100:
        yield ("pool", "images"), f"numeric buffers add up to {total}; with * images they may add up to 100 at most"


def _well_known_rules(loc: Loc, well_known: str) -> Iterator[Finding]:
    base, _, version = well_known.partition("/")
    # managed_devops_pool_resource.go well_known_image_name: StringIsNotEmpty
    if not well_known:
        yield (*loc, "well_known"), f"must not be empty; allowed: {', '.join(WELL_KNOWN_IMAGES)}"
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-images: windows-2019 retired for new pools
    elif base == "windows-2019":
        yield (
            (*loc, "well_known"),
            "windows-2019 is blocked for new pools since 2025-11-01; allowed: " + ", ".join(WELL_KNOWN_IMAGES),
        )
    elif base not in WELL_KNOWN_IMAGES:  # the docs' list grows: an unknown name is a warning
        close = difflib.get_close_matches(base, WELL_KNOWN_IMAGES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield (
            (*loc, "well_known"),
            (
                f"{base!r} is not a well-known image mdpool knows; {hint}known: "
                f"{', '.join(WELL_KNOWN_IMAGES)} (optionally /latest or /<version>)"
            ),
            WARNING,
        )
    elif version and not re.fullmatch(r"latest|[0-9]+(\.[0-9]+){1,3}", version):
        yield (
            (*loc, "well_known"),
            f"version {version!r} is not one mdpool knows; known: latest or a version like 20250101.1.0",
            WARNING,
        )


def _resource_id_rules(loc: Loc, resource_id: str) -> Iterator[Finding]:
    # managed_devops_pool_resource.go image.id: azure.ValidateResourceID (helpers/azure/resourceid.go ParseAzureResourceID)
    problem = formats.resource_id_problem(resource_id)
    if problem:
        yield (
            (*loc, "resource_id"),
            f"{problem}; allowed: e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<image>",
        )
    elif not any(form.fullmatch(resource_id) for form in KNOWN_IMAGE_IDS):
        yield (
            (*loc, "resource_id"),
            (
                "is not a form of image id mdpool knows (a gallery image or version, a managed image, "
                "or a marketplace image version); Azure may refuse it"
            ),
            WARNING,
        )


def _storage_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    disk = config.pool.data_disk
    if disk is None or disk.drive_letter is None:
        return
    loc = ("pool", "data_disk", "drive_letter")
    letter = disk.drive_letter
    # managed_devops_pool_resource.go storage.drive_letter: StringMatch `^[F-Zf-z]$` (not A, C, D or E; B neither)
    if not re.fullmatch(r"[F-Zf-z]", letter):
        yield loc, f"{letter!r} is not allowed; allowed: one letter from F to Z"
    elif not any(
        image.well_known
        and image.well_known.startswith("windows")
        or (image.gallery_image and _gallery_os(config, image.gallery_image) == "Windows")
        for image in config.pool.images
    ):
        # the provider's complete acceptance test sets drive letter F on Ubuntu images: accepted, so a warning
        yield loc, "a drive letter names the disk on Windows agents; this pool has no Windows image mdpool can see", WARNING


def _gallery_os(config: EnvironmentConfig, name: str) -> str | None:
    return next((image.os_type for image in config.gallery.images if image.name == name), None)


def _network_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    network = config.pool.network
    if network is None:
        return
    needed = config.pool.maximum_concurrency + RESERVED_SUBNET_ADDRESSES
    if network.subnet_id is not None:
        # managed_devops_pool_resource.go subnet_id: commonids.ValidateSubnetID (case-sensitive segments)
        problem = formats.arm_id_problem(network.subnet_id, formats.SUBNET_ID)
        if problem:
            yield ("pool", "network", "subnet_id"), f"not a subnet id: {problem}"
        elif not formats.GUID.fullmatch(network.subnet_id.split("/")[2]):
            yield ("pool", "network", "subnet_id"), "the subscription in this id is not a GUID", WARNING
    new = network.new
    if new is None:
        return
    loc = ("pool", "network", "new")
    try:
        space = ipaddress.ip_network(new.address_space)
    except ValueError:
        yield (*loc, "address_space"), f"{new.address_space!r} is not a network; allowed: CIDR like 10.0.0.0/24"
        return
    try:
        subnet = ipaddress.ip_network(new.subnet_prefix)
    except ValueError:
        yield (*loc, "subnet_prefix"), f"{new.subnet_prefix!r} is not a network; allowed: CIDR like 10.0.0.0/26"
        return
    if subnet.version != space.version or not subnet.subnet_of(space):  # type: ignore[arg-type]
        yield (*loc, "subnet_prefix"), f"{subnet} is not inside address_space {space}"
    # learn.microsoft.com/azure/devops/managed-devops-pools/configure-networking: one address per agent,
    # plus the 5 Azure reserves in every subnet (learn.microsoft.com/azure/virtual-network/virtual-networks-faq)
    if subnet.num_addresses < needed:
        yield (
            (*loc, "subnet_prefix"),
            (
                f"{subnet} has {subnet.num_addresses} addresses; the pool needs "
                f"maximum_concurrency + {RESERVED_SUBNET_ADDRESSES} = {needed}"
            ),
        )


def _security_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    vault = config.pool.key_vault
    if vault is None:
        return
    loc = ("pool", "key_vault")
    for index, certificate in enumerate(vault.certificate_ids):
        # managed_devops_pool_resource.go key_vault_certificate_ids: keyvault.ValidateNestedItemID(Versionless, Secret)
        problem = formats.key_vault_secret_id_problem(certificate)
        if problem:
            yield (*loc, "certificate_ids", index), problem
    # managed_devops_pool_resource.go certificate_store_location: StringIsNotEmpty
    if vault.store_location is not None and not vault.store_location:
        yield (*loc, "store_location"), "must not be empty; leave it out for the default"


def _tag_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    # go-azure-helpers resourcemanager/tags/validate.go Validate: at most 50 tags, key 512 and value 256
    # (Go's len: bytes of UTF-8) ; characters: learn.microsoft.com/azure/azure-resource-manager/management/tag-resources
    tags = config.tags
    if len(tags) > MAX_TAGS:
        yield ("tags",), f"{len(tags)} tags; allowed: at most {MAX_TAGS} per resource"
    for key, value in tags.items():
        if not key:
            yield ("tags", key), "a tag name must not be empty"
        elif len(key.encode("utf-8")) > MAX_TAG_KEY_BYTES:
            yield ("tags", key), f"tag name has {len(key.encode('utf-8'))} bytes; allowed: at most {MAX_TAG_KEY_BYTES} (UTF-8)"
        elif re.search(r"[<>%&\\?/]", key):
            yield ("tags", key), "tag names may not contain any of < > % & \\ ? /"
        if len(value.encode("utf-8")) > MAX_TAG_VALUE_BYTES:
            yield (
                ("tags", key),
                f"tag value has {len(value.encode('utf-8'))} bytes; allowed: at most {MAX_TAG_VALUE_BYTES} (UTF-8)",
            )


def _misc_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    seen_identities: dict[str, int] = {}
    for index, identity in enumerate(config.pool.identity_ids):
        # commonschema.UserAssignedIdentityOptional: commonids.ValidateUserAssignedIdentityID (case-sensitive segments)
        problem = formats.arm_id_problem(identity, formats.USER_ASSIGNED_IDENTITY_ID)
        if problem:
            yield ("pool", "identity_ids", index), f"not a user-assigned identity id: {problem}"
        elif identity.casefold() in seen_identities:  # identity_ids is a TypeSet: a repeat is dropped, not an error
            first = seen_identities[identity.casefold()]
            yield ("pool", "identity_ids", index), f"the same identity as identity_ids[{first}]; it is used once", WARNING
        seen_identities.setdefault(identity.casefold(), index)
    # managed_devops_pool_resource.go sku_name: StringIsNotEmpty (the schema's NonEmpty); the form is a convention
    if not re.fullmatch(r"(Standard|Basic)_[A-Za-z0-9_-]+", config.pool.sku):
        yield ("pool", "sku"), f"{config.pool.sku!r} does not look like a VM size such as Standard_D2ads_v5", WARNING
    local = config.state.local.directory
    # mdpool's own output layout: state must stay inside the project
    if local.startswith("/") or ".." in local.split("/") or re.match(r"[A-Za-z]:", local):
        yield ("state", "local", "directory"), "must be a relative path inside the project (no leading / and no ..)"
    elif config.state.backend == "local" and state_inside_output(local):  # every synth replaces the output folder
        yield (
            ("state", "local", "directory"),
            (
                f"lies inside the synth output folder {DEFAULT_OUT}, which every "
                "synth replaces; allowed: a folder beside it, e.g. state"
            ),
        )
    # managed_devops_pool_resource.go work_folder: StringIsNotEmpty
    if config.pool.work_folder is not None and not config.pool.work_folder:
        yield ("pool", "work_folder"), "must not be empty; leave it out for the default"
    elif config.pool.work_folder is not None and not config.pool.work_folder.strip():
        yield ("pool", "work_folder"), "is only blanks; leave it out for the default", WARNING
