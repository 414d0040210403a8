"""Stand-in stacks for the deploy tests: the real stacks' names, outputs and cross-stack reference,
built only from Terraform's built-in `terraform_data` resource, so the real terraform binary can
init, plan and apply them offline in a fraction of a second.

They are synthesized with cdktn itself (only `cdktn`, never the azurerm bindings, which take
seconds to load), with a local backend at the same relative path the real stacks use, and the pool
stack reads the gallery's image definition ids through the `terraform_remote_state` data source that
cdktn generates for a cross-stack reference, exactly as the real pool stack does.

Like the real gallery construct, the gallery and image definition stand-ins carry
`lifecycle.prevent_destroy`; each gallery stand-in's `triggers_replace` holds its Azure name, so
renaming one makes Terraform replace it, as azurerm would for a real gallery. The pool stand-in
carries the hand-over from round 1's azurerm pool that the real pool stack emits
(mdpool.constructs.handover); `round_one` synthesizes round 1's layout instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StandInEnvironment:
    """The names the stand-in stacks carry (the real ones, derived from a config by mdpool.naming)."""

    environment: str
    resource_group: str
    location: str
    gallery: str
    gallery_id: str
    image_ids: dict[str, str]  # image definition name -> id
    identity_id: str
    pool: str
    pool_id: str
    extra_gallery_inputs: dict[str, str] = field(default_factory=dict)
    static_ip_addresses: tuple[str, ...] = ()  # as the real pool stack's output, when static IPs are asked for
    # mdpool round 1: the pool at another address (the real one was azurerm_managed_devops_pool.pool_X), with
    # no hand-over blocks; otherwise the pool carries the hand-over mdpool emits (mdpool.constructs.handover)
    round_one: bool = False
    fleet: tuple[tuple[str, str, str], ...] = ()  # with `pools:`: (stack, pool name, pool id) per pool
    pool_images: tuple = ()
    """The pool body's `fabricProfile.images` (mdpool.constructs.pool_body), so a plan shows an image change."""

    @property
    def pool_stacks(self) -> tuple[tuple[str, str, str], ...]:
        return self.fleet or ((f"pool-{self.environment}", self.pool, self.pool_id),)

    @classmethod
    def from_config(cls, config) -> "StandInEnvironment":
        names = config.names
        pool_rg = names.resource_group_id(names.pool_resource_group)
        return cls(
            environment=config.environment,
            resource_group=names.gallery_resource_group,
            location=config.location,
            gallery=names.gallery,
            gallery_id=names.gallery_id,
            image_ids={image.name: names.gallery_image_id(image.name) for image in config.gallery.images},
            identity_id=names.builder_identity_id,
            pool=names.pool,
            pool_id=f"{pool_rg}/providers/Microsoft.DevOpsInfrastructure/pools/{names.pool}",
            fleet=tuple(
                (config.stack_of(pool), names.for_pool(pool).pool, names.pool_id(pool))
                for pool in config.pools
                if pool.key is not None
            ),
        )


FORMER_POOL = "former_pool"
"""The stand-in pool's name in round 1's layout (the real pool was azurerm_managed_devops_pool there)."""


def _state_path(stack: str) -> str:
    # as mdpool.stacks.foundation.local_state_path: beside the synth output, relative to the stack dir
    return f"../../../state/{stack}.tfstate"


def _id_of(resource):
    """`<resource>.output.id`: the id a stand-in carries, as a reference (a real resource's `.id`)."""
    return resource.interpolation_for_attribute("output.id")


def synthesize_standins(env: StandInEnvironment, out_dir: Path) -> Path:
    """Write `out_dir/manifest.json` and `out_dir/stacks/{gallery,pool}-<env>/cdk.tf.json`."""
    from cdktn import App, DataResource, LocalBackend, TerraformOutput, TerraformStack

    out_dir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(out_dir), stack_traces=False)

    gallery_name = f"gallery-{env.environment}"
    gallery = TerraformStack(app, gallery_name)
    LocalBackend(gallery, path=_state_path(gallery_name))
    protect = {"prevent_destroy": True}
    DataResource(gallery, "site", input={"name": env.resource_group, "location": env.location})
    gallery_resource = DataResource(
        gallery, "gallery", triggers_replace={"name": env.gallery}, input={"id": env.gallery_id}, lifecycle=protect
    )
    definitions = {
        name: DataResource(
            gallery,
            f"image-{name}",
            triggers_replace={"name": name, "gallery": env.gallery},
            input={"id": image_id},
            lifecycle=protect,
        )
        for name, image_id in env.image_ids.items()
    }
    identity = DataResource(gallery, "builder-identity", input={"id": env.identity_id, **env.extra_gallery_inputs})
    TerraformOutput(gallery, "resource_group", value=env.resource_group)
    TerraformOutput(gallery, "location", value=env.location)
    TerraformOutput(gallery, "gallery_id", value=_id_of(gallery_resource))
    TerraformOutput(gallery, "image_definition_ids", value={n: _id_of(d) for n, d in definitions.items()})
    TerraformOutput(gallery, "builder_identity_id", value=env.identity_id)
    TerraformOutput(gallery, "builder_principal_id", value=identity.id)

    for pool_name, azure_name, pool_id in env.pool_stacks:  # one stack per pool, as the real app
        pool = TerraformStack(app, pool_name)
        LocalBackend(pool, path=_state_path(pool_name))
        if not env.round_one:
            from mdpool.constructs.handover import emit_hand_over
            from mdpool.deploy.migration import IMPORT_VARIABLE

            emit_hand_over(
                pool,
                variable=IMPORT_VARIABLE,
                former=f"terraform_data.{FORMER_POOL}",
                to="terraform_data.pool",
                import_id=f"{pool_id}?api-version=2026-06-02",
                description="stand-in of the pool's hand-over from azurerm",
            )
        DataResource(
            pool,
            FORMER_POOL if env.round_one else "pool",
            # azapi_resource imports the pool with everything it reads; a terraform_data imports its id only, so
            # a `triggers_replace` would turn the import into a replacement that azapi never plans. The stand-in
            # azapi pool keeps its name in `input` (a rename is an update here, a replacement in Azure).
            triggers_replace={"name": azure_name} if env.round_one else None,
            # the cross-stack reference: cdktn adds gallery outputs and a terraform_remote_state here
            input={
                "id": pool_id,
                **({} if env.round_one else {"name": azure_name}),
                "images": {n: _id_of(d) for n, d in definitions.items()},
                **({"fabric_images": list(env.pool_images)} if env.pool_images else {}),
            },
        )
        TerraformOutput(pool, "pool_id", value=pool_id)
        TerraformOutput(pool, "pool_name", value=azure_name)
        if env.static_ip_addresses:
            TerraformOutput(pool, "static_ip_addresses", value=list(env.static_ip_addresses))
        pool.add_dependency(gallery)
    app.synth()
    return out_dir
