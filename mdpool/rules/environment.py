"""Rules for environment-wide settings: tags, where Terraform state lives, and what any text may hold."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from mdpool.config import EnvironmentConfig
from mdpool.output_folder import DEFAULT_OUT, state_inside_output
from mdpool.rules.findings import WARNING, Finding
from mdpool.validate.regions import REGION_NAMES, closest_region

MAX_TAGS, MAX_TAG_KEY_BYTES, MAX_TAG_VALUE_BYTES = 50, 512, 256


def environment_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    yield from location_rules(config.location)
    yield from tag_rules(config)
    yield from state_rules(config)
    yield from text_rules(config)


def location_rules(location: str) -> Iterator[Finding]:
    """The provider checks a location against the cloud's own list at plan time (go-azure-helpers
    resourcemanager/location EnhancedValidate); mdpool's copy of that list (mdpool.validate.regions) is a
    snapshot of the public cloud, so a name missing from it is a warning, with the closest known name."""
    if location in REGION_NAMES:
        return
    close = closest_region(location)
    hint = f"did you mean {close!r}? " if close else ""
    yield (
        ("location",),
        (
            f"{location!r} is not an Azure region mdpool knows; {hint}Azure refuses an unknown region at plan "
            "time (a region newer than mdpool's list, or of a sovereign cloud, is fine): `az account "
            "list-locations --query [].name` lists yours"
        ),
        WARNING,
    )


def tag_rules(config: EnvironmentConfig) -> Iterator[Finding]:
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


# cdktn lib/tokens/private/encoding.js (BEGIN_STRING/LIST/MAP_TOKEN_MARKER): how cdktn marks its own references in
# a string; in a config value it would become a reference (or stop the synth), before any escape can help
TOKEN_MARKERS = ("${TfToken[", "#{TfToken[", "&{TfToken[")


def _texts(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(where the file wrote it, text) for every string in `value`: settings, list items, mapping keys and values."""
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from _texts(getattr(value, name), (*path, field.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _texts(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _texts(item, (*path, index))
    elif isinstance(value, str):
        yield path, value


def text_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    for where, text in _texts(config, ()):
        if any(marker in text for marker in TOKEN_MARKERS):
            yield (
                where,
                "holds `{TfToken[`, how cdktn (which writes the Terraform JSON) marks a reference; allowed: any other text",
            )


def state_rules(config: EnvironmentConfig) -> Iterator[Finding]:
    # Terraform reads a backend block's settings literally, the pool stack's terraform_remote_state (the same
    # settings) as a template (developer.hashicorp.com/terraform/language/syntax/json): no escape fits both
    for where, text in _texts(config.state, ("state",)):
        if "${" in text or "%{" in text:
            yield (
                where,
                "holds `${` or `%{`, which the backend block reads literally and the pool stack's "
                "terraform_remote_state as a template; allowed: a value without them",
            )
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
