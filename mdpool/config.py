"""The environment configuration's models: one YAML file describes one environment.

Models and single-field validators only (strict: unknown keys and wrong types are errors). The
layers above use them and are never imported here: names are derived in `mdpool.naming`, the
rules across fields live in `mdpool.rules`, and `mdpool.loader.load_config` reads a file through
all of them. A config holds one pool (`pool:`) or a fleet (`pools:` with `pool_defaults:`); the
rest of mdpool iterates `EnvironmentConfig.pools`, the pools with their defaults applied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from mdpool.timespan import parse_timespan
from mdpool.validate.architecture import build_size_problem, default_build_vm_size
from mdpool.validate.formats import GUID, https_url_problem
from mdpool.validate.install_spec import install_spec_problem
from mdpool.validate.regions import normalize_location

# Patterns below use re.fullmatch, and pydantic's `pattern=` runs the Rust regex engine, whose `$`
# matches only at the very end: neither accepts a value with a trailing newline.
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


class Model(BaseModel):
    """Strict, frozen base: an unknown key or a wrong type is an error, never silently coerced."""

    # use_attribute_docstrings: the docstring under a field is its description in schema/ and the docs
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True)


def _uuid(value: str) -> str:
    if not GUID.fullmatch(value):  # fullmatch: a trailing newline is not part of a GUID
        raise ValueError("must be a GUID like 00000000-0000-0000-0000-000000000000")
    return value.lower()


def _timespan(value: str) -> str:
    parse_timespan(value)  # raises ValueError with the allowed form
    return value


def _https_url(value: str) -> str:
    problem = https_url_problem(value)  # the provider's IsURLWithHTTPS
    if problem:
        raise ValueError(problem)
    return value


def _location(value: object) -> object:
    # go-azure-helpers resourcemanager/location/normalize.go Normalize: ARM and the provider take a region's
    # display name (`West Europe`) as its name (`westeurope`); mdpool keeps the name, which derived names use
    return normalize_location(value) if isinstance(value, str) else value


# json_schema_extra shows editors the form the validator checks (schema only, no second validation)
Guid = Annotated[str, AfterValidator(_uuid), Field(json_schema_extra={"pattern": f"^{GUID.pattern}$"})]
Timespan = Annotated[str, AfterValidator(_timespan), Field(json_schema_extra={"pattern": r"^(\d+\.)?\d{2}:\d{2}:\d{2}$"})]
HttpsUrl = Annotated[str, AfterValidator(_https_url), Field(json_schema_extra={"pattern": r"^https://"})]
NonEmpty = Annotated[str, Field(min_length=1)]


# --- environment-wide settings -------------------------------------------------------------------


class Naming(Model):
    """How names are derived: `<type>-<prefix>-<environment>-<region>` (see mdpool.naming)."""

    prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,9}$")] = "mdpool"
    """Short lowercase org/workload abbreviation, 2-10 letters or digits, e.g. `jhp`."""
    role_prefix: str | None = None
    """Text in the custom role's `[...]` prefix; defaults to the prefix in upper case."""
    region_abbreviation: Annotated[str, Field(pattern=r"^[a-z0-9]{2,8}$")] | None = None
    """Short region code used in names; defaults to a built-in table (westeurope -> weu)."""


class ResourceGroups(Model):
    gallery: str | None = None
    """Resource group of the gallery, its image definitions and the builder identity."""
    pool: str | None = None
    """Resource group of the Dev Center, its project, the pool and its network."""
    create: bool = True
    """Create the groups (true) or use existing ones (false)."""


class LocalState(Model):
    directory: str = "state"
    """Folder, relative to the folder that holds the synth output, for `<stack>.tfstate` files."""


class AzurermState(Model):
    resource_group_name: NonEmpty
    storage_account_name: Annotated[str, Field(pattern=r"^[a-z0-9]{3,24}$")]
    container_name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")] = "tfstate"
    key_prefix: str = "mdpool"
    """State blob per stack: `<key_prefix>/<stack>.tfstate`."""
    subscription_id: Guid | None = None
    use_oidc: bool = True
    """Authenticate with workload identity federation in pipelines (no stored secret)."""


class State(Model):
    backend: Literal["local", "azurerm"] = "local"
    local: LocalState = LocalState()
    azurerm: AzurermState | None = None

    @model_validator(mode="after")
    def _backend_settings(self) -> State:
        if self.backend == "azurerm" and self.azurerm is None:
            raise ValueError("backend azurerm needs an `azurerm:` block (resource_group_name, storage_account_name)")
        return self


# --- gallery and image builds --------------------------------------------------------------------


class Identifier(Model):
    publisher: NonEmpty
    offer: NonEmpty
    sku: NonEmpty


