"""Names and resource ids for every resource mdpool creates, derived from the environment.

The blog says "use a naming module instead" four times; this is it. A derived name follows
`<type>-<prefix>-<environment>-<region>` (Cloud Adoption Framework abbreviations), adapted to
each resource type's rules: a gallery name, for instance, may not contain hyphens, so it uses
underscores. Explicit names in the config are checked against the same rules
(`mdpool.validate.names.RULES`, by `mdpool.rules.names`).

Each pool has its own names (`PoolNames`): the one pool of `pool:` keeps the names it always had;
a pool of `pools:` puts its short name before the region (mdp-<prefix>-<env>-<name>-<region>).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mdpool.config import EnvironmentConfig, Pool


# Short region codes for names (CAF style). Unknown regions use the full name unless the config
# sets naming.region_abbreviation.
REGION_ABBREVIATIONS = {
    "westeurope": "weu",
    "northeurope": "neu",
    "swedencentral": "sdc",
    "germanywestcentral": "gwc",
    "francecentral": "frc",
    "uksouth": "uks",
    "ukwest": "ukw",
    "switzerlandnorth": "szn",
    "norwayeast": "nwe",
    "polandcentral": "plc",
    "italynorth": "itn",
    "spaincentral": "spc",
    "eastus": "eus",
    "eastus2": "eus2",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
    "centralus": "cus",
    "northcentralus": "ncus",
    "southcentralus": "scus",
    "canadacentral": "cnc",
    "brazilsouth": "brs",
    "australiaeast": "aue",
    "southeastasia": "sea",
    "eastasia": "ea",
    "japaneast": "jpe",
    "koreacentral": "krc",
    "centralindia": "inc",
    "uaenorth": "uan",
    "southafricanorth": "san",
}


@dataclass(frozen=True)
class PoolNames:
    """The names of one pool's resources: its resource group, Dev Center, project, pool and network."""

    resource_group: str
    dev_center: str
    project: str
    pool: str
    vnet: str
    subnet: str


@dataclass(frozen=True)
class Names:
    """Every name and id mdpool uses for one environment (explicit config names win).

    `pool_resource_group`, `dev_center`, `project`, `pool`, `vnet` and `subnet` are the first
    pool's (the only one of a `pool:` config); `for_pool` gives any pool's.
    """

    subscription_id: str
    gallery_resource_group: str
    pool_resource_group: str
    gallery: str
    builder_identity: str
    builder_role: str
    dev_center: str
    project: str
    pool: str
    vnet: str
    subnet: str
    image_templates: dict[str, str]
    pools: dict[str | None, PoolNames] = field(default_factory=dict)
    """Pool key (None for `pool:`) -> that pool's names."""
    staging_resource_groups: dict[str, str] = field(default_factory=dict)
    """Image -> its staging resource group, for built images when builder.staging_resource_group is set."""

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    def resource_group_id(self, name: str) -> str:
        return f"{self.subscription_scope}/resourceGroups/{name}"

    @property
    def gallery_id(self) -> str:
        return f"{self.resource_group_id(self.gallery_resource_group)}/providers/Microsoft.Compute/galleries/{self.gallery}"

    def gallery_image_id(self, image: str) -> str:
        """Id of the gallery image definition `image` (versions live below it)."""
        return f"{self.gallery_id}/images/{image}"

    @property
    def builder_identity_id(self) -> str:
        return (
            f"{self.resource_group_id(self.gallery_resource_group)}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{self.builder_identity}"
        )

    def image_template(self, image: str) -> str:
        return self.image_templates[image]

    def for_pool(self, pool: Pool) -> PoolNames:
        return self.pools[pool.key]

    def pool_id(self, pool: Pool) -> str:
        names = self.for_pool(pool)
        return f"{self.resource_group_id(names.resource_group)}/providers/Microsoft.DevOpsInfrastructure/pools/{names.pool}"

    def staging_resource_group_id(self, image: str) -> str | None:
        name = self.staging_resource_groups.get(image)
        return self.resource_group_id(name) if name else None


def region_code(config: EnvironmentConfig) -> str:
    return config.naming.region_abbreviation or REGION_ABBREVIATIONS.get(config.location, config.location)


def _given(explicit: str | None, derived: str) -> str:
    """The name the config gives (even an empty one, which the name rules then refuse), else the derived one."""
    return derived if explicit is None else explicit


def derive_pool_names(config: EnvironmentConfig, pool: Pool) -> PoolNames:
    """The names of `pool`: as they always were for `pool:`, with the pool's short name for `pools:`."""
    prefix, env, region = config.naming.prefix, config.environment, region_code(config)
    at = f"{env}-{pool.key.lower()}" if pool.key is not None else env  # Azure compares names ignoring case
    new_network = pool.network.new if pool.network else None
    return PoolNames(
        resource_group=_given(config.resource_groups.pool, f"rg-{prefix}-pool-{at}-{region}"),
        dev_center=_given(pool.dev_center_name, f"dc-{prefix}-{at}-{region}"),
        project=_given(pool.project_name, f"dcp-{prefix}-{at}-{region}"),
        pool=_given(pool.name, f"mdp-{prefix}-{at}-{region}"),
        vnet=_given(new_network.name if new_network else None, f"vnet-{prefix}-pool-{at}-{region}"),
        subnet=_given(new_network.subnet_name if new_network else None, "snet-agents"),
    )


def derive_names(config: EnvironmentConfig) -> Names:
    prefix, env, region = config.naming.prefix, config.environment, region_code(config)
    role_prefix = _given(config.naming.role_prefix, prefix.upper())
    pools = {pool.key: derive_pool_names(config, pool) for pool in config.pools}
    first = pools[config.pools[0].key]
    return Names(
        subscription_id=config.subscription_id,
        gallery_resource_group=_given(config.resource_groups.gallery, f"rg-{prefix}-images-{env}-{region}"),
        pool_resource_group=first.resource_group,
        gallery=_given(config.gallery.name, f"gal_{prefix}_{env}_{region}"),
        builder_identity=_given(config.builder.identity_name, f"id-{prefix}-imagebuilder-{env}-{region}"),
        builder_role=_given(config.builder.role_name, f"[{role_prefix}] Azure Image Builder Service ({env}-{region})"),
        dev_center=first.dev_center,
        project=first.project,
        pool=first.pool,
        vnet=first.vnet,
        subnet=first.subnet,
        image_templates={
            image.name: _given(image.build.template_name if image.build else None, f"it-{prefix}-{image.name}-{env}")
            for image in config.gallery.images
        },
        pools=pools,
        staging_resource_groups={
            image.name: f"{config.builder.staging_resource_group}-{image.name}"
            for image in config.gallery.images
            if image.build is not None and config.builder.staging_resource_group is not None
        },
    )
