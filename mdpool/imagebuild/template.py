"""Map an image definition to the Azure Image Builder template, as the blog's PowerShell script does.

`Start-AzureComputeGalleryDeployment.ps1` builds the template from its parameters and the JSON:

- source: `New-AzImageBuilderTemplateSourceObject -PlatformImageSource` with Publisher, Offer, Sku,
  Version (the pipeline matrix; here the config's `build.source`), or beyond the blog a gallery
  image version (`SharedImageVersion`: an image built on another, mdpool.imagebuild.chain);
- distributor: `-SharedImageDistributor` into the gallery image definition (`GalleryImageResourceId`)
  with the file's `TargetRegion`, `RunOutputName = 'aib-{0:yyyyMMddHHmmss}' -f (Get-Date)` and
  `ExcludeFromLatest = $false`;
- customizers: one `New-AzImageBuilderTemplateCustomizerObject @customizer` per entry;
- `UserAssignedIdentityId`, `VMProfileOsdiskSizeGb = DiskSizeGiB`, `VMProfileVmsize` (default
  Standard_D4s_v3), `VMBootState = 'Enabled'`, `BuildTimeoutInMinute` (default 60), `Location`.

An Arm64 image differs in two places (see `mdpool.validate.architecture`): it is built on an
Arm64 size by default, and its template has no boot optimization, which Azure does not support for
Arm64.

mdpool produces the same ARM body (api-version 2025-10-01), with the run output name in UTC, the
optional validators and error handling of the file, the environment's tags on the template, and
artifact tags on the produced image version that record a content hash of the definition, so a
later build can tell that an image is already up to date. Plain dicts in ARM's JSON shape: this
module stays free of the Azure SDK (tests round-trip its output through the SDK's models).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from mdpool.validate.architecture import ARM64, X64, default_build_vm_size
from mdpool.imagebuild.definition import ImageDefinition

API_VERSION = "2025-10-01"
CONTENT_HASH_TAG = "mdpool-content-sha256"
IMAGE_TAG = "mdpool-image"
DEFAULT_VM_SIZE = default_build_vm_size(X64)
DEFAULT_TIMEOUT_MINUTES = 60
_HASH_FORMAT = 2  # bump when the hashed content changes meaning, so old versions are rebuilt once
# 2: the optimize block (boot optimization, off for Arm64) is hashed


@dataclass(frozen=True)
class PlatformSource:
    """A marketplace image: the blog's matrix Publisher / Offer / Sku / Version."""

    publisher: str
    offer: str
    sku: str
    version: str = "latest"

    @property
    def urn(self) -> str:
        return f"{self.publisher}:{self.offer}:{self.sku}:{self.version}"

    def with_version(self, version: str) -> "PlatformSource":
        return dataclasses.replace(self, version=version)

    def arm(self) -> dict[str, Any]:
        return {
            "type": "PlatformImage",
            "publisher": self.publisher,
            "offer": self.offer,
            "sku": self.sku,
            "version": self.version,
        }


@dataclass(frozen=True)
class GallerySource:
    """A gallery image version: Image Builder's `SharedImageVersion` source (imagebuilder 2025-10-01
    ImageTemplateSharedImageVersionSource.imageVersionId, "When image version name is 'latest', the
    version is evaluated when the image build takes place")."""

    image_version_id: str
    """.../galleries/{g}/images/{i}/versions/{version}: `latest` until a build resolves it."""
    gallery_image: str | None = None
    """The config's gallery image it is, when it is one (the build order follows it); not hashed."""
    gallery_image_built: bool = field(default=True, compare=False)
    """Whether mdpool builds that gallery image (it has a build section): what to tell a user whose base
    has no version yet; neither compared nor hashed."""

    @property
    def version(self) -> str:
        return self.image_version_id.rsplit("/", 1)[-1]

    @property
    def image_id(self) -> str:
        """The gallery image definition the version belongs to."""
        return self.image_version_id.rsplit("/", 2)[0]

    @property
    def urn(self) -> str:
        return self.image_version_id

    def with_version(self, version: str) -> "GallerySource":
        return dataclasses.replace(self, image_version_id=f"{self.image_id}/versions/{version}")

    def arm(self) -> dict[str, Any]:
        return {"type": "SharedImageVersion", "imageVersionId": self.image_version_id}


