"""Rules for one pool's settings: organizations, agents, standby, certificates and the rest.

Each rule takes the resolved pool (`mdpool.config.Pool`, its defaults from `pool_defaults:` already
applied) and reports at `pool.loc(...)`, the place in the file where the setting was written.
Shapes, enums and ranges the schema already holds (`mdpool.config`) are not repeated here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from mdpool.config import DAYS, Pool
from mdpool.rules.findings import WARNING, Finding
from mdpool.timespan import parse_time_of_day
from mdpool.timezones import TIME_ZONES
from mdpool.validate import formats
from mdpool.validate.architecture import lacks_temp_disk, size_architecture


def pool_rules(pool: Pool) -> Iterator[Finding]:
    """Every rule of this module, in the order they report."""
    yield from organization_rules(pool)
    yield from agent_rules(pool)
    yield from standby_rules(pool)
    yield from security_rules(pool)
    yield from setting_rules(pool)
    yield from api_rules(pool)


def organization_rules(pool: Pool) -> Iterator[Finding]:
    shares = [pool.parallelism_of(org) for org in pool.organizations]
    total = sum(share for share in shares if share is not None)
    # managed_devops_pool_resource.go CustomizeDiff: sum of parallelism == maximum_concurrency (Azure DevOps pools
    # only), so with several organizations each one's share must be written
    for index, share in enumerate(shares):
        if share is None:
            yield (
                pool.loc("organizations", index, "parallelism"),
                "required with several organizations; their parallelism adds up to maximum_concurrency",
            )
    if pool.organizations and None not in shares and total != pool.maximum_concurrency:
        yield (
            pool.loc("organizations"),
            (f"parallelism adds up to {total} but pool.maximum_concurrency is {pool.maximum_concurrency}; they must be equal"),
        )
    seen: set[str] = set()
    for index, org in enumerate(pool.organizations):
        url = org.resolved_url
        # managed_devops_pool_resource.go organization.url: StringMatch `[a-zA-Z0-9]$`
        if not url[-1:].isascii() or not url[-1:].isalnum():
            yield pool.loc("organizations", index, "url"), f"{url!r} must end with a letter or digit (no trailing slash)"
        if url.lower() in seen:  # no source: the service's behaviour with a repeated organization is unknown
            yield pool.loc("organizations", index), f"organization {url} is listed twice", WARNING
        seen.add(url.lower())
        for position, project in enumerate(org.projects):
            # azurerm manageddevopspools/validate/project_name.go ProjectName
            problem = formats.devops_project_problem(project)
            if problem:
                yield pool.loc("organizations", index, "projects", position), problem
    permission = pool.permission
    # managed_devops_pool_resource.go administrator_account: AtLeastOneOf(groups, users)
    if permission.kind == "SpecificAccounts" and not (permission.users or permission.groups):
        yield pool.loc("permission"), "kind SpecificAccounts needs at least one entry in users or groups"
    # managed_devops_pool_resource.go CustomizeDiff: no administrator_account unless SpecificAccounts
    if permission.kind != "SpecificAccounts" and (permission.users or permission.groups):
        yield pool.loc("permission"), "users and groups are only used with kind SpecificAccounts"
    for field in ("users", "groups"):
        for index, entry in enumerate(getattr(permission, field)):
            # managed_devops_pool_resource.go administrator_account.users/groups: validation.IsEmailAddress
            problem = formats.email_problem(entry)
            if problem:
                yield pool.loc("permission", field, index), problem


def agent_rules(pool: Pool) -> Iterator[Finding]:
    agents = pool.agents
    if agents.kind == "stateless":
        # managed_devops_pool_resource.go: stateless_agent has no grace period or lifetime to set
        for field in ("grace_period", "maximum_lifetime"):
            if getattr(agents, field) is not None:
                yield pool.loc("agents", field), f"{field} applies to stateful agents only; remove it or use kind stateful"


def standby_rules(pool: Pool) -> Iterator[Finding]:
    standby, limit = pool.standby, pool.maximum_concurrency
    loc = pool.loc("standby")
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


def security_rules(pool: Pool) -> Iterator[Finding]:
    vault = pool.key_vault
    if vault is None:
        return
    loc = pool.loc("key_vault")
    for index, certificate in enumerate(vault.certificate_ids):
        # managed_devops_pool_resource.go key_vault_certificate_ids: keyvault.ValidateNestedItemID(Versionless, Secret)
        problem = formats.key_vault_secret_id_problem(certificate)
        if problem:
            yield (*loc, "certificate_ids", index), problem
    # managed_devops_pool_resource.go certificate_store_location: StringIsNotEmpty
    if vault.store_location is not None and not vault.store_location:
        yield (*loc, "store_location"), "must not be empty; leave it out for the default"


def setting_rules(pool: Pool) -> Iterator[Finding]:
    seen_identities: dict[str, int] = {}
    for index, identity in enumerate(pool.identity_ids):
        # commonschema.UserAssignedIdentityOptional: commonids.ValidateUserAssignedIdentityID (case-sensitive segments)
        problem = formats.arm_id_problem(identity, formats.USER_ASSIGNED_IDENTITY_ID)
        if problem:
            yield pool.loc("identity_ids", index), f"not a user-assigned identity id: {problem}"
        elif identity.casefold() in seen_identities:  # identity_ids is a TypeSet: a repeat is dropped, not an error
            first = seen_identities[identity.casefold()]
            yield pool.loc("identity_ids", index), f"the same identity as identity_ids[{first}]; it is used once", WARNING
        seen_identities.setdefault(identity.casefold(), index)
    # managed_devops_pool_resource.go sku_name: StringIsNotEmpty (the schema's NonEmpty); the form is a convention
    if not re.fullmatch(r"(Standard|Basic)_[A-Za-z0-9_-]+", pool.sku):
        yield pool.loc("sku"), f"{pool.sku!r} does not look like a VM size such as Standard_D2ads_v5", WARNING
    # managed_devops_pool_resource.go work_folder: StringIsNotEmpty
    if pool.work_folder is not None and not pool.work_folder:
        yield pool.loc("work_folder"), "must not be empty; leave it out for the default"
    elif pool.work_folder is not None and not pool.work_folder.strip():
        yield pool.loc("work_folder"), "is only blanks; leave it out for the default", WARNING


def api_rules(pool: Pool) -> Iterator[Finding]:
    """The pool settings of the pools API 2026-06-02 (instance mix, provisioning scripts)."""
    # pools spec 2026-06-02: organizationProfile is one kind, AzureDevOps or GitHub (discriminator `kind`).
    if bool(pool.organizations) == (pool.github is not None):
        yield (
            pool.loc("organizations"),
            ("give `organizations` (Azure DevOps) or `github` (GitHub organizations); a pool serves one or the other"),
        )
    elif pool.github is not None:
        # GitHubOrganizationProfile holds only `organizations`: no permission profile and no description.
        if "permission" in pool.model_fields_set:
            yield pool.loc("permission"), "applies to Azure DevOps organizations only; a GitHub pool has none"
        if pool.description is not None:
            yield pool.loc("description"), "applies to Azure DevOps organizations only; a GitHub pool has none"
    if pool.instance_mix:
        # Our own config's shape: with an instance mix the body's sku name is "Mix" (Microsoft's example
        # CreateOrUpdatePool_InstanceMix.json), so a `sku` given as well would be dropped unseen.
        if "sku" in pool.model_fields_set:
            yield pool.loc("sku"), "give either `sku` (one VM size) or `instance_mix` (several), not both"
        seen: dict[str, int] = {}
        for index, size in enumerate(pool.instance_mix):
            # pools spec 2026-06-02 DevOpsAzureSku.vmSizes: x-ms-identifiers ["name"], a size is listed once.
            if size.lower() in seen:
                yield (
                    pool.loc("instance_mix", index),
                    (f"VM size {size!r} is already listed at instance_mix[{seen[size.lower()]}]; each size once"),
                )
            seen.setdefault(size.lower(), index)
        yield from instance_mix_rules(pool)
    yield from resource_disk_rules(pool)
    for index, image in enumerate(pool.images):
        script = image.provisioning_script
        # pools spec 2026-06-02 PoolImage.provisioningScriptStorageAccountResourceId: format arm-id,
        # x-ms-arm-id-details allowedResources Microsoft.Storage/storageAccounts (account names: 3-24
        # lowercase letters and digits, azurerm storage/validate StorageAccountName).
        if script is not None and not formats.STORAGE_ACCOUNT_ID.fullmatch(script.storage_account_id):
            yield (
                pool.loc("images", index, "provisioning_script", "storage_account_id"),
                f"{script.storage_account_id!r} is not a storage account id; allowed: /subscriptions/<guid>/"
                "resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<3-24 lowercase letters or digits>",
            )


MAX_INSTANCE_MIX_SIZES = 5
"""learn.microsoft.com/azure/virtual-machine-scale-sets/instance-mix-overview: up to five VM sizes."""


def instance_mix_rules(pool: Pool) -> Iterator[Finding]:
    """learn.microsoft.com/azure/virtual-machine-scale-sets/instance-mix-overview: up to five VM sizes, all of
    one CPU architecture (told by the size name, mdpool.validate.architecture; a name off the convention
    is not judged)."""
    sizes = pool.instance_mix
    if len(sizes) > MAX_INSTANCE_MIX_SIZES:
        yield pool.loc("instance_mix"), f"{len(sizes)} VM sizes; allowed: at most {MAX_INSTANCE_MIX_SIZES} in an instance mix"
    architectures = {size: size_architecture(size) for size in sizes}
    first = next(((size, arch) for size, arch in architectures.items() if arch is not None), None)
    for index, size in enumerate(sizes):
        arch = architectures[size]
        if first is not None and arch is not None and arch != first[1]:
            yield (
                pool.loc("instance_mix", index),
                (
                    f"{size!r} is an {arch} size and {first[0]!r} an {first[1]} size; allowed: sizes of one "
                    "architecture in an instance mix (a 'p' among the feature letters is Arm64)"
                ),
            )


def resource_disk_rules(pool: Pool) -> Iterator[Finding]:
    """learn.microsoft.com/azure/virtual-machines/ephemeral-os-disks: an ephemeral OS disk on the resource disk
    needs a size with a local temporary disk. Only the name tells here (a warning; `mdpool doctor` reads the
    size's MaxResourceVolumeMB capability, check resource-disk)."""
    without = [size for size in pool.vm_sizes if lacks_temp_disk(size)]
    if not without:
        return
    for index, image in enumerate(pool.images):
        if image.ephemeral == "ResourceDisk":
            yield (
                pool.loc("images", index, "ephemeral"),
                (
                    f"ResourceDisk needs a VM size with a local temporary disk, and {', '.join(without)} "
                    "has none by its name (no 'd' feature letter); use a size like Standard_D2ads_v5, "
                    "or CacheDisk or Automatic"
                ),
                WARNING,
            )
