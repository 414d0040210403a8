"""The ARM endpoints `mdpool doctor` reads, served on the ARM stand-in, and a Microsoft Graph stand-in.

``DoctorAzure(arm)`` adds routes to a running tests/support/arm_standin.ArmStandIn and starts with a
healthy subscription for the blog's example: every provider registered, Standard_DS3_v2 offered by
Managed DevOps Pools in westeurope with 100 free vCPUs of standardDSv2Family, the identity an Owner
(`*`), no pool of that name anywhere. Tests change one thing:

- ``providers[ns] = "NotRegistered"``;
- ``taken_pool_names.add(name)`` (another subscription's pool) / ``our_pools.add((rg, name))``;
- ``mdp_skus`` / ``compute_skus``: lists of SKU JSON (``compute_sku(...)``, ``mdp_sku(...)`` build them);
- ``usages[family] = (current, limit)`` (the service's quota usages);
- ``permissions[scope] = [{"actions": [...], "notActions": [...]}]`` (scope: the subscription or a resource
  group id, lower case); ``resource_groups``: the groups that exist (others answer 404 ResourceGroupNotFound);
- ``storage_accounts[(rg, name)] = {container, ...}``;
- ``policy_denials[resource type, lower case] = [policy assignment id, ...]``: checkPolicyRestrictions
  answers a NonCompliant deny evaluation for each; ``policy_field_denials[type] = [(field, assignment id)]``
  a `Deny` field restriction; ``policy_checks``: the request bodies it got.

Shapes follow the REST specs: Microsoft.DevOpsInfrastructure 2026-06-02 (checkNameAvailability,
locations/{loc}/skus, locations/{loc}/usages, pools), Microsoft.Resources providers, Compute
resource SKUs, Microsoft.Authorization permissions, Microsoft.Storage storage accounts and containers,
Microsoft.PolicyInsights 2024-10-01 checkPolicyRestrictions (CheckRestrictionsResult).

``GraphStandIn`` serves ``GET /v1.0/servicePrincipals?$filter=displayName eq '...'`` from
``service_principals`` (display name -> list of object ids), or 403 when ``readable`` is False.
"""

from __future__ import annotations

from typing import Any

from tests.support.arm_standin import ArmStandIn, StandInRequest
from tests.support.devops_standin import GRAPH_TOKEN, HttpsStandIn, Request

LOCATION = "westeurope"
NAMESPACES = (
    "Microsoft.DevOpsInfrastructure",
    "Microsoft.DevCenter",
    "Microsoft.Compute",
    "Microsoft.Network",
    "Microsoft.ManagedIdentity",
    "Microsoft.VirtualMachineImages",
    "Microsoft.KeyVault",
    "Microsoft.Storage",
    "Microsoft.ContainerInstance",
)


def compute_sku(
    name: str, family: str, vcpus: int, *, location: str = LOCATION, restricted: str | None = None, resource_disk_mb: int = 16384
) -> dict[str, Any]:
    """A Compute resource SKU (virtualMachines) as Resource Skus - List returns it."""
    restrictions = []
    if restricted:
        restrictions.append(
            {
                "type": "Location",
                "values": [location],
                "reasonCode": restricted,
                "restrictionInfo": {"locations": [location], "zones": []},
            }
        )
    return {
        "resourceType": "virtualMachines",
        "name": name,
        "tier": "Standard",
        "size": name.split("_", 1)[1],
        "family": family,
        "locations": [location],
        "locationInfo": [{"location": location, "zones": []}],
        "capabilities": [
            {"name": "MaxResourceVolumeMB", "value": str(resource_disk_mb)},  # 0: no temporary disk (e.g. Dasv5)
            {"name": "vCPUs", "value": str(vcpus)},
            {"name": "MemoryGB", "value": str(vcpus * 3.5)},
        ],
        "restrictions": restrictions,
    }


