"""Issue 21's parity gaps, both sides of each bound, the limits taken from the sources (not from mdpool):

- gallery image versions: Major.Minor.Patch, each part a 32-bit integer (compute REST spec,
  galleryImageVersionName), so 2147483647 is the largest part;
- location: go-azure-helpers `location.Normalize` (lower case, spaces removed) and the regions the ARM
  locations list returns (an unknown one is a warning: the list is a snapshot);
- instance mix: at most five VM sizes, one architecture (Learn, instance-mix-overview);
- Arm64 gallery images are Hyper-V generation V2 only (Learn, generation-2; the gallery-image AVM);
- ephemeral OS disk on the resource disk: a size with a temporary disk (Learn, ephemeral-os-disks;
  vm-naming-conventions `d`);
- the short marketplace `resourceId` of Microsoft's own 2026-06-02 request example;
- every pattern a full match: a trailing newline is refused.
"""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.problems import InputError
from tests.core.test_parity_rules import ERROR, OK, WARNING
from tests.core.test_config_rules import write

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
STORAGE = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/scripts01"
GALLERY_IMAGE = 2  # pool.images[2] is the gallery image ubuntu-22.04 in the example config
MIX = {"pool.sku": None}  # filled per case: instance_mix replaces sku, so sku is deleted


def _mix(*sizes: str) -> dict:
    from tests.core.test_config_rules import DELETE

    return {"pool.sku": DELETE, "pool.instance_mix": list(sizes)}


def _script(account_id: str) -> dict:
    return {f"pool.images[{GALLERY_IMAGE}].provisioning_script": {"storage_account_id": account_id, "entry_point": "setup.sh"}}


def _ephemeral(kind: str, size: str) -> dict:
    return {"pool.sku": size, "pool.images[0].ephemeral": kind}


