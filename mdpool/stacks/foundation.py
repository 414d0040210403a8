"""What every mdpool stack starts with: the azurerm provider and the state backend."""

from __future__ import annotations

from cdktn import AzurermBackend, LocalBackend, TerraformStack
from cdktn_provider_azurerm.provider import AzurermProvider

from mdpool.config import EnvironmentConfig

# Registered by the provider on first use (besides its "core" set): what pools and image builds need.
EXTRA_RESOURCE_PROVIDERS = [
    "Microsoft.ContainerInstance",
    "Microsoft.DevCenter",
    "Microsoft.DevOpsInfrastructure",
    "Microsoft.VirtualMachineImages",
]


def local_state_path(config: EnvironmentConfig, stack: str) -> str:
    """The stack's state file, relative to its synthesized folder `<out>/stacks/<stack>/`.

    Three levels up is the folder holding the synth output, so state lives beside `cdktf.out`, never
    inside it (a new synth replaces the output), and no absolute path enters the JSON.
    """
    return f"../../../{config.state.local.directory.strip('/')}/{stack}.tfstate"


def configure(stack: TerraformStack, config: EnvironmentConfig) -> None:
    """Add the provider and the backend the configuration asks for."""
    AzurermProvider(
        stack,
        "azurerm",
        features=[{}],
        subscription_id=config.subscription_id,
        tenant_id=config.tenant_id,
        resource_provider_registrations="core",
        resource_providers_to_register=EXTRA_RESOURCE_PROVIDERS,
        # In pipelines the service connection's federated token is used (ARM_USE_OIDC / the CLI);
        # no credential is ever written into the configuration.
    )
    name = stack.node.id
    if config.state.backend == "azurerm" and config.state.azurerm is not None:
        remote = config.state.azurerm
        AzurermBackend(
            stack,
            resource_group_name=remote.resource_group_name,
            storage_account_name=remote.storage_account_name,
            container_name=remote.container_name,
            key=f"{remote.key_prefix}/{name}.tfstate",
            subscription_id=remote.subscription_id or config.subscription_id,
            use_azuread_auth=True,
            use_oidc=remote.use_oidc,
        )
    else:
        LocalBackend(stack, path=local_state_path(config, name))


def configure_azapi(stack: TerraformStack, config: EnvironmentConfig) -> None:
    """Add the azapi provider (the pool speaks the newest pools API through it), same subscription.

    Like azurerm, it authenticates from the environment (ARM_USE_OIDC, the CLI); no credential is
    written into the configuration.
    """
    from cdktn_provider_azapi.provider import AzapiProvider

    AzapiProvider(stack, "azapi", subscription_id=config.subscription_id, tenant_id=config.tenant_id)
    # The pool's hand-over from azurerm (removed with lifecycle, import with for_each): Terraform 1.7 and later;
    # mdpool asks for 1.8 (OpenTofu: 1.10, mdpool.deploy.terraform.MINIMUM_VERSION).
    stack.add_override("terraform.required_version", ">= 1.8.0")
