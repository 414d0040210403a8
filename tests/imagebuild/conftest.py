"""Fixtures for image build tests: the blog's image file, specs without a config, the ARM stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.imagebuild.images import ImageSpec
from mdpool.imagebuild.template import PlatformSource, TemplateSettings
from tests.support.arm_standin import ArmStandIn

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
RG = "rg-images"
IDENTITY = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity"
    "/userAssignedIdentities/id-imagebuilder"
)

# The image JSON from the blog post, with its `{"...": "..."}` elision left out.
BLOG_IMAGE = """{
  "DiskSizeGiB": 256,
  "TargetRegion": [
    {
      "Name": "westeurope",
      "ReplicaCount": "1",
      "StorageAccountType": "Standard_LRS"
    }
  ],
  "Customizers": [
    {
      "ShellCustomizer": true,
      "Name": "UpdateAndUpgradeUbuntu",
      "Inline": [
        "echo 'UpdateAndUpgradeUbuntu' Customizer",
        "export DEBIAN_FRONTEND=noninteractive",
        "sudo apt update -y && sudo apt upgrade -y"
      ]
    },
    {
      "ShellCustomizer": true,
      "Name": "InstallPwsh",
      "Inline": [
        "echo 'InstallPwsh' Customizer",
        "export DEBIAN_FRONTEND=noninteractive",
        ". /etc/os-release && wget -q https://packages.microsoft.com/config/ubuntu/$VERSION_ID/packages-microsoft-prod.deb",
        "sudo dpkg -i packages-microsoft-prod.deb",
        "rm packages-microsoft-prod.deb",
        "sudo apt update && sudo apt install -y powershell",
        "pwsh -c 'Install-Module -Name Az -Scope AllUsers -Force'"
      ]
    }
  ]
}
"""

# A small definition that passes every check, for build-flow tests.
QUICK_IMAGE = {
    "DiskSizeGiB": 64,
    "TargetRegion": [{"Name": "westeurope", "ReplicaCount": 1, "StorageAccountType": "Standard_LRS"}],
    "Customizers": [{"ShellCustomizer": True, "Name": "Hello", "Inline": ["echo hello"]}],
}

REPO = Path(__file__).resolve().parents[2]


def gallery_image_id(name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/gal/images/{name}"


def make_spec(
    definition: Path,
    name: str = "ubuntu-22.04",
    *,
    os_type: str = "Linux",
    variables: dict[str, str] | None = None,
    timeout_minutes: int = 60,
) -> ImageSpec:
    return ImageSpec(
        name=name,
        os_type=os_type,
        definition_path=definition,
        settings=TemplateSettings(
            image_name=name,
            location="westeurope",
            identity_id=IDENTITY,
            gallery_image_id=gallery_image_id(name),
            source=PlatformSource("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "latest"),
            vm_size="Standard_D4s_v3",
            timeout_minutes=timeout_minutes,
            tags={"env": "test"},
        ),
        subscription_id=SUBSCRIPTION,
        resource_group=RG,
        template_name=f"it-{name}",
        variables=variables or {},
    )


@pytest.fixture
def quick_definition(tmp_path: Path) -> Path:
    path = tmp_path / "quick.json"
    path.write_text(json.dumps(QUICK_IMAGE, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def arm():
    with ArmStandIn(subscription_id=SUBSCRIPTION, build_duration=0.3, strict_gallery=True) as arm:
        yield arm
