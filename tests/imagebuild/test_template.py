"""The ARM image template: every value of the blog's script, accepted field by field by the SDK's models."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from azure.mgmt.imagebuilder import models
from azure.mgmt.imagebuilder._utils.model_base import Model, _deserialize

from mdpool.imagebuild.definition import parse_definition
from mdpool.imagebuild.template import (
    API_VERSION,
    CONTENT_HASH_TAG,
    IMAGE_TAG,
    PlatformSource,
    TemplateSettings,
    content_hash,
    image_template,
    run_output_name,
    template_content_hash,
)
from tests.imagebuild.conftest import BLOG_IMAGE, IDENTITY, gallery_image_id
from tests.imagebuild.test_definition import SHA

# The blog's pipeline matrix row for ubuntu-22.04 and the script's parameter defaults.
MATRIX = PlatformSource(publisher="Canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts-gen2", version="latest")
SETTINGS = TemplateSettings(
    image_name="ubuntu-22.04",
    location="westeurope",
    identity_id=IDENTITY,
    gallery_image_id=gallery_image_id("ubuntu-22.04"),
    source=MATRIX,
)


def blog_template(**kwargs) -> dict:
    definition = parse_definition(BLOG_IMAGE, label="blog.json", os_type="Linux")
    return image_template(definition, kwargs.pop("settings", SETTINGS), run_output="aib-20250304120000", **kwargs)


def unknown_fields(value, path: str = "$") -> list[str]:
    """Keys the SDK's model for that place does not know (a typo would otherwise ride along silently:
    the models keep unknown keys, so `as_dict()` alone would not notice)."""
    found = []
    if isinstance(value, Model):
        fields = {field._rest_name: attr for attr, field in type(value)._attr_to_rest_field.items()}
        for key in value.keys():
            if key not in fields:
                found.append(f"{path}.{key}")
            else:
                found += unknown_fields(getattr(value, fields[key]), f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += unknown_fields(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += unknown_fields(item, f"{path}.{key}")
    return found


def test_the_field_check_catches_a_key_the_sdk_does_not_know():
    body = blog_template()
    body["properties"]["customize"][0]["inlnie"] = ["typo"]
    body["properties"]["vmProfile"]["osDiskSizeGiB"] = 1
    template = _deserialize(models.ImageTemplate, body)
    assert sorted(unknown_fields(template)) == ["$.properties.customize[0].inlnie", "$.properties.vmProfile.osDiskSizeGiB"]


def test_api_version_is_the_sdks_default():
    from azure.mgmt.imagebuilder._configuration import ImageBuilderClientConfiguration

    from tests.support.arm_standin import StaticTokenCredential

    assert API_VERSION == "2025-10-01"
    assert ImageBuilderClientConfiguration(StaticTokenCredential(), "s").api_version == API_VERSION


def test_every_value_of_the_blogs_script():
    body = blog_template()
    props = body["properties"]
    # $builderSource = New-AzImageBuilderTemplateSourceObject -PlatformImageSource Publisher/Offer/Sku/Version
    assert props["source"] == {
        "type": "PlatformImage",
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "version": "latest",
    }
    # -SharedImageDistributor GalleryImageId, TargetRegion from the file, RunOutputName, ExcludeFromLatest $false
    (dist,) = props["distribute"]
    assert dist["type"] == "SharedImage"
    assert dist["galleryImageId"] == gallery_image_id("ubuntu-22.04")
    assert dist["targetRegions"] == [{"name": "westeurope", "replicaCount": 1, "storageAccountType": "Standard_LRS"}]
    assert dist["runOutputName"] == "aib-20250304120000"
    assert dist["excludeFromLatest"] is False
    # New-AzImageBuilderTemplateCustomizerObject @customizer for each customizer
    assert [c["name"] for c in props["customize"]] == ["UpdateAndUpgradeUbuntu", "InstallPwsh"]
    assert all(c["type"] == "Shell" for c in props["customize"])
    assert props["customize"][1]["inline"][-1] == "pwsh -c 'Install-Module -Name Az -Scope AllUsers -Force'"
    # Location, UserAssignedIdentityId, VMProfileOsdiskSizeGb, VMProfileVmsize, VMBootState, BuildTimeoutInMinute
    assert body["location"] == "westeurope"
    assert body["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}
    assert props["vmProfile"] == {"vmSize": "Standard_D4s_v3", "osDiskSizeGB": 256}
    assert props["optimize"] == {"vmBoot": {"state": "Enabled"}}
    assert props["buildTimeoutInMinutes"] == 60
    # mdpool's addition: the content hash on the produced version
    assert dist["artifactTags"][CONTENT_HASH_TAG] == content_hash(
        parse_definition(BLOG_IMAGE, label="b", os_type="Linux"), MATRIX
    )
    assert dist["artifactTags"][IMAGE_TAG] == "ubuntu-22.04"


def test_the_sdk_models_accept_the_template_field_by_field():
    body = blog_template()
    template = _deserialize(models.ImageTemplate, json.loads(json.dumps(body)))
    assert unknown_fields(template) == []
    props = template.properties
    assert isinstance(props.source, models.ImageTemplatePlatformImageSource)
    assert isinstance(props.customize[0], models.ImageTemplateShellCustomizer)
    assert props.customize[0].inline[1] == "export DEBIAN_FRONTEND=noninteractive"
    dist = props.distribute[0]
    assert isinstance(dist, models.ImageTemplateSharedImageDistributor)
    assert dist.target_regions[0].replica_count == 1 and dist.exclude_from_latest is False
    assert props.vm_profile.os_disk_size_gb == 256 and props.optimize.vm_boot.state == "Enabled"
    assert template.identity.type == "UserAssigned" and IDENTITY in template.identity.user_assigned_identities
    assert template.as_dict() == body  # nothing lost or renamed on the way through the SDK


def test_all_step_kinds_map_to_their_arm_types_and_the_sdk_accepts_them():
    doc = {
        "DiskSizeGiB": 127,
        "TargetRegion": [{"Name": "westeurope", "ReplicaCount": 2, "StorageAccountType": "Premium_LRS"}],
        "Customizers": [
            {
                "PowerShellCustomizer": True,
                "Name": "ps",
                "ScriptUri": "https://e.com/a.ps1",
                "Sha256Checksum": SHA,
                "RunElevated": True,
                "RunAsSystem": True,
                "ValidExitCode": [0, 3010],
            },
            {"FileCustomizer": True, "Name": "f", "SourceUri": "https://e.com/f", "Destination": "C:\\f", "Sha256Checksum": SHA},
            {
                "RestartCustomizer": True,
                "Name": "r",
                "RestartCommand": "shutdown /r",
                "RestartCheckCommand": "hostname",
                "RestartTimeout": "10m",
            },
            {
                "WindowsUpdateCustomizer": True,
                "Name": "u",
                "Filter": ["include:$true"],
                "SearchCriterion": "IsInstalled=0",
                "UpdateLimit": 40,
            },
        ],
        "Validators": [
            {"PowerShellValidator": True, "Name": "v", "Inline": ["git --version"], "ValidExitCode": [0]},
            {"FileValidator": True, "Name": "fv", "SourceUri": "https://e.com/v", "Destination": "C:\\v"},
        ],
        "ValidateContinueDistributeOnFailure": True,
        "ValidateSourceValidationOnly": False,
        "ErrorHandlingOnCustomizerError": "abort",
        "ErrorHandlingOnValidationError": "cleanup",
    }
    definition = parse_definition(json.dumps(doc), label="w.json", os_type="Windows")
    body = image_template(definition, SETTINGS, run_output="aib-1")
    props = body["properties"]
    assert props["customize"] == [
        {
            "type": "PowerShell",
            "name": "ps",
            "scriptUri": "https://e.com/a.ps1",
            "sha256Checksum": SHA,
            "runElevated": True,
            "runAsSystem": True,
            "validExitCodes": [0, 3010],
        },
        {"type": "File", "name": "f", "sourceUri": "https://e.com/f", "destination": "C:\\f", "sha256Checksum": SHA},
        {
            "type": "WindowsRestart",
            "name": "r",
            "restartCommand": "shutdown /r",
            "restartCheckCommand": "hostname",
            "restartTimeout": "10m",
        },
        {
            "type": "WindowsUpdate",
            "name": "u",
            "searchCriteria": "IsInstalled=0",
            "filters": ["include:$true"],
            "updateLimit": 40,
        },
    ]
    assert props["validate"] == {
        "inVMValidations": [
            {"type": "PowerShell", "name": "v", "inline": ["git --version"], "validExitCodes": [0]},
            {"type": "File", "name": "fv", "sourceUri": "https://e.com/v", "destination": "C:\\v"},
        ],
        "continueDistributeOnFailure": True,
        "sourceValidationOnly": False,
    }
    assert props["errorHandling"] == {"onCustomizerError": "abort", "onValidationError": "cleanup"}
    template = _deserialize(models.ImageTemplate, json.loads(json.dumps(body)))
    assert unknown_fields(template) == []
    kinds = [type(step) for step in template.properties.customize]
    assert kinds == [
        models.ImageTemplatePowerShellCustomizer,
        models.ImageTemplateFileCustomizer,
        models.ImageTemplateRestartCustomizer,
        models.ImageTemplateWindowsUpdateCustomizer,
    ]
    validators = template.properties.validate.in_vm_validations
    assert [type(v) for v in validators] == [models.ImageTemplatePowerShellValidator, models.ImageTemplateFileValidator]
    assert template.properties.error_handling.on_customizer_error == "abort"
    assert template.properties.customize[3].search_criteria == "IsInstalled=0"
    assert template.as_dict() == body


def test_config_settings_reach_the_template():
    settings = TemplateSettings(
        image_name="x",
        location="swedencentral",
        identity_id=IDENTITY,
        gallery_image_id=gallery_image_id("x"),
        source=MATRIX,
        vm_size="Standard_D8s_v5",
        timeout_minutes=120,
        tags={"workload": "agents"},
    )
    body = blog_template(settings=settings)
    assert body["location"] == "swedencentral" and body["tags"] == {"workload": "agents"}
    assert body["properties"]["vmProfile"]["vmSize"] == "Standard_D8s_v5"
    assert body["properties"]["buildTimeoutInMinutes"] == 120
    assert body["properties"]["distribute"][0]["artifactTags"]["workload"] == "agents"


def test_run_output_name_is_aib_and_utc_timestamp():
    assert run_output_name(datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)) == "aib-20250304050607"
    assert re.fullmatch(r"aib-\d{14}", run_output_name())


def test_content_hash_follows_content_not_run_details():
    definition = parse_definition(BLOG_IMAGE, label="b", os_type="Linux")
    digest = content_hash(definition, MATRIX)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    # the same content whatever the run name, VM size or timeout
    a = image_template(definition, SETTINGS, run_output="aib-1")
    b = image_template(
        definition,
        TemplateSettings(**{**SETTINGS.__dict__, "vm_size": "Standard_D8s_v5", "timeout_minutes": 90}),
        run_output="aib-2",
    )
    assert template_content_hash(a) == template_content_hash(b) == digest
    # another step, another source or another disk size is another image
    changed = parse_definition(BLOG_IMAGE.replace("apt upgrade -y", "apt full-upgrade -y"), label="b", os_type="Linux")
    assert content_hash(changed, MATRIX) != digest
    assert content_hash(definition, PlatformSource("Canonical", "ubuntu-24_04-lts", "server")) != digest
    bigger = parse_definition(BLOG_IMAGE.replace('"DiskSizeGiB": 256', '"DiskSizeGiB": 128'), label="b", os_type="Linux")
    assert content_hash(bigger, MATRIX) != digest
    # key spelling and case do not change the content
    recased = parse_definition(BLOG_IMAGE.replace('"Inline"', '"inline"'), label="b", os_type="Linux")
    assert content_hash(recased, MATRIX) == digest
    assert template_content_hash({"properties": {"distribute": [{"artifactTags": {}}]}}) is None
