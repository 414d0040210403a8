"""The Managed DevOps Pool itself: agents, standby schedule, images, sizing, storage, network."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from cdktn import ITerraformDependable
from cdktn_provider_azurerm.managed_devops_pool import (
    ManagedDevopsPool,
    ManagedDevopsPoolAzureDevopsOrganizationOrganization,
    ManagedDevopsPoolVirtualMachineScaleSetFabricImage,
)
from constructs import Construct

from mdpool.config import DAYS, Pool, PoolImage
from mdpool.constructs.site import Site
from mdpool.timespan import parse_time_of_day


class ManagedPool(Construct):
    """A Managed DevOps Pool in a Dev Center project.

    `gallery_image_ids` maps this config's gallery image names to their definition ids (a
    cross-stack reference when the gallery lives in another stack).
    """

    def __init__(self, scope: Construct, id: str, *, pool: Pool, name: str, project_id: str, site: Site,
                 gallery_image_ids: Mapping[str, str], subnet_id: str | None = None,
                 depends_on: Sequence[ITerraformDependable] = ()) -> None:
        super().__init__(scope, id)
        self.resource = ManagedDevopsPool(
            self, "pool",
            name=name,
            dev_center_project_id=project_id,
            maximum_concurrency=pool.maximum_concurrency,
            azure_devops_organization=_organizations(pool),
            virtual_machine_scale_set_fabric=_fabric(pool, gallery_image_ids, subnet_id),
            identity={"type": "UserAssigned", "identity_ids": list(pool.identity_ids)} if pool.identity_ids else None,
            work_folder=pool.work_folder,
            tags=site.tags,
            depends_on=list(depends_on) or None,
            **_agents(pool),
            **site.placement(),
        )


def _organizations(pool: Pool) -> dict[str, object]:
    organizations = []
    for org in pool.organizations:
        organizations.append(ManagedDevopsPoolAzureDevopsOrganizationOrganization(
            url=org.resolved_url, parallelism=org.parallelism, projects=list(org.projects) or None))
    permission: dict[str, object] = {"kind": pool.permission.kind}
    if pool.permission.kind == "SpecificAccounts":
        permission["administrator_account"] = {"users": list(pool.permission.users) or None,
                                               "groups": list(pool.permission.groups) or None}
    return {"organization": organizations, "permission": permission}


def _agents(pool: Pool) -> dict[str, Any]:
    """`stateful_agent` or `stateless_agent`, with the standby prediction inside it."""
    agent: dict[str, object] = {}
    if pool.agents.kind == "stateful":
        agent["grace_period_time_span"] = pool.agents.grace_period
        agent["maximum_agent_lifetime"] = pool.agents.maximum_lifetime
    standby = pool.standby
    if standby.kind == "manual" and standby.manual is not None:
        schedule = standby.manual
        prediction: dict[str, object] = {"time_zone_name": schedule.time_zone}
        if schedule.all_week is not None:
            prediction["all_week_schedule"] = schedule.all_week
        else:
            for day in DAYS:
                entries = (schedule.days or {}).get(day)
                if entries:  # an empty day means "no change": leave it out
                    prediction[f"{day}_schedule"] = [
                        {"time": parse_time_of_day(time), "count": count}
                        for time, count in sorted(entries.items(), key=lambda item: parse_time_of_day(item[0]))
                    ]
        agent["manual_resource_prediction"] = prediction
    elif standby.kind == "automatic":
        preference = standby.automatic.prediction_preference if standby.automatic else "Balanced"
        agent["automatic_resource_prediction"] = {"prediction_preference": preference}
    return {f"{pool.agents.kind}_agent": {k: v for k, v in agent.items() if v is not None}}


def _image(image: PoolImage, gallery_image_ids: Mapping[str, str]) -> ManagedDevopsPoolVirtualMachineScaleSetFabricImage:
    # List items must be the binding's struct classes: jsii passes plain dicts inside lists through
    # unconverted, and a snake_case key such as well_known_image_name would silently vanish.
    return ManagedDevopsPoolVirtualMachineScaleSetFabricImage(
        buffer=str(image.buffer),
        aliases=list(image.aliases) or None,
        id=(f"{gallery_image_ids[image.gallery_image]}/versions/{image.version}"
            if image.gallery_image is not None else None),
        well_known_image_name=image.well_known,
    )


def _fabric(pool: Pool, gallery_image_ids: Mapping[str, str], subnet_id: str | None) -> dict[str, object]:
    fabric: dict[str, object] = {
        "sku_name": pool.sku,
        "image": [_image(image, gallery_image_ids) for image in pool.images],
        "os_disk_storage_account_type": pool.os_disk_type,
    }
    if pool.data_disk is not None:
        disk = pool.data_disk
        fabric["storage"] = {"disk_size_in_gb": disk.size_gb, "caching": disk.caching,
                             "drive_letter": disk.drive_letter, "storage_account_type": disk.storage_account_type}
    security: dict[str, object] = {"interactive_logon_enabled": pool.interactive_logon}
    if pool.key_vault is not None:
        vault = pool.key_vault
        security["key_vault_management"] = {
            "key_vault_certificate_ids": list(vault.certificate_ids),
            "certificate_store_location": vault.store_location,
            "certificate_store_name": vault.store_name,
            "key_export_enabled": vault.key_export,
        }
    fabric["security"] = security
    if subnet_id is not None:
        fabric["subnet_id"] = subnet_id
    return fabric