def _image_version(value: str) -> str:
    # azure-rest-api-specs compute ImageReference.version: "Major.Minor.Build or 'latest'", decimal numbers
    if not re.fullmatch(r"latest|[0-9]+\.[0-9]+\.[0-9]+", value, flags=re.IGNORECASE):
        raise ValueError(f"{value!r} is not an image version; allowed: latest, or Major.Minor.Build such as 22.04.202411190")
    return value


SOURCE_KINDS = (
    "give exactly one kind of source: a marketplace image (publisher, offer, sku), one of this config's "
    "gallery images (gallery_image), or any gallery image version (image_version_id)"
)


def _source_kinds_schema(schema: dict[str, Any]) -> None:
    """For editors: one kind of source (the model's `_one_kind` says why when it is not), fields not null."""
    for field_schema in schema["properties"].values():
        options = field_schema.pop("anyOf", None)
        if options:
            field_schema.update(next(option for option in options if option.get("type") != "null"))
            field_schema.pop("default", None)
    schema["oneOf"] = [{"required": ["publisher", "offer", "sku"]}, {"required": ["gallery_image"]}, {"required": ["image_version_id"]}]


class BuildSource(Model):
    """The image a build starts from, as Image Builder's template sources allow (imagebuilder 2025-10-01
    `PlatformImage`, `SharedImageVersion`): a marketplace image (the blog's matrix Publisher / Offer /
    Sku / Version), one of this config's gallery images, or any gallery image version by its id."""

    model_config = ConfigDict(json_schema_extra=_source_kinds_schema)

    publisher: NonEmpty | None = None
    offer: NonEmpty | None = None
    sku: NonEmpty | None = None
    gallery_image: NonEmpty | None = None
    """One of this config's gallery images: the build starts from its `version` (built first when both
    are built; mdpool.imagebuild.chain)."""
    image_version_id: NonEmpty | None = None
    """Any gallery image version: /subscriptions/.../galleries/<g>/images/<i>/versions/<version or latest>.
    The builder identity needs read access to it."""
    version: Annotated[str, AfterValidator(_image_version)] = "latest"
    """With publisher/offer/sku or gallery_image: `latest` (resolved at each build, and part of the
    content hash) or a pinned version."""

    @model_validator(mode="after")
    def _one_kind(self) -> "BuildSource":
        platform = [key for key in ("publisher", "offer", "sku") if getattr(self, key) is not None]
        kinds = [bool(platform), self.gallery_image is not None, self.image_version_id is not None]
        if kinds.count(True) != 1:
            raise ValueError(SOURCE_KINDS)
        if platform and len(platform) != 3:
            missing = [key for key in ("publisher", "offer", "sku") if key not in platform]
            raise ValueError(f"a marketplace source needs publisher, offer and sku; missing: {', '.join(missing)}")
        if self.image_version_id is not None and "version" in self.model_fields_set:
            raise ValueError("image_version_id carries its version (.../versions/<version>); drop `version`")
        return self

    @property
    def kind(self) -> Literal["platform", "gallery_image", "image_version_id"]:
        if self.gallery_image is not None:
            return "gallery_image"
        return "image_version_id" if self.image_version_id is not None else "platform"


class BuildNetwork(Model):
    """Existing subnets the build runs in (Image Builder 2025-10-01 `vmProfile.vnetConfig`; Learn,
    "Azure VM Image Builder networking options"), e.g. where policy forbids a public build VM."""

    subnet_id: str
    """Subnet for the build (and validation) VM: `vnetConfig.subnetId`. The builder identity gets
    `Microsoft.Network/virtualNetworks/read` and `.../subnets/join/action` on its virtual network
    (Learn, "Configure Azure VM Image Builder permissions", existing virtual network)."""
    container_instance_subnet_id: str | None = None
    """Subnet for the Azure Container Instance of an isolated build: `vnetConfig.containerInstanceSubnetId`;
    on the same virtual network as `subnet_id` (spec: VirtualNetworkConfig). Without it Image Builder
    deploys a proxy VM in `subnet_id` instead."""

    @model_validator(mode="after")
    def _same_network(self) -> "BuildNetwork":
        # Image Builder 2025-10-01 VirtualNetworkConfig.containerInstanceSubnetId: "must be on the same
        # Virtual Network as the subnet specified in subnetId"
        other = self.container_instance_subnet_id
        if other is not None and _vnet_of(other) != _vnet_of(self.subnet_id):
            raise ValueError("container_instance_subnet_id must be a subnet of the same virtual network as subnet_id")
        return self

    @property
    def vnet_id(self) -> str:
        """The virtual network of `subnet_id` (where the join rights are granted)."""
        return self.subnet_id[: self.subnet_id.lower().rfind("/subnets/")]