def mdp_sku(name: str, family: str, *, location: str = LOCATION, restricted: str | None = None) -> dict[str, Any]:
    """A Managed DevOps Pools ResourceSku (devopsinfrastructure.json: ProxyResource + properties)."""
    tier, size = name.split("_", 1)
    restrictions = []
    if restricted:
        restrictions.append(
            {
                "type": "Location",
                "values": [location],
                "reasonCode": restricted,
                "restrictionInfo": {"locations": [location], "zones": []},
            }
        )
    return {
        "id": f"/providers/Microsoft.DevOpsInfrastructure/locations/{location}/skus/{name}",
        "name": name,
        "type": "Microsoft.DevOpsInfrastructure/locations/skus",
        "properties": {
            "resourceType": "pools",
            "tier": tier,
            "size": size,
            "family": family,
            "locations": [location],
            "locationInfo": [{"location": location, "zones": [], "zoneDetails": []}],
            "capabilities": [],
            "restrictions": restrictions,
        },
    }


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class DoctorAzure:
    """The doctor's ARM endpoints on an ArmStandIn, scripted through plain attributes."""

    def __init__(self, arm: ArmStandIn) -> None:
        self.arm = arm
        sub = arm.subscription_id
        self.subscription = f"/subscriptions/{sub}"
        self.providers: dict[str, str] = dict.fromkeys(NAMESPACES, "Registered")
        self.taken_pool_names: set[str] = set()
        self.our_pools: set[tuple[str, str]] = set()
        self.compute_skus = [
            compute_sku("Standard_DS3_v2", "standardDSv2Family", 4),
            compute_sku("Standard_D2ads_v5", "standardDADSv5Family", 2),
            compute_sku("Standard_D4s_v3", "standardDSv3Family", 4),
        ]
        self.mdp_skus = [mdp_sku("Standard_DS3_v2", "standardDSv2Family"), mdp_sku("Standard_D2ads_v5", "standardDADSv5Family")]
        self.usages: dict[str, tuple[int, int]] = {"standardDSv2Family": (0, 100), "standardDADSv5Family": (0, 100)}
        self.permissions: dict[str, list[dict[str, Any]]] = {
            self.subscription.lower(): [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]
        }
        self.resource_groups: set[str] = set()
        self.storage_accounts: dict[tuple[str, str], set[str]] = {}
        self.policy_denials: dict[str, list[str]] = {}
        self.policy_field_denials: dict[str, list[tuple[str, str]]] = {}
        self.policy_checks: list[dict[str, Any]] = []
        p = r"^/subscriptions/(?P<sub>[^/]+)"
        arm.route("GET", p + r"/providers/(?P<ns>Microsoft\.[A-Za-z]+)/?$", self._provider)
        arm.route("GET", p + r"/providers/Microsoft\.Compute/skus/?$", self._compute_skus)
        arm.route("GET", p + r"/providers/Microsoft\.DevOpsInfrastructure/locations/(?P<loc>[^/]+)/skus/?$", self._mdp_skus)
        arm.route("GET", p + r"/providers/Microsoft\.DevOpsInfrastructure/locations/(?P<loc>[^/]+)/usages/?$", self._usages)
        arm.route("POST", p + r"/providers/Microsoft\.DevOpsInfrastructure/checkNameAvailability/?$", self._name)
        arm.route(
            "GET",
            p + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.DevOpsInfrastructure/pools/"
            r"(?P<name>[^/]+)/?$",
            self._pool,
        )
        arm.route(
            "GET", p + r"(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.Authorization/permissions/?$", self._permissions
        )
        arm.route(
            "POST",
            p + r"(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.PolicyInsights/checkPolicyRestrictions/?$",
            self._policy,
        )
        arm.route(
            "GET",
            p + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Storage/storageAccounts/"
            r"(?P<account>[^/]+)(?:/blobServices/default/containers/(?P<container>[^/]+))?/?$",
            self._storage,
        )

    def _policy(self, req: StandInRequest):
        """Policy Restrictions - Check (PolicyInsights 2024-10-01): denials of the resource content's type."""
        content = ((req.body or {}).get("resourceDetails") or {}).get("resourceContent")
        if not isinstance(content, dict) or not content.get("type"):
            return 400, {}, _error("InvalidCheckRestrictionsRequest", "resourceDetails.resourceContent with a type is required")
        self.policy_checks.append(req.body)
        kind = content["type"].lower()

        def reference(assignment: str) -> dict[str, str]:
            return {
                "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749",
                "policySetDefinitionId": "",
                "policyDefinitionReferenceId": "",
                "policyAssignmentId": assignment,
            }

        evaluations = [
            {
                "policyInfo": reference(assignment),
                "evaluationResult": "NonCompliant",
                "evaluationDetails": {"evaluatedExpressions": [{"result": "True", "expression": "type", "path": "type"}]},
                "effectDetails": {"policyEffect": "Deny"},
            }
            for assignment in self.policy_denials.get(kind, [])
        ]
        fields = [
            {"field": field, "restrictions": [{"result": "Deny", "values": ["westeurope"], "policy": reference(assignment)}]}
            for field, assignment in self.policy_field_denials.get(kind, [])
        ]
        return self._needs_api_version(req) or (
            200,
            {},
            {"fieldRestrictions": fields, "contentEvaluationResult": {"policyEvaluations": evaluations}},
        )

    def _needs_api_version(self, req: StandInRequest) -> tuple[int, dict, Any] | None:
        if "api-version" not in req.query:
            return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
        return None

    def _provider(self, req: StandInRequest):
        ns = req.match.group("ns")
        state = next((v for k, v in self.providers.items() if k.lower() == ns.lower()), None)
        if state is None:
            return 404, {}, _error("InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
        return self._needs_api_version(req) or (
            200,
            {},
            {"id": f"{self.subscription}/providers/{ns}", "namespace": ns, "registrationState": state},
        )

    def _compute_skus(self, req: StandInRequest):
        location = req.query.get("$filter", "").partition("'")[2].rstrip("'")
        items = [s for s in self.compute_skus if not location or location in s["locations"]]
        return self._needs_api_version(req) or (200, {}, {"value": items})

    def _mdp_skus(self, req: StandInRequest):
        loc = req.match.group("loc")
        items = [s for s in self.mdp_skus if loc in s["properties"]["locations"]]
        return self._needs_api_version(req) or (200, {}, {"value": items})

    def _usages(self, req: StandInRequest):
        loc = req.match.group("loc")
        items = [
            {
                "id": f"{self.subscription}/providers/Microsoft.DevOpsInfrastructure/locations/{loc}/usages/{family}",
                "name": {"value": family, "localizedValue": f"{family} vCPUs"},
                "unit": "Count",
                "currentValue": current,
                "limit": limit,
            }
            for family, (current, limit) in self.usages.items()
        ]
        return self._needs_api_version(req) or (200, {}, {"value": items})

    def _name(self, req: StandInRequest):
        body = req.body or {}
        if body.get("type") != "Microsoft.DevOpsInfrastructure/pools" or not body.get("name"):
            return 400, {}, _error("InvalidRequestContent", "name and type Microsoft.DevOpsInfrastructure/pools are required")
        name = body["name"]
        if name.lower() in {n.lower() for n in self.taken_pool_names}:
            return (
                200,
                {},
                {
                    "available": "Unavailable",
                    "name": name,
                    "reason": "AlreadyExists",
                    "message": f"The pool name '{name}' is already in use.",
                },
            )
        return self._needs_api_version(req) or (
            200,
            {},
            {"available": "Available", "name": name, "reason": None, "message": None},
        )

    def _pool(self, req: StandInRequest):
        rg, name = req.match.group("rg"), req.match.group("name")
        if (rg.lower(), name.lower()) in {(r.lower(), n.lower()) for r, n in self.our_pools}:
            return (
                200,
                {},
                {
                    "id": req.path,
                    "name": name,
                    "type": "Microsoft.DevOpsInfrastructure/pools",
                    "location": LOCATION,
                    "properties": {"provisioningState": "Succeeded"},
                },
            )
        return (
            404,
            {},
            _error(
                "ResourceNotFound",
                f"The Resource 'Microsoft.DevOpsInfrastructure/pools/{name}' under resource group '{rg}' was not found.",
            ),
        )

    def _permissions(self, req: StandInRequest):
        rg = req.match.group("rg")
        scope = self.subscription if rg is None else f"{self.subscription}/resourceGroups/{rg}"
        if rg is not None and rg.lower() not in {g.lower() for g in self.resource_groups}:
            return 404, {}, _error("ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if scope.lower() in self.permissions:
            value = self.permissions[scope.lower()]
        else:  # what the subscription grants is inherited by its groups
            value = self.permissions.get(self.subscription.lower(), [])
        return self._needs_api_version(req) or (200, {}, {"value": value})

    def _storage(self, req: StandInRequest):
        rg, account, container = req.match.group("rg"), req.match.group("account"), req.match.group("container")
        containers = self.storage_accounts.get((rg.lower(), account.lower()))
        if containers is None:
            return (
                404,
                {},
                _error(
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.Storage/storageAccounts/{account}' under resource group '{rg}' was not found.",
                ),
            )
        if container is not None and container not in containers:
            return 404, {}, _error("ContainerNotFound", "The specified container does not exist.")
        return self._needs_api_version(req) or (200, {}, {"id": req.path, "name": container or account})


class GraphStandIn(HttpsStandIn):
    """Microsoft Graph's service principal list, filtered by display name."""

    def __init__(self, token: str = GRAPH_TOKEN) -> None:
        super().__init__(token, "graph-standin")
        self.service_principals: dict[str, list[str]] = {}
        self.readable = True
        self.route("GET", r"^/v1\.0/servicePrincipals/?$", self._list)

    def _list(self, request: Request):
        if not self.readable:
            return (
                403,
                {},
                {
                    "error": {
                        "code": "Authorization_RequestDenied",
                        "message": "Insufficient privileges to complete the operation.",
                    }
                },
            )
        filter_ = request.query.get("$filter", "")
        name = filter_.partition("displayName eq '")[2].rstrip("'")
        ids = self.service_principals.get(name, [])
        return 200, {}, {"value": [{"id": i, "appId": "app-" + i[:8], "displayName": name} for i in ids]}
