"""Both sides of every rule taken from the azurerm provider or Microsoft's docs: the value at the limit is
accepted, one step past it is refused (or warned about), with the message asserted.

Limits come from the sources named in mdpool/rules.py and docs/rules.md (e.g. the provider's
`IntAtLeast(1)` for all_week_schedule, `^[F-Zf-z]$` for drive letters, tags.Validate's 50/512/256),
not from mdpool's code.
"""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.problems import InputError
from tests.core.test_config_rules import DELETE, write

OK, ERROR, WARNING = "ok", "error", "warning"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
PLATFORM_ID = (
    f"{SUB}/providers/Microsoft.Compute/locations/westeurope/publishers/Canonical/artifactTypes/vmImage"
    "/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts/versions/22.04.202501010"
)
GALLERY_IMAGE_ID = f"{SUB}/resourceGroups/rg-other/providers/Microsoft.Compute/galleries/gal_other/images/img/versions/1.0.0"
SUBNET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"
IDENTITY = f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
ALL_WEEK = {"pool.standby.manual.days": DELETE}
SIZE = {"pool.organizations[0].parallelism": None}  # filled in per case: parallelism follows maximum_concurrency


def _concurrency(count: int) -> dict:
    return {"pool.maximum_concurrency": count, "pool.organizations[0].parallelism": count}


def _network(prefix: str) -> dict:
    return {"pool.network": {"new": {"address_space": "10.0.0.0/24", "subnet_prefix": prefix}}}


def _tags(count: int) -> dict:
    return {"tags": {f"t{index}": "v" for index in range(count)}}


