"""The content hash: every input that decides the image changes it; nothing else does.

The hash decides whether `mdpool images build` skips an image, so an input it misses means a
changed definition is never built (the old version counts as up to date), and a run detail it
includes means needless hour-long rebuilds. One test per input, each changing only that input.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from mdpool.imagebuild.definition import parse_definition
from mdpool.imagebuild.template import (
    PlatformSource,
    TemplateSettings,
    content_hash,
    hash_inputs,
    image_template,
    template_content_hash,
)
from tests.imagebuild.conftest import IDENTITY, gallery_image_id
from tests.imagebuild.test_definition import SHA

SOURCE = PlatformSource("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "latest")
SETTINGS = TemplateSettings(
    image_name="img", location="westeurope", identity_id=IDENTITY, gallery_image_id=gallery_image_id("img"), source=SOURCE
)

LINUX = {
    "DiskSizeGiB": 128,
    "TargetRegion": [
        {"Name": "westeurope", "ReplicaCount": 1, "StorageAccountType": "Standard_LRS"},
        {"Name": "northeurope", "ReplicaCount": 2, "StorageAccountType": "Standard_ZRS"},
    ],
    "Customizers": [
        {"ShellCustomizer": True, "Name": "Inline", "Inline": ["echo one", "echo two"]},
        {"ShellCustomizer": True, "Name": "Script", "ScriptUri": "https://example.org/s.sh", "Sha256Checksum": SHA},
        {
            "FileCustomizer": True,
            "Name": "File",
            "SourceUri": "https://example.org/f",
            "Destination": "/tmp/f",
            "Sha256Checksum": SHA,
        },
    ],
    "Validators": [{"ShellValidator": True, "Name": "Check", "Inline": ["test -f /tmp/f"]}],
    "ValidateContinueDistributeOnFailure": False,
    "ValidateSourceValidationOnly": False,
    "ErrorHandlingOnCustomizerError": "cleanup",
    "ErrorHandlingOnValidationError": "cleanup",
}

WINDOWS = {
    "TargetRegion": [{"Name": "westeurope"}],
    "Customizers": [
        {
            "PowerShellCustomizer": True,
            "Name": "Ps",
            "Inline": ["Write-Host 1"],
            "RunElevated": True,
            "RunAsSystem": True,
            "ValidExitCode": [0, 3010],
        },
        {
            "RestartCustomizer": True,
            "Name": "Restart",
            "RestartCommand": "shutdown /r /f /t 0",
            "RestartCheckCommand": "echo ok",
            "RestartTimeout": "10m",
        },
        {
            "WindowsUpdateCustomizer": True,
            "Name": "Updates",
            "SearchCriterion": "IsInstalled=0",
            "Filter": ["include:$true"],
            "UpdateLimit": 20,
        },
        {"PowerShellCustomizer": True, "Name": "Plain", "ScriptUri": "https://example.org/p.ps1", "RunElevated": False},
    ],
}


def digest(doc: dict, os_type: str, source: PlatformSource = SOURCE, architecture: str = "x64") -> str:
    return content_hash(parse_definition(json.dumps(doc), label="d.json", os_type=os_type), source, architecture)


def changed(doc: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


LINUX_INPUTS = [
    (("DiskSizeGiB",), 256),
    (("TargetRegion", 0, "Name"), "swedencentral"),
    (("TargetRegion", 1, "ReplicaCount"), 3),
    (("TargetRegion", 0, "StorageAccountType"), "Premium_LRS"),
    (("TargetRegion",), LINUX["TargetRegion"][:1]),  # a region fewer
    (("TargetRegion",), list(reversed(LINUX["TargetRegion"]))),  # the first region is the primary one
    (("Customizers", 0, "Inline"), ["echo one", "echo 2"]),
    (("Customizers", 0, "Name"), "Renamed"),  # names show in logs and lint findings of the image's build
    (("Customizers",), list(reversed(LINUX["Customizers"]))),  # order of steps
    (("Customizers", 1, "ScriptUri"), "https://example.org/other.sh"),
    (("Customizers", 1, "Sha256Checksum"), "b" * 64),
    (("Customizers", 2, "SourceUri"), "https://example.org/g"),
    (("Customizers", 2, "Destination"), "/tmp/g"),
    (("Validators", 0, "Inline"), ["test -f /tmp/g"]),
    (("ValidateContinueDistributeOnFailure",), True),
    (("ValidateSourceValidationOnly",), True),
    (("ErrorHandlingOnCustomizerError",), "abort"),
    (("ErrorHandlingOnValidationError",), "abort"),
]

WINDOWS_INPUTS = [
    (("Customizers", 3, "RunElevated"), True),
    (("Customizers", 3, "ScriptUri"), "https://example.org/q.ps1"),
    (("Customizers", 0, "RunAsSystem"), False),
    (("Customizers", 0, "ValidExitCode"), [0]),
    (("Customizers", 1, "RestartCommand"), "shutdown /r /t 5"),
    (("Customizers", 1, "RestartCheckCommand"), "echo other"),
    (("Customizers", 1, "RestartTimeout"), "15m"),
    (("Customizers", 2, "SearchCriterion"), "IsInstalled=1"),
    (("Customizers", 2, "Filter"), ["exclude:$true"]),
    (("Customizers", 2, "UpdateLimit"), 40),
]


@pytest.mark.parametrize("path, value", LINUX_INPUTS, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None)
def test_every_linux_definition_input_changes_the_hash(path, value):
    assert digest(changed(LINUX, path, value), "Linux") != digest(LINUX, "Linux")


@pytest.mark.parametrize("path, value", WINDOWS_INPUTS, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None)
def test_every_windows_definition_input_changes_the_hash(path, value):
    assert digest(changed(WINDOWS, path, value), "Windows") != digest(WINDOWS, "Windows")


@pytest.mark.parametrize("field", ["publisher", "offer", "sku", "version"])
def test_every_part_of_the_source_image_changes_the_hash(field):
    other = dataclasses.replace(SOURCE, **{field: "1.2.3" if field == "version" else "other"})
    assert digest(LINUX, "Linux", source=other) != digest(LINUX, "Linux")


def test_the_architecture_changes_the_hash_through_boot_optimization():
    assert digest(LINUX, "Linux", architecture="Arm64") != digest(LINUX, "Linux")
    assert hash_inputs(parse_definition(json.dumps(LINUX), label="d"), SOURCE, "Arm64")["optimize"] is None


def test_setting_a_value_to_azures_default_is_still_a_change():
    # ReplicaCount 1 is Azure's default, but mdpool hashes what the file says: writing it is a change.
    without = changed(LINUX, ("TargetRegion", 0), {"Name": "westeurope", "StorageAccountType": "Standard_LRS"})
    assert digest(without, "Linux") != digest(LINUX, "Linux")


@pytest.mark.parametrize(
    "field, value",
    [
        ("vm_size", "Standard_D16s_v5"),
        ("timeout_minutes", 240),
        ("tags", {"team": "x"}),
        ("location", "northeurope"),
        ("image_name", "renamed"),
        ("identity_id", IDENTITY + "2"),
    ],
)
def test_run_details_do_not_change_the_hash(field, value):
    definition = parse_definition(json.dumps(LINUX), label="d.json", os_type="Linux")
    base = image_template(definition, SETTINGS, run_output="aib-1")
    other = image_template(definition, dataclasses.replace(SETTINGS, **{field: value}), run_output="aib-2")
    assert template_content_hash(base) == template_content_hash(other) == content_hash(definition, SOURCE)


def test_the_hash_inputs_are_what_the_template_builds_from():
    """Every image-deciding part of the template body appears, unchanged, among the hash's inputs."""
    definition = parse_definition(json.dumps(LINUX), label="d.json", os_type="Linux")
    properties = image_template(definition, SETTINGS, run_output="aib-1")["properties"]
    inputs = hash_inputs(definition, SOURCE)
    for key in ("source", "customize", "validate", "errorHandling", "optimize"):
        assert inputs[key] == properties[key], key
    assert inputs["osDiskSizeGB"] == properties["vmProfile"]["osDiskSizeGB"]
    assert inputs["targetRegions"] == properties["distribute"][0]["targetRegions"]


def test_validation_options_without_validators_reach_the_template_and_the_hash():
    doc = {"TargetRegion": [{"Name": "westeurope"}], "ValidateContinueDistributeOnFailure": True}
    definition = parse_definition(json.dumps(doc), label="d.json", os_type="Linux")
    assert image_template(definition, SETTINGS, run_output="aib-1")["properties"]["validate"] == {
        "continueDistributeOnFailure": True
    }
    assert digest(doc, "Linux") != digest({"TargetRegion": [{"Name": "westeurope"}]}, "Linux")