def _vnet_of(subnet_id: str) -> str:
    return subnet_id[: subnet_id.lower().rfind("/subnets/")].lower()


class ImageBuild(Model):
    """How Azure Image Builder produces versions of one gallery image."""

    definition: NonEmpty
    """Image definition file in the blog's JSON format (`*.json`, or a jinja2 `*.json.j2`),
    relative to this config file."""
    variables: dict[str, str] = {}
    """Variables for a `*.json.j2` definition, e.g. BaseName."""
    source: BuildSource
    vm_size: NonEmpty | None = None
    """Build VM size; default Standard_D4s_v3 for x64 images, Standard_D4ps_v5 for Arm64
    (mdpool.validate.architecture)."""
    timeout_minutes: Annotated[int, Field(ge=6, le=960)] = 60
    boot_optimization: bool | None = None
    """Boot optimization (the template's `optimize.vmBoot.state`): on by default for x64 images, off by
    default for Arm64 (Learn, "VM boot optimization", supports both; `true` turns it on there). It makes
    machines from the image boot faster and adds a median 20 min (Linux) / 34 min (Windows) to each
    build; `false` turns it off."""
    template_name: str | None = None
    """Name of the image template; derived from the image name when not given."""
    network: BuildNetwork | None = None
    """Build in existing subnets instead of Image Builder's own network (no public build VM)."""
    _base_dir: Path = PrivateAttr(default=Path("."))

    @property
    def definition_path(self) -> Path:
        """The definition file, resolved against the folder of the config file."""
        return self._base_dir / self.definition


class GalleryImage(Model):
    name: NonEmpty
    os_type: Literal["Linux", "Windows"]
    architecture: Literal["x64", "Arm64"] = "x64"
    hyper_v_generation: Literal["V1", "V2"] = "V2"
    specialized: Literal[False] = False
    """Managed DevOps Pools only run generalized images, so a specialized one is refused."""
    description: str | None = None
    identifier: Identifier
    # azurerm compute/shared_image_resource.go: IntBetween(1, 80) and IntBetween(1, 640)
    min_recommended_vcpu_count: Annotated[int, Field(ge=1, le=80)] | None = None
    min_recommended_memory_in_gb: Annotated[int, Field(ge=1, le=640)] | None = None
    build: ImageBuild | None = None
    # Learn, "Store and share resources in an Azure Compute Gallery", Limits: 10,000 image versions per
    # subscription per region (https://learn.microsoft.com/azure/virtual-machines/azure-compute-gallery#limits)
    keep_versions: Annotated[int, Field(ge=0, le=10000)] = 5
    """How many versions of this image stay after a successful build: the newest N by version number;
    older ones are deleted, except the newest, what `latest` resolves to, a version a pool pins, one a
    pool's machines run, one being written and one a rollout holds (mdpool.deploy.retention). 0 keeps all."""

    @field_validator("build")
    @classmethod
    def _build_vm_fits_architecture(cls, build: ImageBuild | None, info: ValidationInfo) -> ImageBuild | None:
        """An Arm64 image needs an Arm64 build VM (rule and sources: mdpool.validate.architecture)."""
        architecture = info.data.get("architecture")
        if build is not None and build.vm_size is not None and architecture is not None:
            problem = build_size_problem(architecture, build.vm_size)
            if problem:
                raise ValueError(f"vm_size: {problem}")
        return build

    @property
    def build_vm_size(self) -> str:
        """The VM size Image Builder builds this image on: build.vm_size, else the architecture's default."""
        return (self.build and self.build.vm_size) or default_build_vm_size(self.architecture)


class Gallery(Model):
    name: str | None = None
    description: str = "Shared image gallery for build agents"
    images: list[GalleryImage] = []


class Builder(Model):
    """The identity Azure Image Builder runs as, and its least-privilege custom role."""

    identity_name: str | None = None
    role_name: str | None = None
    staging_resource_group: str | None = None
    """Name prefix of the staging resource groups Image Builder builds in, instead of its random
    `IT_<group>_<template>_<guid>`: each built image gets `<prefix>-<image>` (one group per template,
    Learn: Troubleshoot Azure VM Image Builder), created empty by the gallery stack in the config's
    location with Contributor for the builder identity (Learn: image-builder-json, stagingResourceGroup;
    spec 2025-10-01: an existing group must be empty and in the template's region). Lets Azure Policy
    exempt or allow one known group."""


# --- pool -----------------------------------------------------------------------------------------


