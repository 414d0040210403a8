"""Every template mdpool renders is what the Image Builder REST spec (2025-10-01) accepts.

The spec is Microsoft's own description of the request body (tests/data/azure-image-builder/,
a copy of Azure/azure-rest-api-specs' imagebuilder.json with its MIT licence), read through
tests/support/swagger_schema.py: types, int32 ranges, enums, required and read-only properties,
discriminated kinds and no unknown properties. The values at the edges of mdpool's own limits come
from the spec (or the Microsoft page named in mdpool.imagebuild.definition), never from the code.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from mdpool.loader import load_config
from mdpool.imagebuild import image_specs, load_definition
from mdpool.imagebuild.definition import CUSTOMIZER_KINDS, VALIDATOR_KINDS, parse_definition
from mdpool.imagebuild.template import PlatformSource, TemplateSettings, image_template
from mdpool.problems import InputError
from tests.imagebuild.conftest import IDENTITY, REPO, gallery_image_id
from tests.support.swagger_schema import RequestValidator

SPEC = Path(__file__).resolve().parents[1] / "data" / "azure-image-builder" / "imagebuilder-2025-10-01.json"
INT32_MAX = 2**31 - 1
SHA = "ade4c5214c3c675e92c66e2d067a870c5b81b9844b3de3cc72c49ff36425fc93"


@pytest.fixture(scope="module")
def spec() -> RequestValidator:
    return RequestValidator(SPEC)


def settings(os_type: str = "Linux", architecture: str = "x64", **changes) -> TemplateSettings:
    source = (
        PlatformSource("Canonical", "ubuntu-24_04-lts", "server-arm64" if architecture == "Arm64" else "server")
        if os_type == "Linux"
        else PlatformSource("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2")
    )
    vm_size = "Standard_D4ps_v5" if architecture == "Arm64" else "Standard_D4s_v3"
    base = TemplateSettings(
        image_name="img",
        location="westeurope",
        identity_id=IDENTITY,
        gallery_image_id=gallery_image_id("img"),
        source=source,
        vm_size=vm_size,
        tags={"env": "test"},
        architecture=architecture,
    )
    return dataclasses.replace(base, **changes)


def render(doc: dict, os_type: str, architecture: str = "x64", **changes) -> dict:
    definition = parse_definition(json.dumps(doc), label="d.json", os_type=os_type)
    return image_template(definition, settings(os_type, architecture, **changes), run_output="aib-20251128120000")


# Every parameter of every customizer and validator kind, per OS.
LINUX_EVERY_KIND = {
    "DiskSizeGiB": 64,
    "TargetRegion": [
        {"Name": "westeurope", "ReplicaCount": 2, "StorageAccountType": "Standard_ZRS"},
        {"Name": "northeurope", "ReplicaCount": "1", "StorageAccountType": "Premium_LRS"},
    ],
    "Customizers": [
        {"ShellCustomizer": True, "Name": "Inline", "Inline": ["echo hi"]},
        {"ShellCustomizer": True, "Name": "Script", "ScriptUri": "https://example.org/s.sh", "Sha256Checksum": SHA},
        {
            "FileCustomizer": True,
            "Name": "File",
            "SourceUri": "https://example.org/f",
            "Destination": "/tmp/f",
            "Sha256Checksum": SHA,
        },
    ],
    "Validators": [
        {"ShellValidator": True, "Name": "Inline", "Inline": ["test -f /tmp/f"]},
        {"ShellValidator": True, "Name": "Script", "ScriptUri": "https://example.org/v.sh", "Sha256Checksum": SHA},
        {
            "FileValidator": True,
            "Name": "File",
            "SourceUri": "https://example.org/g",
            "Destination": "/tmp/g",
            "Sha256Checksum": SHA,
        },
    ],
    "ValidateContinueDistributeOnFailure": True,
    "ValidateSourceValidationOnly": False,
    "ErrorHandlingOnCustomizerError": "abort",
    "ErrorHandlingOnValidationError": "cleanup",
}

WINDOWS_EVERY_KIND = {
    "DiskSizeGiB": 0,
    "TargetRegion": [{"Name": "westeurope"}],
    "Customizers": [
        {
            "PowerShellCustomizer": True,
            "Name": "Inline",
            "Inline": ["Write-Host hi"],
            "RunElevated": True,
            "RunAsSystem": True,
            "ValidExitCode": [0, 3010],
        },
        {
            "PowerShellCustomizer": True,
            "Name": "Script",
            "ScriptUri": "https://example.org/s.ps1",
            "Sha256Checksum": SHA,
            "RunElevated": False,
            "ValidExitCode": 0,
        },
        {"FileCustomizer": True, "Name": "File", "SourceUri": "https://example.org/f", "Destination": "C:\\temp\\f"},
        {
            "RestartCustomizer": True,
            "Name": "Restart",
            "RestartCommand": "shutdown /r /f /t 0",
            "RestartCheckCommand": "echo restarted",
            "RestartTimeout": "10m",
        },
        {"RestartCustomizer": True},
        {
            "WindowsUpdateCustomizer": True,
            "Name": "Updates",
            "SearchCriterion": "IsInstalled=0",
            "Filter": ["exclude:$_.Title -like '*Preview*'", "include:$true"],
            "UpdateLimit": 20,
        },
        {"WindowsUpdateCustomizer": True},
    ],
    "Validators": [
        {
            "PowerShellValidator": True,
            "Name": "Inline",
            "Inline": ["Test-Path C:\\temp\\f"],
            "RunElevated": True,
            "RunAsSystem": True,
            "ValidExitCode": [0],
        },
        {"PowerShellValidator": True, "Name": "Script", "ScriptUri": "https://example.org/v.ps1"},
        {"FileValidator": True, "Name": "File", "SourceUri": "https://example.org/g", "Destination": "C:/temp/g"},
    ],
    "ValidateSourceValidationOnly": True,
    "ErrorHandlingOnValidationError": "abort",
}


# --- the validator itself catches what the spec forbids -------------------------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda b: b.pop("location"), "(body): 'location' is a required property"),
        (lambda b: b.pop("identity"), "(body): 'identity' is a required property"),
        (lambda b: b["properties"].pop("distribute"), "properties: 'distribute' is a required property"),
        (lambda b: b["properties"]["customize"][0].update(inlnie=["x"]), "'inlnie' was unexpected"),
        (lambda b: b["properties"]["customize"][0].update(Inline=["x"]), "'Inline' was unexpected"),  # case matters
        (lambda b: b["properties"]["customize"][0].update(type="Bash"), "customize.0.type: 'Bash' is not one of"),
        (lambda b: b["properties"]["customize"][0].update(restartTimeout="5m"), "'restartTimeout' was unexpected"),
        (lambda b: b["properties"]["customize"][0].pop("type"), "customize.0: 'type' is a required property"),
        (lambda b: b["properties"].update(provisioningState="Succeeded"), "properties.provisioningState: is read-only"),
        (lambda b: b["properties"]["source"].update(exactVersion="1.0"), "properties.source.exactVersion: is read-only"),
        (lambda b: b["properties"].update(buildTimeoutInMinutes=961), "961 is greater than the maximum of 960"),
        (lambda b: b["properties"]["vmProfile"].update(osDiskSizeGB=2**31), "greater than the maximum of 2147483647"),
        (lambda b: b["properties"]["vmProfile"].update(osDiskSizeGB=-1), "-1 is less than the minimum of 0"),
        (lambda b: b["properties"]["distribute"][0]["targetRegions"][0].update(replicaCount=0), "0 is less than the minimum"),
        (
            lambda b: b["properties"]["distribute"][0]["targetRegions"][0].update(storageAccountType="Premium_ZRS"),
            "'Premium_ZRS' is not one of",
        ),
        (lambda b: b["properties"]["distribute"][0].update(runOutputName="aib 1"), "does not match"),
        (lambda b: b["properties"]["optimize"]["vmBoot"].update(state="On"), "'On' is not one of"),
        (
            lambda b: b["properties"].update(validate={"inVMValidations": [{"type": "WindowsRestart"}]}),
            "inVMValidations.0.type: 'WindowsRestart' is not one of ['File', 'PowerShell', 'Shell']",
        ),
        (lambda b: b["identity"]["userAssignedIdentities"][IDENTITY].update(principalId="x"), "principalId: is read-only"),
        (lambda b: b["properties"]["distribute"][0]["artifactTags"].update(n=1), "1 is not of type 'string'"),
    ],
)
def test_the_spec_check_refuses_what_the_spec_forbids(spec, mutate, expected):
    body = render(
        {"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"ShellCustomizer": True, "Name": "a", "Inline": ["x"]}]},
        "Linux",
    )
    assert spec.errors(body, "ImageTemplate") == []
    mutate(body)
    errors = spec.errors(body, "ImageTemplate")
    assert any(expected in error for error in errors), errors


# --- what mdpool renders ---------------------------------------------------------------------------


def test_mdpool_knows_every_customizer_and_validator_kind_of_the_spec(spec):
    assert {kind.ARM_TYPE for kind in CUSTOMIZER_KINDS} == set(spec.kinds("ImageTemplateCustomizer"))
    assert {kind.ARM_TYPE for kind in VALIDATOR_KINDS} == set(spec.kinds("ImageTemplateInVMValidator"))


def test_the_shipped_images_render_templates_the_spec_accepts(spec):
    cfg = load_config(REPO / "config" / "example.yaml")
    specs = image_specs(cfg)
    assert [s.name for s in specs] == ["ubuntu-22.04", "ubuntu-24.04"]
    for image in specs:
        body = image_template(load_definition(image), image.settings, run_output="aib-20251128120000")
        assert spec.errors(body, "ImageTemplate") == [], image.name


@pytest.mark.parametrize("os_type, doc", [("Linux", LINUX_EVERY_KIND), ("Windows", WINDOWS_EVERY_KIND)])
@pytest.mark.parametrize("architecture", ["x64", "Arm64"])
def test_every_customizer_and_validator_kind_renders_as_the_spec_wants(spec, os_type, doc, architecture):
    body = render(doc, os_type, architecture)
    assert spec.errors(body, "ImageTemplate") == []
    kinds = {step["type"] for step in body["properties"]["customize"]}
    validators = {step["type"] for step in body["properties"]["validate"]["inVMValidations"]}
    if os_type == "Linux":
        assert kinds == {"Shell", "File"} and validators == {"Shell", "File"}
    else:
        assert kinds == {"PowerShell", "File", "WindowsRestart", "WindowsUpdate"}
        assert validators == {"PowerShell", "File"}
    assert ("optimize" in body["properties"]) == (architecture == "x64")


@pytest.mark.parametrize(
    "doc",
    [
        {"TargetRegion": [{"Name": "westeurope"}]},  # no customizers at all
        {"TargetRegion": [{"Name": "westeurope"}], "Customizers": []},
        {
            "TargetRegion": [{"Name": "westeurope"}],
            "Customizers": [  # a name twice, as Microsoft's Windows example
                {"ShellCustomizer": True, "Name": "same", "Inline": ["a"]},
                {"ShellCustomizer": True, "Name": "same", "Inline": ["b"]},
            ],
        },
        {"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"ShellCustomizer": True, "Inline": []}]},
        {"TargetRegion": [{"Name": "westeurope"}], "ValidateSourceValidationOnly": False},  # validate without validators
    ],
)
def test_what_the_spec_allows_mdpool_allows_too(spec, doc):
    assert spec.errors(render(doc, "Linux"), "ImageTemplate") == []


@pytest.mark.parametrize("timeout", [6, 960])
def test_the_build_timeout_limits_of_the_config_fit_the_spec(spec, timeout):
    body = render({"TargetRegion": [{"Name": "westeurope"}]}, "Linux", timeout_minutes=timeout)
    assert spec.errors(body, "ImageTemplate") == []


# --- numbers at and beyond the limits -------------------------------------------------------------

WINDOWS_STEP = {"PowerShellCustomizer": True, "Name": "p", "Inline": ["x"]}
UPDATE_STEP = {"WindowsUpdateCustomizer": True, "Name": "u"}


def windows(**top) -> dict:
    return {"TargetRegion": [{"Name": "westeurope"}], "Customizers": [WINDOWS_STEP], **top}


def with_step(step: dict) -> dict:
    return windows(Customizers=[step])


# (definition, where the number lands in the template); the limits: spec int32 and minimums,
# 4095 GiB (managed-disks-overview.md), 100 replicas (azure-compute-gallery.md).
AT_THE_LIMIT = [
    windows(DiskSizeGiB=0),
    windows(DiskSizeGiB=4095),
    windows(TargetRegion=[{"Name": "westeurope", "ReplicaCount": 1}]),
    windows(TargetRegion=[{"Name": "westeurope", "ReplicaCount": 100}]),
    with_step({**UPDATE_STEP, "UpdateLimit": 0}),
    with_step({**UPDATE_STEP, "UpdateLimit": INT32_MAX}),
    with_step({**WINDOWS_STEP, "ValidExitCode": [-(2**31), INT32_MAX]}),
]
BEYOND_THE_LIMIT = [
    (windows(DiskSizeGiB=-1), "DiskSizeGiB: -1 is not a valid OS disk size"),
    (windows(DiskSizeGiB=4096), "DiskSizeGiB: 4096 is not a valid OS disk size"),
    (windows(TargetRegion=[{"Name": "westeurope", "ReplicaCount": 0}]), "ReplicaCount: 0 is not a valid replica count"),
    (windows(TargetRegion=[{"Name": "westeurope", "ReplicaCount": 101}]), "ReplicaCount: 101 is not a valid"),
    (with_step({**UPDATE_STEP, "UpdateLimit": -1}), "UpdateLimit: -1 is not a valid count"),
    (with_step({**UPDATE_STEP, "UpdateLimit": INT32_MAX + 1}), "UpdateLimit: 2147483648 is not a valid count"),
    (with_step({**WINDOWS_STEP, "ValidExitCode": [0, INT32_MAX + 1]}), "2147483648 is out of range"),
    (with_step({**WINDOWS_STEP, "ValidExitCode": [-(2**31) - 1]}), "-2147483649 is out of range"),
]


@pytest.mark.parametrize("doc", AT_THE_LIMIT)
def test_numbers_at_the_limits_are_accepted_by_mdpool_and_the_spec(spec, doc):
    assert spec.errors(render(doc, "Windows"), "ImageTemplate") == []


@pytest.mark.parametrize("doc, expected", BEYOND_THE_LIMIT)
def test_numbers_beyond_the_limits_are_refused_by_mdpool_before_azure(doc, expected):
    with pytest.raises(InputError) as error:
        parse_definition(json.dumps(doc), label="d.json", os_type="Windows")
    (problem,) = error.value.problems
    assert expected in problem.message or expected in str(problem), str(problem)


def test_the_int32_refusals_match_the_spec(spec):
    """The spec itself refuses the int32 overflows mdpool refuses (no stricter rule without a source)."""
    body = render(windows(), "Windows")
    body = copy.deepcopy(body)
    body["properties"]["customize"][0]["validExitCodes"] = [INT32_MAX + 1]
    assert spec.errors(body, "ImageTemplate") == [
        "properties.customize.0.validExitCodes.0: 2147483648 is greater than the maximum of 2147483647"
    ]


# --- build settings: boot optimization, staging group, build network ------------------------------

VNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v"


@pytest.mark.parametrize(
    "changes, where, expected",
    [
        ({"boot_optimization": False}, ("optimize",), {"vmBoot": {"state": "Disabled"}}),
        ({"boot_optimization": True}, ("optimize",), {"vmBoot": {"state": "Enabled"}}),
        (
            {"staging_resource_group_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging-img"},
            ("stagingResourceGroup",),
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging-img",
        ),
        ({"subnet_id": f"{VNET}/subnets/build"}, ("vmProfile", "vnetConfig"), {"subnetId": f"{VNET}/subnets/build"}),
        (
            {"subnet_id": f"{VNET}/subnets/build", "container_instance_subnet_id": f"{VNET}/subnets/aci"},
            ("vmProfile", "vnetConfig"),
            {"subnetId": f"{VNET}/subnets/build", "containerInstanceSubnetId": f"{VNET}/subnets/aci"},
        ),
    ],
)
def test_build_settings_render_where_the_spec_wants_them(spec, changes, where, expected):
    body = render({"TargetRegion": [{"Name": "westeurope"}]}, "Linux", **changes)
    assert spec.errors(body, "ImageTemplate") == []
    value = body["properties"]
    for key in where:
        value = value[key]
    assert value == expected


def test_the_spec_refuses_a_boot_state_mdpool_never_renders(spec):
    body = render({"TargetRegion": [{"Name": "westeurope"}]}, "Linux")
    body["properties"]["optimize"]["vmBoot"]["state"] = "Off"
    assert spec.errors(body, "ImageTemplate") != []  # the validator sees the enum: Enabled/Disabled only


# --- a gallery image version as the source (issue 18 item 5) --------------------------------------


def test_a_gallery_image_version_source_renders_as_the_spec_and_the_sdk_want(spec):
    from azure.mgmt.imagebuilder import models
    from azure.mgmt.imagebuilder._utils.model_base import _deserialize

    from mdpool.imagebuild.template import GallerySource

    version_id = f"{gallery_image_id('base')}/versions/1.0.3"
    body = render({"TargetRegion": [{"Name": "westeurope"}]}, "Linux", source=GallerySource(version_id, "base"))
    assert body["properties"]["source"] == {"type": "SharedImageVersion", "imageVersionId": version_id}
    assert spec.errors(body, "ImageTemplate") == []
    source = _deserialize(models.ImageTemplate, body).properties.source
    assert isinstance(source, models.ImageTemplateSharedImageVersionSource) and source.image_version_id == version_id
    del body["properties"]["source"]["imageVersionId"]  # the validator reads the discriminated shape
    assert spec.errors(body, "ImageTemplate") != []
