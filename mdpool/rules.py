"""Turn schema errors into one-line problems, and check the rules Azure enforces across fields.

The schema (`mdpool.config`) catches wrong types, unknown keys and out-of-range values. The rules
here need the whole, typed configuration: buffers that add up, schedules within the pool's size,
parallelism matching concurrency, images that exist in this config's gallery, names Azure accepts.
Each rule names its source in azure-facts.md (provider validation or service documentation).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from typing import Any, Iterator, Mapping

from pydantic import BaseModel, ValidationError

from mdpool.config import DAYS, EnvironmentConfig
from mdpool.naming import name_checks
from mdpool.problems import Problem
from mdpool.timespan import parse_time_of_day
from mdpool.yamlsource import Loc, YamlDocument

WELL_KNOWN_IMAGES = ("ubuntu-22.04", "ubuntu-24.04", "windows-2022", "windows-2025")
RESERVED_SUBNET_ADDRESSES = 5
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
SUBNET_ID = re.compile(
    rf"^/subscriptions/{GUID}/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
    re.IGNORECASE,
)
IDENTITY_ID = re.compile(
    rf"^/subscriptions/{GUID}/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+$",
    re.IGNORECASE,
)

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
    models = [c for c in (parent if isinstance(parent, list) else [parent])
              if isinstance(c, type) and issubclass(c, BaseModel)]
    names: list[str] = []
    for model in models:
        names += [name for name in model.model_fields if name not in names]
    return names


# --- rules across fields --------------------------------------------------------------------------


def check_config(config: EnvironmentConfig, doc: YamlDocument) -> list[Problem]:
    return [doc.problem(loc, message) for loc, message in _all_rules(config)]


def _all_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    yield from _gallery_rules(config)
    yield from _organization_rules(config)
    yield from _agent_rules(config)
    yield from _standby_rules(config)
    yield from _image_rules(config)
    yield from _storage_rules(config)
    yield from _network_rules(config)
    yield from _misc_rules(config)
    yield from name_checks(config)


def _gallery_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    seen_names: dict[str, int] = {}
    seen_identifiers: dict[tuple[str, str, str], int] = {}
    for index, image in enumerate(config.gallery.images):
        loc = ("gallery", "images", index)
        if image.name in seen_names:
            yield (*loc, "name"), f"image {image.name!r} is defined twice (also images[{seen_names[image.name]}]); names must be unique"
        seen_names.setdefault(image.name, index)
        ident = (image.identifier.publisher, image.identifier.offer, image.identifier.sku)
        if ident in seen_identifiers:
            yield (*loc, "identifier"), (f"publisher/offer/sku {'/'.join(ident)} is used by images[{seen_identifiers[ident]}] "
                                         "too; each image definition in a gallery needs its own identifier")
        seen_identifiers.setdefault(ident, index)
        if image.build is not None:
            path = image.build.definition_path
            if not path.is_file():
                yield (*loc, "build", "definition"), (f"file {image.build.definition!r} not found (looked in {path}); "
                                                      "give a path relative to the config file")
            elif not (path.name.endswith(".json") or path.name.endswith(".json.j2")):
                yield (*loc, "build", "definition"), "image definition files end in .json or .json.j2"


def _organization_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    pool = config.pool
    total = sum(org.parallelism for org in pool.organizations)
    if total != pool.maximum_concurrency:
        yield ("pool", "organizations"), (f"parallelism adds up to {total} but pool.maximum_concurrency is "
                                          f"{pool.maximum_concurrency}; they must be equal")
    seen: set[str] = set()
    for index, org in enumerate(pool.organizations):
        url = org.resolved_url
        if not url[-1].isalnum():
            yield ("pool", "organizations", index, "url"), f"{url!r} must end with a letter or digit (no trailing slash)"
        if url.lower() in seen:
            yield ("pool", "organizations", index), f"organization {url} is listed twice"
        seen.add(url.lower())
    permission = pool.permission
    if permission.kind == "SpecificAccounts" and not (permission.users or permission.groups):
        yield ("pool", "permission"), "kind SpecificAccounts needs at least one entry in users or groups"
    if permission.kind != "SpecificAccounts" and (permission.users or permission.groups):
        yield ("pool", "permission"), "users and groups are only used with kind SpecificAccounts"


def _agent_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    agents = config.pool.agents
    if agents.kind == "stateless":
        for field in ("grace_period", "maximum_lifetime"):
            if getattr(agents, field) is not None:
                yield ("pool", "agents", field), f"{field} applies to stateful agents only; remove it or use kind stateful"


def _standby_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    standby, limit = config.pool.standby, config.pool.maximum_concurrency
    loc = ("pool", "standby")
    if standby.kind == "manual" and standby.manual is None:
        yield loc, "kind manual needs a `manual:` schedule (time_zone and all_week or days)"
    if standby.kind != "manual" and standby.manual is not None:
        yield (*loc, "manual"), f"a manual schedule is only used with kind manual (kind is {standby.kind})"
    if standby.kind != "automatic" and standby.automatic is not None:
        yield (*loc, "automatic"), f"automatic settings are only used with kind automatic (kind is {standby.kind})"
    schedule = standby.manual
    if schedule is None:
        return
    if (schedule.all_week is None) == (schedule.days is None):
        yield (*loc, "manual"), "give exactly one of `all_week` (one count, all week) or `days` (times per weekday)"
        return
    if schedule.all_week is not None:
        if not 0 <= schedule.all_week <= limit:
            yield (*loc, "manual", "all_week"), (f"{schedule.all_week} standby agents is not allowed; "
                                                 f"allowed: 0 to maximum_concurrency ({limit})")
        return
    for day in DAYS:
        entries = (schedule.days or {}).get(day, {})
        day_loc = (*loc, "manual", "days", day)
        seen: dict[str, str] = {}
        for time, count in entries.items():
            try:
                canonical = parse_time_of_day(time)
            except ValueError as error:
                yield (*day_loc, time), str(error)
                continue
            if canonical in seen:
                yield (*day_loc, time), f"{time!r} is the same time as {seen[canonical]!r}; each time once per day"
            seen[canonical] = time
            if not 0 <= count <= limit:
                yield (*day_loc, time), f"{count} standby agents is not allowed; allowed: 0 to maximum_concurrency ({limit})"


def _image_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    gallery_names = [image.name for image in config.gallery.images]
    numeric: list[int] = []
    any_star = False
    aliases: dict[str, int] = {}
    for index, image in enumerate(config.pool.images):
        loc = ("pool", "images", index)
        if (image.well_known is None) == (image.gallery_image is None):
            yield loc, "give exactly one of `well_known` (e.g. ubuntu-22.04/latest) or `gallery_image` (a gallery image name)"
        if image.well_known is not None:
            base, _, version = image.well_known.partition("/")
            if base == "windows-2019":
                yield (*loc, "well_known"), "windows-2019 is blocked for new pools since 2025-11-01; allowed: " + ", ".join(WELL_KNOWN_IMAGES)
            elif base not in WELL_KNOWN_IMAGES:
                close = difflib.get_close_matches(base, WELL_KNOWN_IMAGES, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                yield (*loc, "well_known"), f"{base!r} is not a well-known image; {hint}allowed: {', '.join(WELL_KNOWN_IMAGES)} (optionally /latest or /<version>)"
            elif version and not re.fullmatch(r"latest|\d+(\.\d+){1,3}", version):
                yield (*loc, "well_known"), f"version {version!r} is not allowed; allowed: latest or a version like 20250101.1.0"
        if image.gallery_image is not None:
            if image.gallery_image not in gallery_names:
                close = difflib.get_close_matches(image.gallery_image, gallery_names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                known = ", ".join(gallery_names) or "none: gallery.images is empty"
                yield (*loc, "gallery_image"), f"{image.gallery_image!r} is not an image of this config's gallery; {hint}allowed: {known}"
            if not re.fullmatch(r"latest|\d+\.\d+\.\d+", image.version):
                yield (*loc, "version"), f"{image.version!r} is not allowed; allowed: latest or a gallery image version like 1.0.0"
        elif image.version != "latest":
            yield (*loc, "version"), "version applies to gallery images; put a well-known image's version after a slash"
        buffer = str(image.buffer)
        if buffer == "*":
            any_star = True
        elif re.fullmatch(r"\d{1,3}", buffer) and int(buffer) <= 100:
            numeric.append(int(buffer))
        else:
            yield (*loc, "buffer"), f"{image.buffer!r} is not allowed; allowed: * (even share) or a number from 0 to 100"
        for alias in image.aliases:
            if alias in aliases:
                yield (*loc, "aliases"), f"alias {alias!r} is already used by pool.images[{aliases[alias]}]; aliases must be unique"
            aliases.setdefault(alias, index)
    total = sum(numeric)
    if numeric and not any_star and total != 100:
        yield ("pool", "images"), f"numeric buffers add up to {total}; they must add up to 100 (or use * for an even share)"
    if any_star and total > 100:
        yield ("pool", "images"), f"numeric buffers add up to {total}; with * images they may add up to 100 at most"


def _storage_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    disk = config.pool.data_disk
    if disk and disk.drive_letter is not None:
        letter = disk.drive_letter
        if not re.fullmatch(r"[A-Za-z]", letter):
            yield ("pool", "data_disk", "drive_letter"), f"{letter!r} is not a drive letter; allowed: one letter, not A, C, D or E"
        elif letter.upper() in "ACDE":
            yield ("pool", "data_disk", "drive_letter"), f"{letter!r} is reserved; allowed: any letter but A, C, D and E"
    if disk and disk.drive_letter and not any(
        image.well_known and image.well_known.startswith("windows") or
        (image.gallery_image and _gallery_os(config, image.gallery_image) == "Windows")
        for image in config.pool.images
    ):
        yield ("pool", "data_disk", "drive_letter"), "a drive letter applies to Windows images only; this pool has none"


def _gallery_os(config: EnvironmentConfig, name: str) -> str | None:
    return next((image.os_type for image in config.gallery.images if image.name == name), None)


def _network_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    network = config.pool.network
    if network is None:
        return
    needed = config.pool.maximum_concurrency + RESERVED_SUBNET_ADDRESSES
    if network.subnet_id is not None and not SUBNET_ID.match(network.subnet_id):
        yield ("pool", "network", "subnet_id"), ("not a subnet id; allowed: /subscriptions/<guid>/resourceGroups/<rg>/"
                                                 "providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")
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
    if not subnet.subnet_of(space):  # type: ignore[arg-type]
        yield (*loc, "subnet_prefix"), f"{subnet} is not inside address_space {space}"
    if subnet.num_addresses < needed:
        yield (*loc, "subnet_prefix"), (f"{subnet} has {subnet.num_addresses} addresses; the pool needs "
                                        f"maximum_concurrency + {RESERVED_SUBNET_ADDRESSES} = {needed}")


def _misc_rules(config: EnvironmentConfig) -> Iterator[tuple[Loc, str]]:
    for index, identity in enumerate(config.pool.identity_ids):
        if not IDENTITY_ID.match(identity):
            yield ("pool", "identity_ids", index), ("not a user-assigned identity id; allowed: /subscriptions/<guid>/"
                                                    "resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>")
    if not re.fullmatch(r"Standard_[A-Za-z0-9_]+", config.pool.sku):
        yield ("pool", "sku"), f"{config.pool.sku!r} is not a VM size; allowed: an Azure VM size like Standard_D2ads_v5"
    for key, value in config.tags.items():
        if len(key) > 512 or re.search(r"[<>%&\\?/]", key):
            yield ("tags", key), "tag names have at most 512 characters and none of < > % & \\ ? /"
        if len(value) > 256:
            yield ("tags", key), "tag values have at most 256 characters"
    local = config.state.local.directory
    if local.startswith("/") or ".." in local.split("/") or re.match(r"^[A-Za-z]:", local):
        yield ("state", "local", "directory"), "must be a relative path inside the project (no leading / and no ..)"
    if config.pool.work_folder is not None and not config.pool.work_folder.strip():
        yield ("pool", "work_folder"), "must not be empty; leave it out for the default"