class Organization(Model):
    url: HttpsUrl | None = None
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")] | None = None
    """Shorthand for url https://dev.azure.com/<name>."""
    projects: list[NonEmpty] = []
    parallelism: Annotated[int, Field(ge=1, le=10000)] | None = (
        None  # azurerm managed_devops_pool_resource.go IntBetween(1, 10000)
    )
    """How many of the pool's agents may work for this organization at once; a pool's organizations add up
    to its maximum_concurrency (azurerm CustomizeDiff). Default for a pool's only organization: the pool's
    maximum_concurrency (so `pool_defaults:` can name the organization once for pools of any size)."""
    open_access: bool | None = None
    """Let every pipeline of the organization use the pool without authorizing it by hand."""
    alias: NonEmpty | None = None
    """A short name for the organization in the pool (API 2026-06-02)."""
    parallel_jobs: Annotated[int, Field(ge=0)] | None = None
    """The organization's self-hosted parallel jobs (Organization settings > Parallel jobs), for mdpool's
    check only: a warning when the pools serving this organization may run more agents at once; jobs beyond
    the parallel jobs wait in the queue (learn.microsoft.com/azure/devops/pipelines/licensing/concurrent-jobs)."""

    @model_validator(mode="after")
    def _url_or_name(self) -> Organization:
        if (self.url is None) == (self.name is None):
            raise ValueError("give exactly one of `url` or `name`")
        return self

    @property
    def resolved_url(self) -> str:
        return self.url or f"https://dev.azure.com/{self.name}"


class GitHubOrganization(Model):
    url: HttpsUrl
    """e.g. https://github.com/acme"""
    repositories: list[NonEmpty] = []
    """Repositories the pool serves; empty: every repository of the organization."""


class GitHubOrganizations(Model):
    organizations: list[GitHubOrganization] = Field(min_length=1)


class Permission(Model):
    # azurerm managed_devops_pool_resource.go permission.kind StringInSlice; users/groups: see rules.py
    kind: Literal["CreatorOnly", "Inherit", "SpecificAccounts"] = "CreatorOnly"
    users: list[NonEmpty] = []
    groups: list[NonEmpty] = []


class Schedule(Model):
    """Standby agents by the clock: `{"hh:mm:ss": count}` per weekday, or one count all week."""

    time_zone: NonEmpty = "UTC"
    """Time zone of the times, as Azure names it (e.g. UTC, W. Europe Standard Time)."""
    all_week: int | None = None
    """The same number of standby agents around the clock, every day."""
    days: dict[Literal[DAYS], dict[str, int]] | None = None  # type: ignore[valid-type]
    """Per weekday, `{"hh:mm:ss": count}`: from that time on, keep `count` agents on standby.
    A day left out changes nothing, so agents stay until a later count of 0."""


class Automatic(Model):
    prediction_preference: Literal["Balanced", "MostCostEffective", "MoreCostEffective", "MorePerformance", "BestPerformance"] = (
        "Balanced"
    )


class Standby(Model):
    kind: Literal["off", "manual", "automatic"] = "off"
    manual: Schedule | None = None
    automatic: Automatic | None = None


class Agents(Model):
    kind: Literal["stateful", "stateless"] = "stateful"
    grace_period: Timespan | None = None
    """Stateful only: how long an idle agent waits for the next job (`hh:mm:ss` or `d.hh:mm:ss`)."""
    maximum_lifetime: Timespan | None = None
    """Stateful only: when an agent is recycled; Azure's default is 7.00:00:00."""


class ProvisioningScript(Model):
    """A script in a storage account that each agent runs when it starts (API 2026-06-02)."""

    storage_account_id: NonEmpty
    """Resource id of the storage account holding the script."""
    entry_point: NonEmpty
    """Path of the script inside the storage account, e.g. scripts/setup-agent.ps1."""
    identity_client_id: Guid | None = None
    """Client id of the pool's user-assigned identity that reads the script."""
    restart: bool | None = None
    """Restart the agent machine after the script ran."""


class PoolImage(Model):
    """One image agents can run on: a well-known image, one of this config's gallery images, or any
    image by its resource id."""

    well_known: str | None = None
    gallery_image: str | None = None
    resource_id: str | None = None
    """Any image resource id (the provider's `image.id`): a marketplace image version, an image
    definition or version in another gallery, a managed image."""
    version: str = "latest"
    """With gallery_image: `latest` or a pinned version like 1.0.0."""
    aliases: list[NonEmpty] = []
    buffer: int | str = "*"
    """Share of standby agents on this image: 0-100 (numbers add up to 100) or `*` (even share)."""
    ephemeral: Literal["Automatic", "CacheDisk", "ResourceDisk"] | None = None
    """Run agents on an ephemeral OS disk: Automatic (the service picks), CacheDisk or ResourceDisk."""
    provisioning_script: ProvisioningScript | None = None
    """A script agents run from a storage account at start (certificates, settings) without a rebuild."""