Source = PlatformSource | GallerySource


@dataclass(frozen=True)
class TemplateSettings:
    """Everything the template needs besides the definition file: the environment's side."""

    image_name: str
    location: str
    identity_id: str
    gallery_image_id: str
    source: Source
    vm_size: str = DEFAULT_VM_SIZE
    timeout_minutes: int = DEFAULT_TIMEOUT_MINUTES
    tags: Mapping[str, str] = field(default_factory=dict)
    architecture: str = X64
    """x64 or Arm64: the gallery image definition's architecture."""
    exclude_from_latest: bool = False
    """Publish the version held back from `latest` (rollout.strategy canary: `mdpool rollout` lets it in)."""
    boot_optimization: bool | None = None
    """`build.boot_optimization`: None is the default (on for x64, never for Arm64)."""
    staging_resource_group_id: str | None = None
    """`stagingResourceGroup`: the group Image Builder builds in (None: a random IT_... group of its own)."""
    subnet_id: str | None = None
    """`vmProfile.vnetConfig.subnetId`: the build VM's existing subnet (None: Image Builder's own network)."""
    container_instance_subnet_id: str | None = None
    """`vmProfile.vnetConfig.containerInstanceSubnetId`: the isolated build's container instance subnet."""


def run_output_name(now: datetime | None = None) -> str:
    """`aib-<UTC yyyyMMddHHmmss>`, the blog's run output name (in UTC, so every agent agrees)."""
    now = now or datetime.now(timezone.utc)
    return f"aib-{now.astimezone(timezone.utc):%Y%m%d%H%M%S}"


def hash_inputs(
    definition: ImageDefinition, source: Source, architecture: str = X64, boot_optimization: bool | None = None
) -> dict[str, Any]:
    """Every input that decides the bits of the image, and nothing else.

    In: the source image, the OS disk size, the customizers, the validators and error handling,
    boot optimization (which depends on the architecture) and where the version is replicated
    (target regions, replica counts, storage types). Out: the build VM size, the timeout, the
    run output name and the tags, which do not change the image.
    """
    return {
        "format": _HASH_FORMAT,
        "source": source.arm(),
        "osDiskSizeGB": definition.disk_size_gib,
        **_steps(definition),
        "optimize": _optimize(architecture, boot_optimization),
        "targetRegions": [region.arm() for region in definition.target_regions],
    }


def content_hash(
    definition: ImageDefinition, source: Source, architecture: str = X64, boot_optimization: bool | None = None
) -> str:
    """SHA-256 of `hash_inputs` in canonical JSON: equal for equal images, different otherwise.

    The builds pass the source with `latest` already resolved to the marketplace's (or the source
    gallery image's) newest version (mdpool.imagebuild.source_version), so that version is hashed: a new
    marketplace image, or a rebuilt base image, makes a new build; a source still saying `latest`
    (e.g. `images render`) hashes as the word.
    `boot_optimization` left unset or set to the default (true on x64) hashes as before it existed.
    """
    inputs = hash_inputs(definition, source, architecture, boot_optimization)
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def settings_content_hash(definition: ImageDefinition, settings: TemplateSettings) -> str:
    """`content_hash` of a definition built with these settings (source, architecture, boot optimization)."""
    return content_hash(definition, settings.source, settings.architecture, settings.boot_optimization)


def _steps(definition: ImageDefinition) -> dict[str, Any]:
    """customize, and validate / errorHandling when the file sets them: in the template and in its hash."""
    steps: dict[str, Any] = {"customize": [step.arm() for step in definition.customizers]}
    validate = _validate(definition)
    if validate:
        steps["validate"] = validate
    handling = _error_handling(definition)
    if handling:
        steps["errorHandling"] = handling
    return steps