CASES = [
    # standby schedule: time zones (ResourcePredictionsProfileTimeZone, case-sensitive)
    ("tz UTC-11", {"pool.standby.manual.time_zone": "UTC-11"}, OK),
    ("tz windows id", {"pool.standby.manual.time_zone": "W. Europe Standard Time"}, OK),
    (
        "tz iana",
        {"pool.standby.manual.time_zone": "Europe/Berlin"},
        ERROR,
        "pool.standby.manual.time_zone",
        "'Europe/Berlin' is not a time zone Azure knows",
    ),
    ("tz case", {"pool.standby.manual.time_zone": "utc"}, ERROR, "pool.standby.manual.time_zone", "did you mean 'UTC'?"),
    # all_week_schedule: IntAtLeast(1), at most maximum_concurrency (10)
    ("all_week 1", {**ALL_WEEK, "pool.standby.manual.all_week": 1}, OK),
    ("all_week 10", {**ALL_WEEK, "pool.standby.manual.all_week": 10}, OK),
    (
        "all_week 0",
        {**ALL_WEEK, "pool.standby.manual.all_week": 0},
        ERROR,
        "pool.standby.manual.all_week",
        "0 standby agents is not allowed; allowed: 1 to maximum_concurrency (10)",
    ),
    (
        "all_week 11",
        {**ALL_WEEK, "pool.standby.manual.all_week": 11},
        ERROR,
        "pool.standby.manual.all_week",
        "allowed: 1 to maximum_concurrency (10)",
    ),
    # day schedules: at least one day; Sunday counts like any other day
    ("no day", {"pool.standby.manual.days": {}}, ERROR, "pool.standby.manual.days", "no day has a time"),
    ("sunday only", {"pool.standby.manual.days": {"sunday": {"00:00:00": 10, "23:59:59": 0}}}, OK),
    (
        "sunday over",
        {"pool.standby.manual.days": {"sunday": {"00:00:00": 11}}},
        ERROR,
        'pool.standby.manual.days.sunday["00:00:00"]',
        "11 standby agents is not allowed",
    ),
    (
        "sunday negative",
        {"pool.standby.manual.days": {"sunday": {"12:00": -1}}},
        ERROR,
        'pool.standby.manual.days.sunday["12:00"]',
        "-1 standby agents is not allowed; allowed: 0 to",
    ),
    # dayScheduleSchemaOptional: ^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$
    ("sunday 23:59:59", {"pool.standby.manual.days": {"sunday": {"23:59:59": 1}}}, OK),
    (
        "sunday 60 minutes",
        {"pool.standby.manual.days": {"sunday": {"04:60": 1}}},
        ERROR,
        'pool.standby.manual.days.sunday["04:60"]',
        "is not a time of day",
    ),
    (
        "sunday 60 seconds",
        {"pool.standby.manual.days": {"sunday": {"04:00:60": 1}}},
        ERROR,
        'pool.standby.manual.days.sunday["04:00:60"]',
        "is not a time of day",
    ),
    (
        "sunday 24h",
        {"pool.standby.manual.days": {"sunday": {"24:00:00": 1}}},
        ERROR,
        'pool.standby.manual.days.sunday["24:00:00"]',
        "is not a time of day",
    ),
    # subnet size: maximum_concurrency + 5 addresses; a /28 has 16
    ("subnet at limit", {**_concurrency(11), **_network("10.0.0.0/28")}, OK),
    (
        "subnet one short",
        {**_concurrency(12), **_network("10.0.0.0/28")},
        ERROR,
        "pool.network.new.subnet_prefix",
        "10.0.0.0/28 has 16 addresses; the pool needs maximum_concurrency + 5 = 17",
    ),
    ("subnet host bits", _network("10.0.0.1/28"), ERROR, "pool.network.new.subnet_prefix", "is not a network"),
    # permission accounts: IsEmailAddress for users and groups
    ("email user", {"pool.permission": {"kind": "SpecificAccounts", "users": ["ops@contoso.com"]}}, OK),
    ("email named", {"pool.permission": {"kind": "SpecificAccounts", "groups": ["Build Admins <admins@contoso.com>"]}}, OK),
    (
        "group not email",
        {"pool.permission": {"kind": "SpecificAccounts", "groups": ["[acme]\\Admins"]}},
        ERROR,
        "pool.permission.groups[0]",
        "is not an e-mail address",
    ),
    (
        "user newline",
        {"pool.permission": {"kind": "SpecificAccounts", "users": ["ops@contoso.com\n"]}},
        ERROR,
        "pool.permission.users[0]",
        "is not an e-mail address",
    ),
    (  # net/mail.ParseAddress takes one address ("expected single address"), never a list
        "user two addresses",
        {"pool.permission": {"kind": "SpecificAccounts", "users": ["ops@contoso.com, dev@contoso.com"]}},
        ERROR,
        "pool.permission.users[0]",
        "is not an e-mail address",
    ),
    # Azure DevOps project names (validate.ProjectName)
    ("project 64", {"pool.organizations[0].projects": ["p" * 64]}, OK),
    (
        "project 65",
        {"pool.organizations[0].projects": ["p" * 65]},
        ERROR,
        "pool.organizations[0].projects[0]",
        "has 65 characters; allowed: 1 to 64",
    ),
    (
        "project underscore",
        {"pool.organizations[0].projects": ["_p"]},
        ERROR,
        "pool.organizations[0].projects[0]",
        "starts with _ or .",
    ),
    (
        "project period",
        {"pool.organizations[0].projects": ["p."]},
        ERROR,
        "pool.organizations[0].projects[0]",
        "ends with a period",
    ),
    (
        "project colon",
        {"pool.organizations[0].projects": ["a:b"]},
        ERROR,
        "pool.organizations[0].projects[0]",
        "a character Azure DevOps refuses",
    ),
    ("project reserved", {"pool.organizations[0].projects": ["Bin"]}, ERROR, "pool.organizations[0].projects[0]", "is reserved"),
    ("project spaces", {"pool.organizations[0].projects": ["My Project"]}, OK),
    # buffers: ^(?:\*|[0-9][0-9]?|100)$
    ("buffer 100", {}, OK),
    (
        "buffer 007",
        {"pool.images[1].buffer": "007"},
        ERROR,
        "pool.images[1].buffer",
        "allowed: * (even share) or a number from 0 to 100",
    ),
    ("buffer 00", {"pool.images[1].buffer": "00"}, OK),
    # compute/validate SharedImageVersionName: latest or three parts of 1-10 digits
    ("version 3 parts", {"pool.images[2].version": "1.0.0"}, OK),
    (
        "version 2 parts",
        {"pool.images[2].version": "1.0"},
        ERROR,
        "pool.images[2].version",
        "allowed: latest or a gallery image version like 1.0.0",
    ),
    # configure-images: numeric buffers with `*` images may take all 100, the `*` images then share nothing
    (
        "buffers 100 with star",
        {"pool.images[0].buffer": "60", "pool.images[1].buffer": "40", "pool.images[2].buffer": "*"},
        OK,
    ),
    (
        "buffers 101 with star",
        {"pool.images[0].buffer": "60", "pool.images[1].buffer": "41", "pool.images[2].buffer": "*"},
        ERROR,
        "pool.images",
        "numeric buffers add up to 101; with * images they may add up to 100 at most",
    ),
    ("buffer newline", {"pool.images[1].buffer": "0\n"}, ERROR, "pool.images[1].buffer", "allowed: * (even share)"),
    # data disk: drive letter F-Z, caching None/ReadOnly/ReadWrite
    ("drive F", {"pool.data_disk": {"size_gb": 1, "drive_letter": "F"}}, OK),
    ("drive z", {"pool.data_disk": {"size_gb": 32767, "drive_letter": "z"}}, OK),
    (
        "drive B",
        {"pool.data_disk": {"size_gb": 64, "drive_letter": "B"}},
        ERROR,
        "pool.data_disk.drive_letter",
        "allowed: one letter from F to Z",
    ),
    (
        "drive E",
        {"pool.data_disk": {"size_gb": 64, "drive_letter": "e"}},
        ERROR,
        "pool.data_disk.drive_letter",
        "allowed: one letter from F to Z",
    ),
    (
        "drive on linux",
        {
            "pool.data_disk": {"size_gb": 64, "drive_letter": "F"},
            "pool.images[1]": DELETE,
            "pool.images[0].buffer": "*",
            "pool.images[1].buffer": "*",
        },
        WARNING,
        "pool.data_disk.drive_letter",
        "no Windows image",
    ),
    ("caching None", {"pool.data_disk": {"size_gb": 64, "caching": "None"}}, OK),  # the 2026-06-02 spec's CachingType
    (
        "caching none",
        {"pool.data_disk": {"size_gb": 64, "caching": "none"}},
        ERROR,
        "pool.data_disk.caching",
        "allowed: 'None', 'ReadOnly' or 'ReadWrite'",
    ),
    # image by any resource id (azure.ValidateResourceID)
    ("id platform", {"pool.images[1]": {"resource_id": PLATFORM_ID, "buffer": "0"}}, OK),
    ("id other gallery", {"pool.images[1]": {"resource_id": GALLERY_IMAGE_ID, "buffer": "0"}}, OK),
    ("id other definition", {"pool.images[1]": {"resource_id": GALLERY_IMAGE_ID.split("/versions/")[0], "buffer": "0"}}, OK),
    (
        "id managed image",
        {
            "pool.images[1]": {
                "resource_id": f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/agent-image",
                "buffer": "0",
            }
        },
        OK,
    ),
    # the form Microsoft's docs show (MicrosoftDocs/azure-devops-docs managed-devops-pools/configure-images.md)
    (
        "id docs form",
        {
            "pool.images[1]": {
                "resource_id": f"{SUB}/Providers/Microsoft.Compute/Locations/eastus/publishers/canonical"
                "/artifacttypes/vmimage/offers/0001-com-ubuntu-server-focal/skus"
                "/20_04-lts-gen2/versions/latest",
                "buffer": "0",
            }
        },
        OK,
    ),
    (
        "id odd",
        {"pool.images[1]": {"resource_id": f"{SUB}/resourceGroups", "buffer": "0"}},
        ERROR,
        "pool.images[1].resource_id",
        "odd number of path segments",
    ),
    (
        "id relative",
        {"pool.images[1]": {"resource_id": "subscriptions/x/resourceGroups/y", "buffer": "0"}},
        ERROR,
        "pool.images[1].resource_id",
        "must start with /subscriptions/",
    ),
    (
        "id capital",
        {"pool.images[1]": {"resource_id": "/Subscriptions/x/resourceGroups/y", "buffer": "0"}},
        ERROR,
        "pool.images[1].resource_id",
        "names no subscription",
    ),
    (
        "id empty segment",
        {"pool.images[1]": {"resource_id": "/subscriptions//resourceGroups/y", "buffer": "0"}},
        ERROR,
        "pool.images[1].resource_id",
        "empty path segment",
    ),
    (
        "id unknown form",
        {"pool.images[1]": {"resource_id": f"{SUB}/resourceGroups/rg", "buffer": "0"}},
        WARNING,
        "pool.images[1].resource_id",
        "is not a form of image id mdpool knows",
    ),
    ("id and well_known", {"pool.images[1].resource_id": PLATFORM_ID}, ERROR, "pool.images[1]", "give exactly one of"),
    (
        "id with version",
        {"pool.images[1]": {"resource_id": PLATFORM_ID, "version": "1.0.0", "buffer": "0"}},
        ERROR,
        "pool.images[1].version",
        "version applies to gallery images",
    ),
    ("well_known empty", {"pool.images[1].well_known": ""}, ERROR, "pool.images[1].well_known", "must not be empty"),
    (
        "well_known unknown",
        {"pool.images[1].well_known": "ubuntu-26.04/latest"},
        WARNING,
        "pool.images[1].well_known",
        "not a well-known image mdpool knows",
    ),
    # subnet and identity ids: case-sensitive segments (resourceids parser)
    ("subnet id", {"pool.network": {"subnet_id": SUBNET}}, OK),
    (
        "subnet id case",
        {"pool.network": {"subnet_id": SUBNET.replace("resourceGroups", "resourcegroups")}},
        ERROR,
        "pool.network.subnet_id",
        "segment 'resourcegroups' must be spelt 'resourceGroups'",
    ),
    ("subnet id slash", {"pool.network": {"subnet_id": SUBNET + "/"}}, ERROR, "pool.network.subnet_id", "not a subnet id"),
    ("identity id", {"pool.identity_ids": [IDENTITY]}, OK),
    (
        "identity twice",
        {
            "pool.identity_ids": [
                IDENTITY,
                IDENTITY.upper()
                .replace("SUBSCRIPTIONS", "subscriptions")
                .replace("RESOURCEGROUPS", "resourceGroups")
                .replace("PROVIDERS", "providers")
                .replace("MICROSOFT.MANAGEDIDENTITY", "Microsoft.ManagedIdentity")
                .replace("USERASSIGNEDIDENTITIES", "userAssignedIdentities"),
            ]
        },
        WARNING,
        "pool.identity_ids[1]",
        "the same identity as identity_ids[0]",
    ),
    (
        "identity id case",
        {"pool.identity_ids": [IDENTITY.replace("Microsoft.ManagedIdentity", "microsoft.managedidentity")]},
        ERROR,
        "pool.identity_ids[0]",
        "must be spelt 'Microsoft.ManagedIdentity'",
    ),
    # Key Vault certificates: versionless secret ids
    ("kv secret", {"pool.key_vault": {"certificate_ids": ["https://kv.vault.azure.net/secrets/c"]}}, OK),
    (
        "kv versioned",
        {"pool.key_vault": {"certificate_ids": ["https://kv.vault.azure.net/secrets/c/0123"]}},
        ERROR,
        "pool.key_vault.certificate_ids[0]",
        "names a version",
    ),
    (
        "kv certificate",
        {"pool.key_vault": {"certificate_ids": ["https://kv.vault.azure.net/certificates/c"]}},
        ERROR,
        "pool.key_vault.certificate_ids[0]",
        "not a secret id",
    ),
    (
        "kv store empty",
        {"pool.key_vault": {"certificate_ids": ["https://kv.vault.azure.net/secrets/c"], "store_location": ""}},
        ERROR,
        "pool.key_vault.store_location",
        "must not be empty",
    ),
    # tags: 50 per resource, key 512 and value 256 bytes of UTF-8
    ("tags 50", _tags(50), OK),
    ("tags 51", _tags(51), ERROR, "tags", "51 tags; allowed: at most 50"),
    ("tag key 512", {"tags": {"k" * 512: "v"}}, OK),
    ("tag key 513", {"tags": {"k" * 513: "v"}}, ERROR, "tags", "tag name has 513 bytes; allowed: at most 512"),
    ("tag key utf8", {"tags": {"é" * 257: "v"}}, ERROR, "tags", "tag name has 514 bytes"),
    # ARM tag names: none of < > % & backslash ? / (learn.microsoft.com azure-resource-manager tag-resources, Limitations)
    ("tag key backslash", {"tags": {"a\\b": "v"}}, ERROR, "tags", "tag names may not contain any of"),
    ("tag key question mark", {"tags": {"a?b": "v"}}, ERROR, "tags", "tag names may not contain any of"),
    ("tag key plain", {"tags": {"a-b_c.d": "v"}}, OK),
    ("tag value 256", {"tags": {"k": "v" * 256}}, OK),
    ("tag value 257", {"tags": {"k": "v" * 257}}, ERROR, "tags.k", "tag value has 257 bytes; allowed: at most 256"),
    ("tag value utf8", {"tags": {"k": "é" * 129}}, ERROR, "tags.k", "tag value has 258 bytes"),
    # gallery image identifiers: SharedImageIdentifierAttribute(128/64/64)
    ("publisher 128", {"gallery.images[0].identifier.publisher": "P" * 128}, OK),
    (
        "publisher 129",
        {"gallery.images[0].identifier.publisher": "P" * 129},
        ERROR,
        "gallery.images[0].identifier.publisher",
        "has 129 characters; allowed: 1 to 128",
    ),
    ("offer 64", {"gallery.images[0].identifier.offer": "O" * 64}, OK),
    (
        "offer 65",
        {"gallery.images[0].identifier.offer": "O" * 65},
        ERROR,
        "gallery.images[0].identifier.offer",
        "allowed: 1 to 64",
    ),
    (
        "sku period",
        {"gallery.images[0].identifier.sku": "22.04."},
        ERROR,
        "gallery.images[0].identifier.sku",
        "ends with a period",
    ),
    (
        "sku space",
        {"gallery.images[0].identifier.sku": "22 04"},
        ERROR,
        "gallery.images[0].identifier.sku",
        "allowed: letters, digits, - _ .",
    ),
    (
        "identifier case",
        {"gallery.images[1].identifier.sku": "22.04-lts"},
        WARNING,
        "gallery.images[1].identifier",
        "only in case",
    ),
    # uniqueness as Azure compares names: ignoring case
    ("image names case", {"gallery.images[1].name": "Ubuntu-22.04"}, ERROR, "gallery.images[1].name", "is defined twice"),
    (
        "template twice",
        {"gallery.images[1].build.template_name": "jhp-ubuntu-2204-buildagent"},
        ERROR,
        "gallery.images[1].build.template_name",
        "is also used by images[0]",
    ),
    (
        "template case",
        {"gallery.images[1].build.template_name": "JHP-ubuntu-2204-buildagent"},
        ERROR,
        "gallery.images[1].build.template_name",
        "is also used by images[0]",
    ),
    (
        "alias case",
        {"pool.images[1].aliases": ["Ubuntu-Latest"]},
        WARNING,
        "pool.images[1].aliases[0]",
        "already used by pool.images[0]",
    ),
    # no empty names anywhere
    ("role empty", {"builder.role_name": ""}, ERROR, "builder.role_name", "role definition name '' has 0 characters"),
    ("gallery empty", {"gallery.name": ""}, ERROR, "gallery.name", "gallery name '' has 0 characters"),
    ("pool empty", {"pool.name": ""}, ERROR, "pool.name", "managed devops pool name '' has 0 characters"),
    ("rg empty", {"resource_groups": {"pool": ""}}, ERROR, "resource_groups.pool", "resource group name '' has 0 characters"),
    ("identity empty", {"builder.identity_name": ""}, ERROR, "builder.identity_name", "user-assigned identity name '' has 0"),
    ("dev center empty", {"pool.dev_center_name": ""}, ERROR, "pool.dev_center_name", "dev center name '' has 0"),
    ("project empty", {"pool.project_name": ""}, ERROR, "pool.project_name", "dev center project name '' has 0"),
    (
        "template empty",
        {"gallery.images[0].build.template_name": ""},
        ERROR,
        "gallery.images[0].build.template_name",
        "image template name '' has 0",
    ),
    (
        "vnet empty",
        {"pool.network": {"new": {"name": "", "subnet_name": ""}}},
        ERROR,
        "pool.network.new.name",
        "virtual network name '' has 0",
    ),
    (
        "subnet empty",
        {"pool.network": {"new": {"subnet_name": ""}}},
        ERROR,
        "pool.network.new.subnet_name",
        "subnet name '' has 0",
    ),
    ("tag key empty", {"tags": {"": "v"}}, ERROR, "tags", "a tag name must not be empty"),
    ("rg case", {"resource_groups": {"gallery": "rg-A", "pool": "RG-a"}}, ERROR, "resource_groups.pool", "differ only in case"),
    ("rg unicode", {"resource_groups": {"pool": "rg-ü"}}, ERROR, "resource_groups.pool", "is not valid"),
    ("role odd", {"builder.role_name": "50%"}, WARNING, "builder.role_name", "contains %"),
    # pool name: ^[a-zA-Z0-9][a-zA-Z0-9-.]{1,42}[a-zA-Z0-9-]$
    ("pool 44", {"pool.name": "p" * 44}, OK),
    ("pool 45", {"pool.name": "p" * 45}, ERROR, "pool.name", "has 45 characters; allowed: 3 to 44"),
    ("pool period", {"pool.name": "pool."}, ERROR, "pool.name", "not ending in a period"),
    ("pool hyphen end", {"pool.name": "pool-"}, OK),
    # timespans (validate.AgentLifetime) and GUIDs: the whole value
    ("lifetime 7d", {"pool.agents.maximum_lifetime": "7.00:00:00"}, OK),
    (
        "lifetime 7d+1s",
        {"pool.agents.maximum_lifetime": "7.00:00:01"},
        ERROR,
        "pool.agents.maximum_lifetime",
        "longer than 7 days",
    ),
    ("lifetime short", {"pool.agents.grace_period": "2:0:0"}, OK),
    ("lifetime newline", {"pool.agents.grace_period": "00:30:00\n"}, ERROR, "pool.agents.grace_period", "is not a timespan"),
    # parseTimeSpan: hours 0-23, minutes and seconds 0-59
    ("lifetime 23:59:59", {"pool.agents.grace_period": "23:59:59"}, OK),
    ("lifetime 24h", {"pool.agents.grace_period": "24:00:00"}, ERROR, "pool.agents.grace_period", "hours over 23"),
    ("lifetime 60m", {"pool.agents.grace_period": "00:60:00"}, ERROR, "pool.agents.grace_period", "over 59"),
    ("lifetime 60s", {"pool.agents.grace_period": "1.00:00:60"}, ERROR, "pool.agents.grace_period", "over 59"),
    ("guid newline", {"subscription_id": "00000000-0000-0000-0000-000000000000\n"}, ERROR, "subscription_id", "must be a GUID"),
    ("environment newline", {"environment": "dev\n"}, ERROR, "environment", "is not allowed"),
    (
        "url newline",
        {"pool.organizations[0].url": "https://dev.azure.com/x\n"},
        ERROR,
        "pool.organizations[0].url",
        "control characters",
    ),
    # sizes and folders
    ("sku empty", {"pool.sku": ""}, ERROR, "pool.sku", "at least 1 character"),
    ("sku odd", {"pool.sku": "D2"}, WARNING, "pool.sku", "does not look like a VM size"),
    ("work folder empty", {"pool.work_folder": ""}, ERROR, "pool.work_folder", "must not be empty"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_rule_both_sides(tmp_path, case):
    _, changes, outcome, *expected = case
    config_file = write(tmp_path, changes)
    if outcome == ERROR:
        with pytest.raises(InputError) as caught:
            load_config(config_file)
        path, text = expected
        lines = [str(p) for p in caught.value.problems]
        assert any(f": {path}" in line and text in line and ": warning: " not in line for line in lines), lines
        assert all("\n" not in line for line in lines)
        return
    config = load_config(config_file)
    warnings = [str(w) for w in config.warnings]
    if outcome == WARNING:
        path, text = expected
        assert any(f": {path}: warning: " in line and text in line for line in warnings), warnings
    else:
        assert warnings == [], warnings


def test_example_and_full_config_have_no_warnings():
    from tests.conftest import EXAMPLE_CONFIG, REPO

    for path in (EXAMPLE_CONFIG, REPO / "tests" / "core" / "configs" / "full.yaml"):
        assert load_config(path).warnings == [], path


def test_sunday_schedule_reaches_the_pool(tmp_path):
    from mdpool.constructs.pool_body import agent_profile

    config = load_config(write(tmp_path, {"pool.standby.manual.days": {"sunday": {"6:00": 2, "20:00:00": 0}}}))
    days = agent_profile(config.pool)["resourcePredictions"]["daysData"]
    # daysData is seven maps starting on Sunday (azurerm manageddevopspools helpers.go expandResourcePredictionsModel)
    assert days[0] == {"06:00:00": 2, "20:00:00": 0}
    assert days[1:] == [{}] * 6