class DataDisk(Model):
    # azurerm managed_devops_pool_resource.go storage: disk_size_in_gb IntBetween(1, 32767),
    # storage_account_type PossibleValuesForStorageAccountType; drive_letter: see rules.py
    size_gb: Annotated[int, Field(ge=1, le=32767)]
    # devopsinfrastructure 2026-06-02 spec CachingType: None, ReadOnly, ReadWrite (the pool is written through
    # azapi on that API; azurerm's own resource allowed only ReadOnly/ReadWrite)
    caching: Literal["None", "ReadOnly", "ReadWrite"] = "ReadWrite"
    drive_letter: str | None = None
    storage_account_type: Literal["Premium_LRS", "Premium_ZRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Standard_LRS"] = (
        "Standard_LRS"
    )


class KeyVaultCertificates(Model):
    certificate_ids: list[HttpsUrl] = Field(min_length=1)
    store_location: str | None = None
    store_name: Literal["My", "Root"] | None = None  # azurerm PossibleValuesForCertificateStoreNameOption
    key_export: bool = False


class NewNetwork(Model):
    """A VNet and a subnet delegated to Microsoft.DevOpsInfrastructure/pools, made by the pool stack."""

    name: str | None = None
    address_space: str = "10.0.0.0/24"
    subnet_name: str | None = None
    subnet_prefix: str = "10.0.0.0/24"


class Network(Model):
    subnet_id: str | None = None
    """An existing subnet delegated to Microsoft.DevOpsInfrastructure/pools."""
    new: NewNetwork | None = None
    static_ip_count: Annotated[int, Field(ge=0, le=2147483647)] | None = None
    """Static outbound IP addresses for the agents (for firewall allow-lists); read back as a stack output."""

    @model_validator(mode="after")
    def _one_kind(self) -> Network:
        # devopsinfrastructure 2026-06-02 spec NetworkProfile: subnetId and staticIpAddressCount are both
        # optional, so static addresses on Azure's own network need no subnet
        if self.subnet_id is not None and self.new is not None:
            raise ValueError("give at most one of `subnet_id` (existing) or `new` (created by the pool stack)")
        if self.subnet_id is None and self.new is None and self.static_ip_count is None:
            raise ValueError(
                "give `subnet_id` (existing), `new` (created by the pool stack) or `static_ip_count` "
                "(static outbound addresses on Azure's network)"
            )
        return self

    @property
    def joins_subnet(self) -> bool:
        """The agents run in a subnet of the user's (existing or made by the pool stack)."""
        return self.subnet_id is not None or self.new is not None


class Pool(Model):
    """One Managed DevOps Pool with its Dev Center and project: `pool:`, or one entry of `pools:`."""

    name: str | None = None
    """Name of the pool in Azure; derived: mdp-<prefix>-<environment>-<region>."""
    dev_center_name: str | None = None
    """Derived: dc-<prefix>-<environment>-<region> (with `pools:`, the pool's name before the region)."""
    project_name: str | None = None
    """Derived: dcp-<prefix>-<environment>-<region> (with `pools:`, the pool's name before the region)."""
    maximum_concurrency: Annotated[int, Field(ge=1, le=10000)]  # azurerm managed_devops_pool_resource.go IntBetween
    agents: Agents = Agents()
    standby: Standby = Standby()
    organizations: list[Organization] = []
    """Azure DevOps organizations the pool serves (or `github`: a pool serves one or the other)."""
    permission: Permission = Permission()
    sku: NonEmpty = "Standard_D2ads_v5"
    os_disk_type: Literal["Standard", "StandardSSD", "Premium"] = "Standard"  # azurerm PossibleValuesForOsDiskStorageAccountType
    data_disk: DataDisk | None = None
    images: list[PoolImage] = Field(min_length=1)
    interactive_logon: bool = False
    key_vault: KeyVaultCertificates | None = None
    work_folder: str | None = None
    identity_ids: list[NonEmpty] = []
    """User-assigned identities for the agents (Managed DevOps Pools support UserAssigned only)."""
    network: Network | None = None
    description: str | None = None
    """Description of the pool in Azure DevOps (the organization profile's description)."""
    instance_mix: list[NonEmpty] = []
    """Several VM sizes for capacity (instance mix); replaces `sku` when given."""
    recycle_after_build: bool = False
    """After an image build, `mdpool deploy` deletes idle agents on older image versions."""
    github: GitHubOrganizations | None = None
    """GitHub organizations the pool serves, instead of Azure DevOps organizations (API 2026-06-02)."""
    tags: dict[str, str] = {}
    """Tags of this pool's resources, added to the environment's `tags` (the pool's value wins)."""
    # Where the pool was written (set when `pools:` are resolved): its short name, its place in
    # the file, and the settings it took from `pool_defaults:`.
    _key: str | None = PrivateAttr(default=None)
    _origin: tuple = PrivateAttr(default=("pool",))
    _inherited: frozenset[str] = PrivateAttr(default=frozenset())

    @property
    def vm_sizes(self) -> list[str]:
        """The VM sizes the agents may run on: the instance mix when given, else the one sku."""
        return list(self.instance_mix) or [self.sku]

    def parallelism_of(self, organization: Organization) -> int | None:
        """The organization's parallelism in this pool: as given, else all of it for a pool's only organization."""
        if organization.parallelism is None and len(self.organizations) == 1:
            return self.maximum_concurrency
        return organization.parallelism

    @property
    def key(self) -> str | None:
        """The pool's short `name:` under `pools:`; None for the one pool of `pool:`."""
        return self._key

    def loc(self, field: str, *rest: str | int) -> tuple:
        """Where `field` of this pool is written in the file: under `pool:`, `pools[i]`, or `pool_defaults:`."""
        if field in self._inherited:
            return ("pool_defaults", field, *rest)
        if self._key is not None and field == "name":
            field = "pool_name"  # under `pools:`, `name` is the short name
        elif field == "key":
            field = "name"
        return (*self._origin, field, *rest)