def _optimize(architecture: str, boot_optimization: bool | None = None) -> dict[str, Any] | None:
    """Boot optimization: on as the blog's script sets it (VMBootState Enabled) where Azure supports it,
    unless the config turns it off (`Disabled`, a value of the 2025-10-01 spec's vmBoot.state).

    Arm64 is off by default and then gets no optimize block at all, so an unset or `false` setting
    renders, and hashes, exactly as before the setting existed; `true` asks for it (vm-boot-optimization.md
    supports Arm64).
    """
    if architecture == ARM64 and not boot_optimization:
        return None
    return {"vmBoot": {"state": "Disabled" if boot_optimization is False else "Enabled"}}


def _validate(definition: ImageDefinition) -> dict[str, Any] | None:
    """The validate block; its flags go to Azure even without validators, as the spec allows."""
    validate: dict[str, Any] = {}
    if definition.validators:
        validate["inVMValidations"] = [step.arm() for step in definition.validators]
    if definition.continue_distribute_on_failure is not None:
        validate["continueDistributeOnFailure"] = definition.continue_distribute_on_failure
    if definition.source_validation_only is not None:
        validate["sourceValidationOnly"] = definition.source_validation_only
    return validate or None


def _error_handling(definition: ImageDefinition) -> dict[str, Any] | None:
    handling: dict[str, Any] = {}
    if definition.on_customizer_error:
        handling["onCustomizerError"] = definition.on_customizer_error
    if definition.on_validation_error:
        handling["onValidationError"] = definition.on_validation_error
    return handling or None


def image_template(
    definition: ImageDefinition, settings: TemplateSettings, *, run_output: str, digest: str | None = None
) -> dict[str, Any]:
    """The ARM body of the image template (PUT .../imageTemplates/{name}?api-version=2025-10-01)."""
    digest = digest or settings_content_hash(definition, settings)
    vm_profile: dict[str, Any] = {"vmSize": settings.vm_size}
    if definition.disk_size_gib is not None:
        vm_profile["osDiskSizeGB"] = definition.disk_size_gib
    if settings.subnet_id:  # where the build runs, not what it makes: outside the content hash
        vnet: dict[str, Any] = {"subnetId": settings.subnet_id}
        if settings.container_instance_subnet_id:
            vnet["containerInstanceSubnetId"] = settings.container_instance_subnet_id
        vm_profile["vnetConfig"] = vnet
    artifact_tags = {**settings.tags, CONTENT_HASH_TAG: digest, IMAGE_TAG: settings.image_name}
    properties: dict[str, Any] = {
        "buildTimeoutInMinutes": settings.timeout_minutes,
        "vmProfile": vm_profile,
        "source": settings.source.arm(),
        **_steps(definition),
    }
    if settings.staging_resource_group_id:
        properties["stagingResourceGroup"] = settings.staging_resource_group_id
    optimize = _optimize(settings.architecture, settings.boot_optimization)
    if optimize is not None:
        properties["optimize"] = optimize
    properties["distribute"] = [
        {
            "type": "SharedImage",
            "galleryImageId": settings.gallery_image_id,
            "runOutputName": run_output,
            # imagebuilder 2025-10-01 ImageTemplateSharedImageDistributor.excludeFromLatest
            "excludeFromLatest": settings.exclude_from_latest,
            "targetRegions": [region.arm() for region in definition.target_regions],
            "artifactTags": artifact_tags,
        }
    ]
    body: dict[str, Any] = {"location": settings.location}
    if settings.tags:
        body["tags"] = dict(settings.tags)
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {settings.identity_id: {}}}
    body["properties"] = properties
    return body


def template_content_hash(template: Mapping[str, Any]) -> str | None:
    """The content hash an existing template's distributor will stamp on its version, if mdpool made it."""
    for dist in (template.get("properties") or {}).get("distribute") or []:
        tags = dist.get("artifactTags") or {}
        if CONTENT_HASH_TAG in tags:
            return tags[CONTENT_HASH_TAG]
    return None
