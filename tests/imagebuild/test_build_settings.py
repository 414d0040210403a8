"""Build settings in the config: boot optimization, staging group, build network, and the fit warnings
(timeout against Microsoft's phase figures, replicas against the pool's concurrency).

Expected numbers come from the sources, not from mdpool: boot optimization adds a median 20 min (Linux) /
34 min (Windows) (Learn, "VM boot optimization"); replication 15-20 min per region (lower figure 15);
one replica per 20 machines created at once (Learn, Azure Compute Gallery, "Scaling"); ReplicaCount
defaults to 1 (Image Builder spec 2025-10-01, TargetRegion).
"""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from mdpool.imagebuild import image_specs, load_definition
from mdpool.imagebuild.template import content_hash, image_template, settings_content_hash
from mdpool.problems import InputError
from tests.imagebuild.configs_helper import definition, region, write_config

SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network"
    "/virtualNetworks/vnet-build/subnets/{}"
)


def warnings_of(path, field: str) -> list[str]:
    return [str(w) for w in load_config(path).warnings if field in w.path]


def errors_of(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


# --- boot optimization ---------------------------------------------------------------------------


def rendered(path) -> dict:
    (spec,) = image_specs(load_config(path))
    return image_template(load_definition(spec), spec.settings, run_output="aib-20261203090000")


def test_boot_optimization_is_on_by_default_and_off_when_asked(tmp_path):
    doc = definition(region("westeurope"))
    default = rendered(write_config(tmp_path, definition=doc))
    assert default["properties"]["optimize"] == {"vmBoot": {"state": "Enabled"}}
    off = rendered(write_config(tmp_path, definition=doc, build={"boot_optimization": False}))
    assert off["properties"]["optimize"] == {"vmBoot": {"state": "Disabled"}}
    on = rendered(write_config(tmp_path, definition=doc, build={"boot_optimization": True}))
    assert on["properties"]["optimize"] == {"vmBoot": {"state": "Enabled"}}


def test_boot_optimization_is_in_the_content_hash_and_leaves_existing_hashes_alone(tmp_path):
    doc = definition(region("westeurope"))

    def digest(**build) -> str:
        (spec,) = image_specs(load_config(write_config(tmp_path, definition=doc, build=build)))
        return settings_content_hash(load_definition(spec), spec.settings)

    (spec,) = image_specs(load_config(write_config(tmp_path, definition=doc)))
    before_the_setting = content_hash(load_definition(spec), spec.settings.source, spec.settings.architecture)
    assert digest() == digest(boot_optimization=True) == before_the_setting  # no rebuild of existing images
    assert digest(boot_optimization=False) != before_the_setting  # turning it off is a new image


def test_boot_optimization_on_arm64_is_off_by_default_and_on_when_asked(tmp_path):
    # vm-boot-optimization.md, "Image types supported": Architecture X64, ARM64 (an Arm64 `true` is not refused)
    arm = {"architecture": "Arm64"}
    doc = definition(region("westeurope"))
    for unset_or_off in ({}, {"boot_optimization": False}):
        body = rendered(write_config(tmp_path, definition=doc, image=arm, build=unset_or_off))
        assert "optimize" not in body["properties"]  # as before the setting existed: no rebuild
    on = rendered(write_config(tmp_path, definition=doc, image=arm, build={"boot_optimization": True}))
    assert on["properties"]["optimize"] == {"vmBoot": {"state": "Enabled"}}


# --- build timeout against the phases -------------------------------------------------------------


@pytest.mark.parametrize(
    "os_type, regions, boot, needed",
    [
        ("Linux", 1, None, 20 + 15),
        ("Windows", 1, None, 34 + 15),
        ("Windows", 3, None, 34 + 3 * 15),
        ("Windows", 2, False, 2 * 15),  # no optimization: replication only
    ],
)
def test_a_timeout_below_the_phases_warns_by_how_much_and_one_at_the_figure_does_not(tmp_path, os_type, regions, boot, needed):
    doc = definition(*(region(name) for name in ("westeurope", "northeurope", "swedencentral")[:regions]), os_type=os_type)
    image = {"os_type": os_type}
    build = {} if boot is None else {"boot_optimization": boot}
    if os_type == "Windows":
        build["source"] = {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-g2"}
    at = write_config(tmp_path, definition=doc, image=image, build={**build, "timeout_minutes": needed})
    assert warnings_of(at, "timeout_minutes") == []
    below = write_config(tmp_path, definition=doc, image=image, build={**build, "timeout_minutes": needed - 1})
    (line,) = warnings_of(below, "timeout_minutes")
    assert f"{needed - 1} minutes is 1 short of the {needed} minutes" in line and "warning:" in line
    assert "VM boot optimization" in line and "Azure Compute Gallery" in line


@pytest.mark.parametrize("boot, needed", [(None, 15), (False, 15), (True, 20 + 15)])
def test_an_arm64_build_needs_the_optimization_minutes_only_when_asked(tmp_path, boot, needed):
    doc = definition(region("westeurope"))
    build = {} if boot is None else {"boot_optimization": boot}
    image = {"architecture": "Arm64"}
    at = write_config(tmp_path, definition=doc, image=image, build={**build, "timeout_minutes": needed})
    assert warnings_of(at, "timeout_minutes") == []
    below = write_config(tmp_path, definition=doc, image=image, build={**build, "timeout_minutes": needed - 1})
    (line,) = warnings_of(below, "timeout_minutes")
    assert f"1 short of the {needed} minutes" in line


# --- replicas for the pool ------------------------------------------------------------------------


def pool_of(concurrency: int) -> dict:
    return {
        "maximum_concurrency": concurrency,
        "organizations": [{"url": "https://dev.azure.com/your-organization", "parallelism": concurrency}],
        "images": [{"gallery_image": "ubuntu-22.04"}],
        "standby": {"kind": "off"},
    }


@pytest.mark.parametrize("replicas, fits, too_many", [(None, 20, 21), (2, 40, 41), (3, 60, 61)])
def test_one_replica_per_20_machines_created_at_once(tmp_path, replicas, fits, too_many):
    doc = definition(region("westeurope", replicas))
    assert warnings_of(write_config(tmp_path, definition=doc, pool=pool_of(fits)), "gallery_image") == []
    (line,) = warnings_of(write_config(tmp_path, definition=doc, pool=pool_of(too_many)), "gallery_image")
    wanted = (too_many + 19) // 20
    assert f"has {replicas or 1} replica" in line and f"wants {wanted}" in line and "Scaling" in line


def test_a_pool_region_no_target_region_covers_warns(tmp_path):
    doc = definition(region("northeurope", 5))
    (line,) = warnings_of(write_config(tmp_path, definition=doc, pool=pool_of(10)), "gallery_image")
    assert "not replicated to the pool's region westeurope" in line and "northeurope" in line


def test_pool_images_mdpool_does_not_build_are_not_judged(tmp_path):
    pool = {**pool_of(100), "images": [{"well_known": "ubuntu-22.04/latest"}]}
    config = write_config(tmp_path, definition=definition(region("northeurope")), pool=pool)
    assert warnings_of(config, "gallery_image") == []


# --- staging resource group and build network -----------------------------------------------------


def test_staging_group_and_network_render_into_the_template(tmp_path):
    network = {"subnet_id": SUBNET.format("build"), "container_instance_subnet_id": SUBNET.format("aci")}
    config = write_config(
        tmp_path,
        definition=definition(region("westeurope")),
        builder={"staging_resource_group": "rg-aib-staging"},
        build={"network": network},
    )
    body = rendered(config)
    props = body["properties"]
    assert props["stagingResourceGroup"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aib-staging-ubuntu-22.04"
    )
    assert props["vmProfile"]["vnetConfig"] == {
        "subnetId": SUBNET.format("build"),
        "containerInstanceSubnetId": SUBNET.format("aci"),
    }
    (spec,) = image_specs(load_config(config))
    plain = write_config(tmp_path, definition=definition(region("westeurope")))
    (plain_spec,) = image_specs(load_config(plain))
    # where the build runs does not change the image: same content hash, no rebuild
    assert settings_content_hash(load_definition(spec), spec.settings) == settings_content_hash(
        load_definition(plain_spec), plain_spec.settings
    )


def test_the_container_instance_subnet_must_share_the_build_subnets_network(tmp_path):
    other = SUBNET.replace("vnet-build", "vnet-other").format("aci")
    network = {"subnet_id": SUBNET.format("build"), "container_instance_subnet_id": other}
    (line,) = errors_of(write_config(tmp_path, definition=definition(region("westeurope")), build={"network": network}))
    assert "same virtual network" in line
    same = {
        "subnet_id": SUBNET.format("build"),
        "container_instance_subnet_id": SUBNET.replace("vnet-build", "VNet-Build").format("aci"),
    }
    load_config(write_config(tmp_path, definition=definition(region("westeurope")), build={"network": same}))


def test_a_build_network_that_is_no_subnet_id_is_refused(tmp_path):
    network = {"subnet_id": SUBNET.format("build").replace("/subnets/", "/subnetz/")}
    lines = errors_of(write_config(tmp_path, definition=definition(region("westeurope")), build={"network": network}))
    assert any("build.network.subnet_id: not a subnet id" in line for line in lines), lines


def test_a_staging_group_name_azure_refuses_is_refused(tmp_path):
    lines = errors_of(
        write_config(tmp_path, definition=definition(region("westeurope")), builder={"staging_resource_group": "x" * 80})
    )
    assert any("builder.staging_resource_group" in line for line in lines), lines