# A pool's short name goes into its stack (`pool-<env>-<name>`), its state file, its pipeline job
# and the names derived for its resources. Letters and digits only: Azure Pipelines job names
# allow letters, digits and `_` (learn.microsoft.com/azure/devops/pipelines/yaml-schema/jobs-job,
# "job: ... A-Z, a-z, 0-9, and underscore"); 12 at most keeps derived names within Azure's limits.
PoolKey = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,11}$")]


class FleetPool(Pool):
    """One pool of `pools:`: a short name and the settings of `pool:`; what it leaves out comes from `pool_defaults:`."""

    name: PoolKey  # type: ignore[assignment]  # required here: the short name, not Azure's
    """Short name of the pool (letters and digits, unique ignoring case): its stack is pool-<environment>-<name>."""
    pool_name: str | None = None
    """Name of the pool in Azure; derived: mdp-<prefix>-<environment>-<name>-<region>."""


# The settings several pools usually share. A pool that gives one replaces the default whole
# (a pool's `network:` is its network, not a merge with the default's).
DEFAULTABLE = (
    "organizations",
    "github",
    "permission",
    "agents",
    "standby",
    "network",
    "identity_ids",
    "tags",
    "sku",
    "instance_mix",
    "os_disk_type",
    "data_disk",
    "key_vault",
    "interactive_logon",
    "work_folder",
    "recycle_after_build",
)


def _optional_copy(name: str) -> Any:
    field = Pool.model_fields[name]
    annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return (
        annotation | None,
        Field(default=None, description=f"Default `{name}` of every pool under `pools:`. {field.description or ''}".strip()),
    )


PoolDefaults = create_model(  # each field as Pool declares it, optional: one declaration, no copy to drift
    "PoolDefaults",
    __base__=Model,
    __doc__="Settings every pool under `pools:` takes unless it gives its own (which replaces the default whole).",
    **{name: _optional_copy(name) for name in DEFAULTABLE},
)


def resolve_pool(entry: FleetPool, defaults: BaseModel | None, index: int) -> Pool:
    """The pool `entry` describes, with the settings it leaves out taken from `defaults`."""
    given = {name: getattr(entry, name) for name in entry.model_fields_set if name in Pool.model_fields and name != "name"}
    inherited = {
        name: getattr(defaults, name)
        for name in (defaults.model_fields_set if defaults is not None else ())
        if name not in given and getattr(defaults, name) is not None
    }
    if entry.pool_name is not None:
        given["name"] = entry.pool_name
    pool = Pool.model_validate({**inherited, **given})
    pool._key, pool._origin, pool._inherited = entry.name, ("pools", index), frozenset(inherited)
    return pool


# --- image rollout (`mdpool rollout`) -------------------------------------------------------------