CASES = [
    # galleryImageVersionName: each part within a 32-bit integer
    ("version max parts", {f"pool.images[{GALLERY_IMAGE}].version": "2147483647.2147483647.2147483647"}, OK),
    (
        "version part over int32",
        {f"pool.images[{GALLERY_IMAGE}].version": "2147483648.0.0"},
        ERROR,
        f"pool.images[{GALLERY_IMAGE}].version",
        "has a part over 2147483647",
    ),
    (
        "version patch over int32",
        {f"pool.images[{GALLERY_IMAGE}].version": "1.0.2147483648"},
        ERROR,
        f"pool.images[{GALLERY_IMAGE}].version",
        "32-bit integers",
    ),
    (
        "version newline",
        {f"pool.images[{GALLERY_IMAGE}].version": "1.0.0\n"},
        ERROR,
        f"pool.images[{GALLERY_IMAGE}].version",
        "allowed: latest or a gallery image version",
    ),
    # location: display names are read as names; an unknown region warns with the closest name
    ("location display name", {"location": "West Europe"}, OK),
    ("location other region", {"location": "swedencentral"}, OK),
    ("location typo", {"location": "westeruope"}, WARNING, "location", "did you mean 'westeurope'?"),
    ("location unknown", {"location": "marsnorth"}, WARNING, "location", "is not an Azure region mdpool knows"),
    ("location hyphen", {"location": "west-europe"}, ERROR, "location", "is not allowed"),
    # instance mix: at most five sizes, one architecture
    ("mix five", _mix("Standard_D2ads_v5", "Standard_D4ads_v5", "Standard_D8ads_v5", "Standard_D2as_v5", "Standard_D4as_v5"), OK),
    (
        "mix six",
        _mix(
            "Standard_D2ads_v5",
            "Standard_D4ads_v5",
            "Standard_D8ads_v5",
            "Standard_D2as_v5",
            "Standard_D4as_v5",
            "Standard_D8as_v5",
        ),
        ERROR,
        "pool.instance_mix",
        "6 VM sizes; allowed: at most 5",
    ),
    ("mix all arm64", _mix("Standard_D2ps_v5", "Standard_D4pds_v5"), OK),
    (
        "mix x64 and arm64",
        _mix("Standard_D2ads_v5", "Standard_D2pds_v5"),
        ERROR,
        "pool.instance_mix[1]",
        "is an Arm64 size and 'Standard_D2ads_v5' an x64 size",
    ),
    # Arm64 images are generation 2 only
    ("arm64 v2", {"gallery.images[0].architecture": "Arm64", "gallery.images[0].build.vm_size": "Standard_D4ps_v5"}, OK),
    (
        "arm64 v1",
        {
            "gallery.images[0].architecture": "Arm64",
            "gallery.images[0].hyper_v_generation": "V1",
            "gallery.images[0].build.vm_size": "Standard_D4ps_v5",
        },
        ERROR,
        "gallery.images[0].hyper_v_generation",
        "V1 is not allowed for an Arm64 image",
    ),
    ("x64 v1", {"gallery.images[0].hyper_v_generation": "V1"}, OK),
    # ephemeral OS disk on the resource disk: the size needs a temporary disk (`d`), judged on v4+ names
    ("resource disk with d", _ephemeral("ResourceDisk", "Standard_D2ads_v5"), OK),
    ("resource disk v3 name", _ephemeral("ResourceDisk", "Standard_D2s_v3"), OK),
    (
        "resource disk without d",
        _ephemeral("ResourceDisk", "Standard_D2as_v5"),
        WARNING,
        "pool.images[0].ephemeral",
        "ResourceDisk needs a VM size with a local temporary disk",
    ),
    ("cache disk without d", _ephemeral("CacheDisk", "Standard_D2as_v5"), OK),
    # Microsoft's 2026-06-02 example: the short marketplace form
    (
        "short marketplace id",
        {
            "pool.images[0].well_known": None,
            "pool.images[0].resource_id": "/MicrosoftWindowsServer/WindowsServer/2019-Datacenter/latest",
        },
        OK,
    ),
    (
        "short marketplace version",
        {"pool.images[0].well_known": None, "pool.images[0].resource_id": "/Canonical/ubuntu-24_04-lts/server/24.04.202501010"},
        OK,
    ),
    (
        "short form newline",
        {
            "pool.images[0].well_known": None,
            "pool.images[0].resource_id": "/MicrosoftWindowsServer/WindowsServer/2019-Datacenter/latest\n",
        },
        ERROR,
        "pool.images[0].resource_id",
        "contains control characters",
    ),
    # provisioning script storage account: the whole value is an id
    ("script account", _script(STORAGE), OK),
    (
        "script account newline",
        _script(STORAGE + "\n"),
        ERROR,
        f"pool.images[{GALLERY_IMAGE}].provisioning_script.storage_account_id",
        "is not a storage account id",
    ),
    (
        "script account 25 letters",
        _script(f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{'a' * 25}"),
        ERROR,
        f"pool.images[{GALLERY_IMAGE}].provisioning_script.storage_account_id",
        "is not a storage account id",
    ),
    # static IP count: the spec says int32 and gives no bound; mdpool refuses a negative count
    (
        "static ip 0",
        {
            "pool.network": {
                "static_ip_count": 0,
                "subnet_id": f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
            }
        },
        OK,
    ),
    ("static ip max", {"pool.network": {"static_ip_count": 2147483647}}, OK),
    ("static ip negative", {"pool.network": {"static_ip_count": -1}}, ERROR, "pool.network.static_ip_count", "out of range"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_round_three_rules_both_sides(tmp_path, case):
    _, changes, outcome, *expected = case
    from tests.core.test_config_rules import DELETE

    changes = {path: (DELETE if value is None else value) for path, value in changes.items()}
    config_file = write(tmp_path, changes)
    if outcome == ERROR:
        with pytest.raises(InputError) as caught:
            load_config(config_file)
        path, text = expected
        lines = [str(p) for p in caught.value.problems]
        assert any(f": {path}: " in line and text in line and ": warning: " not in line for line in lines), lines
        return
    config = load_config(config_file)
    warnings = [str(w) for w in config.warnings]
    if outcome == WARNING:
        path, text = expected
        assert any(f": {path}: warning: " in line and text in line for line in warnings), warnings
    else:
        assert warnings == [], warnings


def test_a_display_name_reaches_names_and_resources_as_the_region_name(tmp_path):
    config = load_config(write(tmp_path, {"location": "West Europe"}))
    assert config.location == "westeurope"
    assert config.names.pool == "mdp-jhp-dev-weu"  # the region code of westeurope, not of "West Europe"
