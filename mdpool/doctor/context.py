"""What the checks share: the config, the clients, and lookups several checks need (asked once)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mdpool.doctor.http import DEVOPS_SCOPE, GRAPH_SCOPE, Arm, Endpoints, TokenClient

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Pool

# api-versions of the documented ARM operations the checks call
PROVIDERS_API = "2021-04-01"  # Providers - Get (learn.microsoft.com/rest/api/resources/providers/get)
COMPUTE_SKUS_API = "2021-07-01"  # Resource Skus - List (learn.microsoft.com/rest/api/compute/resource-skus/list)
AUTHORIZATION_API = "2022-04-01"  # Permissions - List For Resource Group (learn.microsoft.com/rest/api/authorization/permissions)
STORAGE_API = (
    "2023-05-01"  # Storage Accounts - Get Properties (learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties)
)
# Microsoft.DevOpsInfrastructure, the spec in Azure/azure-rest-api-specs
# (specification/devopsinfrastructure/.../stable/2026-06-02/devopsinfrastructure.json)
DEVOPS_INFRASTRUCTURE_API = "2026-06-02"


class Context:
    """One doctor run: the environment, its clients, and cached answers."""

    def __init__(self, cfg: EnvironmentConfig, endpoints: Endpoints, out: Path | None = None) -> None:
        self.cfg = cfg
        self.out = out
        """The synth output folder (`mdpool verify --out`): a running rollout is recorded beside it."""
        self.endpoints = endpoints
        self.names = cfg.names
        self.arm = Arm(endpoints)
        self._token_clients: list[TokenClient] = []
        self._our_pools: dict[str | None, dict[str, Any] | None] = {}

    @property
    def subscription(self) -> str:
        return f"/subscriptions/{self.cfg.subscription_id}"

    @cached_property
    def compute_skus(self) -> dict[str, dict[str, Any]]:
        """The region's virtual machine sizes by lower-case name (Compute resource SKUs, filtered by location)."""
        items = self.arm.list(
            f"{self.subscription}/providers/Microsoft.Compute/skus",
            COMPUTE_SKUS_API,
            "the Compute resource SKUs",
            **{"$filter": f"location eq '{self.cfg.location}'"},
        )
        return {
            str(item.get("name", "")).lower(): item
            for item in items
            if str(item.get("resourceType", "")).lower() == "virtualmachines"
        }

    @property
    def our_pool(self) -> dict[str, Any] | None:
        """The first pool as Azure has it (the only one of a `pool:` config); see our_pool_of."""
        return self.our_pool_of(self.cfg.pools[0])

    def our_pool_of(self, pool: Pool) -> dict[str, Any] | None:
        """`pool` as Azure has it, if it already exists in its resource group (Pools_Get), else None; asked once."""
        if pool.key not in self._our_pools:
            names = self.names.for_pool(pool)
            reply = self.arm.get(
                f"{self.subscription}/resourceGroups/{names.resource_group}/providers/"
                f"Microsoft.DevOpsInfrastructure/pools/{names.pool}",
                DEVOPS_INFRASTRUCTURE_API,
            )
            self._our_pools[pool.key] = reply.body if reply.ok and isinstance(reply.body, dict) else None
        return self._our_pools[pool.key]

    def row(self, check: str, pool: Pool) -> str:
        """A check's row name for one pool: the check itself for a `pool:` config, `check@<name>` in a fleet."""
        return check if len(self.cfg.pools) == 1 else f"{check}@{pool.key}"

    @cached_property
    def subscription_permissions(self) -> list[dict[str, Any]]:
        """The deploying identity's effective permissions at the subscription (Permissions - List)."""
        return self.arm.list(
            f"{self.subscription}/providers/Microsoft.Authorization/permissions",
            AUTHORIZATION_API,
            "the deploying identity's permissions on the subscription",
        )

    @cached_property
    def graph(self) -> TokenClient:
        return self._keep(TokenClient(self.endpoints, GRAPH_SCOPE, self.endpoints.graph_verify))

    @cached_property
    def devops(self) -> TokenClient:
        # X-TFS-FedAuthRedirect: Suppress makes Azure DevOps answer 401 instead of redirecting to a sign-in page
        return self._keep(
            TokenClient(
                self.endpoints,
                DEVOPS_SCOPE,
                self.endpoints.devops_verify,
                {"X-TFS-FedAuthRedirect": "Suppress", "Accept": "application/json"},
            )
        )

    def _keep(self, client: TokenClient) -> TokenClient:
        self._token_clients.append(client)
        return client

    def close(self) -> None:
        self.arm.close()
        for client in self._token_clients:
            client.close()