class SmokePipeline(Model):
    """An Azure Pipelines pipeline `mdpool rollout` runs on a pool's canary image: queued through the Runs API
    (learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline) with the canary's alias as a
    template parameter, which the pipeline passes to the `ImageOverride` demand
    (learn.microsoft.com/azure/devops/managed-devops-pools/demands, "ImageOverride")."""

    organization: NonEmpty
    """The organization to queue it in: a name (dev.azure.com/<name>) or the URL of one of the pools' organizations."""
    project: NonEmpty
    """The project that holds the pipeline."""
    pipeline: int | NonEmpty
    """The pipeline's id (a number) or its name."""
    alias_parameter: NonEmpty = "imageOverride"
    """The template parameter that receives the canary's alias; the pipeline uses it as
    `demands: ImageOverride -equals ${{ parameters.imageOverride }}`."""

    def organization_url(self) -> str:
        text = self.organization.rstrip("/")
        return text if text.startswith("https://") else f"https://dev.azure.com/{text}"


class Rollout(Model):
    """How a new image version reaches the pools (`mdpool rollout IMAGE`, and the images stage of `mdpool deploy`)."""

    strategy: Literal["immediate", "canary"] = "immediate"
    """`immediate`: a new version reaches the pools at `latest` as soon as it exists (as before).
    `canary`: the images stage of `mdpool deploy` rolls each new version out as `mdpool rollout` does:
    a canary image first, the smoke pipelines, then promotion or rollback (docs/rollout.md)."""
    smoke: list[SmokePipeline] = []
    """The smoke pipelines, at least one per Azure DevOps organization of the pools that roll out."""
    timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    """How long the smoke runs may take, all together, before the rollout counts them as failed."""

    @model_validator(mode="after")
    def _canary_needs_smoke(self) -> Rollout:
        if self.strategy == "canary" and not self.smoke:
            raise ValueError("strategy canary needs at least one `smoke` pipeline to judge the canary by")
        return self


# --- the whole file -----------------------------------------------------------------------------


def _pools_schema(schema: dict[str, Any]) -> None:
    """For editors: `pool` or `pools`, never null (in the model both are optional, and a validator
    says which one to give)."""
    for key in ("pool", "pools", "pool_defaults"):
        options = schema["properties"][key].pop("anyOf")
        schema["properties"][key].update(next(option for option in options if option.get("type") != "null"))
        schema["properties"][key].pop("default", None)
    schema["oneOf"] = [{"required": ["pool"]}, {"required": ["pools"]}]


class EnvironmentConfig(Model):
    model_config = ConfigDict(json_schema_extra=_pools_schema)

    environment: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,9}$")]
    """Short environment name, e.g. dev or prod: part of every derived name and of the stack names."""
    subscription_id: Guid
    tenant_id: Guid | None = None
    location: Annotated[str, BeforeValidator(_location), Field(pattern=r"^[a-z][a-z0-9]+$")]
    """Azure region: its name (`westeurope`) or display name (`West Europe`, read as `westeurope`)."""
    naming: Naming = Naming()
    tags: dict[str, str] = {}
    resource_groups: ResourceGroups = ResourceGroups()
    state: State = State()
    gallery: Gallery = Gallery()
    builder: Builder = Builder()
    devops_infrastructure_principal_id: Guid
    """Object id of the first-party "DevOpsInfrastructure" service principal in your tenant
    (`az ad sp list --display-name DevOpsInfrastructure --query [].id`): it needs Reader on the
    gallery (and on a VNet) before the pool is created."""
    one_pool: Pool | None = Field(default=None, alias="pool")
    """The environment's pool (a fleet of one): give `pool:` or `pools:`."""
    fleet: Annotated[list[FleetPool], Field(min_length=1)] | None = Field(default=None, alias="pools")
    """Several pools on the one gallery, each with a short `name:` and its own stack pool-<environment>-<name>."""
    pool_defaults: PoolDefaults | None = None  # type: ignore[valid-type]
    """Settings every pool under `pools:` takes unless it gives its own."""
    pipelines: Pipelines = Field(default_factory=lambda: Pipelines())
    rollout: Rollout = Rollout()
    """How new image versions reach the pools: at once, or through a canary and a smoke pipeline."""
    _config_path: Path = PrivateAttr(default=Path("config.yaml"))
    _warnings: list = PrivateAttr(default_factory=list)
    _pools: list[Pool] = PrivateAttr(default_factory=list)
    _names: Any = PrivateAttr(default=None)
    _definitions: dict = PrivateAttr(default_factory=dict)
    """The image definition files as loaded for this config (mdpool.imagebuild.images.load_definition_once):
    the rules and the definition checks of one run render and parse each file once."""

    @model_validator(mode="after")
    def _one_form_of_pools(self) -> EnvironmentConfig:
        if (self.one_pool is None) == (self.fleet is None):
            raise ValueError("give `pool:` (one pool) or `pools:` (a list of pools, each with a short `name:`), not both")
        if self.pool_defaults is not None and self.fleet is None:
            raise ValueError("`pool_defaults:` applies to `pools:`; with `pool:` write the settings in the pool")
        self._resolve_pools()
        return self

    def _resolve_pools(self) -> None:
        if self.one_pool is not None:
            self._pools = [self.one_pool]
        else:
            self._pools = [resolve_pool(entry, self.pool_defaults, index) for index, entry in enumerate(self.fleet or [])]

    def model_copy(self, *, update: Any = None, deep: bool = False) -> EnvironmentConfig:
        """A copy with `update` applied, its keys as the file writes them (`pool`, `pools`), the pools
        resolved again. The derived names stay those of the loaded file."""
        keys = {field.alias or name: name for name, field in type(self).model_fields.items()}
        copy = super().model_copy(update={keys.get(key, key): value for key, value in (update or {}).items()}, deep=deep)
        copy._resolve_pools()
        return copy

    @property
    def warnings(self) -> list:
        """Warnings (mdpool.problems.Problem) found when the file was loaded: printed, never fatal."""
        return list(self._warnings)

    @property
    def config_path(self) -> Path:
        return self._config_path

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config (image definition files) resolve against this folder."""
        return self._config_path.parent

    @property
    def pools(self) -> list[Pool]:
        """Every pool of the config, its `pool_defaults:` applied: the one `pool:`, or each of `pools:` in order."""
        return list(self._pools)

    @property
    def pool(self) -> Pool:
        """The first pool (the only one of a `pool:` config); code that serves a fleet iterates `pools`."""
        return self._pools[0]

    @property
    def gallery_stack(self) -> str:
        return f"gallery-{self.environment}"

    def stack_of(self, pool: Pool) -> str:
        """The stack of `pool`: pool-<env> for the one `pool:` (as always), pool-<env>-<name> in a fleet."""
        return f"pool-{self.environment}" if pool.key is None else f"pool-{self.environment}-{pool.key}"

    @property
    def pool_stacks(self) -> list[str]:
        """The pool stacks, in the order of the pools."""
        return [self.stack_of(pool) for pool in self._pools]

    @property
    def pool_stack(self) -> str:
        """The first pool's stack (the only one of a `pool:` config)."""
        return self.stack_of(self.pool)

    @property
    def names(self) -> Any:
        """Every name and id (mdpool.naming.Names), derived when the file was loaded (mdpool.loader)."""
        if self._names is None:
            raise RuntimeError("names are derived by mdpool.loader.load_config; load the config with it")
        return self._names

    def image(self, name: str) -> GalleryImage:
        for image in self.gallery.images:
            if image.name == name:
                return image
        raise KeyError(name)


# --- the rendered pipelines (`mdpool pipeline render`) --------------------------------------------


def _cron(value: str) -> str:
    # Azure Pipelines cron: five fields `mm HH DD MM DW`, each digits, names, * , - /
    # (learn.microsoft.com/azure/devops/pipelines/process/scheduled-triggers, "Cron syntax")
    if not re.fullmatch(r"\s*[0-9A-Za-z*,/-]+(\s+[0-9A-Za-z*,/-]+){4}\s*", value):
        raise ValueError(
            f"{value!r} is not a pipeline schedule; allowed: five cron fields `mm HH DD MM DW` "
            f"in UTC, e.g. '0 3 * * 1' (Mondays 03:00)"
        )
    return value


def _install(value: str) -> str:
    problem = install_spec_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class Pipelines(Model):
    """Settings of the rendered Azure Pipelines that the rest of the config does not already imply."""

    install: Annotated[str, AfterValidator(_install)] | None = None
    """How the pipelines install mdpool (layout `tool`): a requirement naming mdpool (`mdpool==0.3.0`),
    a wheel file in the repository, relative to its root (`dist/mdpool-0.3.0-py3-none-any.whl`), or a
    git URL (`git+https://host/path@ref`). Default: `mdpool==<the version that renders them>`."""
    layout: Literal["clone", "tool"] | None = None
    """How the pipelines get mdpool: `tool` installs it with pip (`install`) and calls `mdpool` on PATH;
    `clone` runs `make setup` in a clone of mdpool's own repository and calls `.venv/bin/mdpool`.
    Default: `clone` where `mdpool pipeline render` runs in mdpool's own repository (a pyproject.toml
    of project mdpool), else `tool`."""

    image_refresh_cron: Annotated[str, AfterValidator(_cron)] = "0 3 * * 1"
    """When pipelines/refresh-images.yml runs: Azure Pipelines cron, five fields `mm HH DD MM DW` in UTC
    (learn.microsoft.com "Configure schedules for pipelines"); default Mondays 03:00 UTC. It rebuilds
    every image whose marketplace source published a newer version since its last build."""


EnvironmentConfig.model_rebuild()
