"""Roll new images in: delete idle agents that still run an older version of a gallery image.

A stateful pool keeps an agent (and its image version) until its maximum lifetime, up to a week, so
a new image version reaches the agents slowly. After an image build, `mdpool deploy --recycle` (or
`pool.recycle_after_build: true`) lists the pool's machines and deletes the idle ones whose image
version is older than the gallery's newest Succeeded version of that image; the service starts
fresh agents, on the newest version, as standby and demand ask.

Rules (pools spec 2026-06-02: `GET .../pools/{name}/resources` lists ResourceDetailsObject with
`status`, `image`, `imageVersion`; `POST .../pools/{name}/resources` with DeleteResourcesDetails
`{"resourceIds": [...]}` deletes machines):
- only a machine whose status is `Ready` (idle, waiting for a job) is deleted; never one that is
  `Leased` or `Allocated` (running a job), nor one being provisioned, started, updated or reimaged;
- one batch per deploy, at most half of the pool's ready machines (at least one), so standby capacity
  stays while replacements start; the rest wait for the next deploy (or their maximum lifetime).

The calls go through the image builder client's pipeline (azure-core: same credential, endpoint and
retry settings as `mdpool images build`). azure-core retries the GETs; it does not resend the delete
(a POST) after a server error, and mdpool does not resend it blindly either: it lists the machines
again and asks once more only for those still there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from mdpool.deploy.errors import DeployError

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Pool
    from mdpool.imagebuild.builder import Connection

POOLS_API_VERSION = "2026-06-02"
IDLE = "Ready"
"""ResourceStatus of a machine that waits for a job: the only one recycled."""


@dataclass(frozen=True)
class Machine:
    id: str
    name: str
    status: str
    image: str
    image_version: str


@dataclass(frozen=True)
class RecyclePlan:
    delete: tuple[Machine, ...]
    busy: tuple[Machine, ...]
    """Older version, but not idle (leased, allocated, starting...): left alone."""
    later: tuple[Machine, ...]
    """Older version and idle, beyond this run's batch."""

    @property
    def waiting(self) -> int:
        return len(self.busy) + len(self.later)


@dataclass
class RecycleResult:
    recycled: int = 0
    waiting: int = 0
    details: list[str] = field(default_factory=list)

    def line(self, pool: str) -> str:
        if not self.recycled and not self.waiting:
            return f"{pool}: recycle: every agent runs the newest image version"
        return (
            f"{pool}: recycled {self.recycled} idle agent(s) on older image versions; "
            f"{self.waiting} wait (busy, or beyond this run's batch)"
        )


def version_key(version: str) -> tuple:
    """Gallery versions compare as numbers: 0.25001.10 is newer than 0.25001.9."""
    return tuple(int(part) if part.isdigit() else -1 for part in re.split(r"[.]", version or ""))


def image_key(image: str) -> str:
    """A machine's `image` or a definition id, without a version, lowercased (ids are case-insensitive)."""
    return re.sub(r"/versions/[^/]+$", "", (image or "").strip().rstrip("/")).lower()


def plan_recycle(machines: Iterable[Machine], newest: Mapping[str, str]) -> RecyclePlan:
    """Which machines to delete now: idle ones on an older version of an image `newest` knows (key -> version)."""
    machines = list(machines)
    known = {image_key(key): version for key, version in newest.items()}
    stale = [
        m
        for m in machines
        if image_key(m.image) in known and version_key(m.image_version) < version_key(known[image_key(m.image)])
    ]
    idle = [m for m in stale if m.status == IDLE]
    busy = tuple(m for m in stale if m.status != IDLE)
    ready = sum(1 for m in machines if m.status == IDLE)
    batch = max(1, ready // 2)
    return RecyclePlan(delete=tuple(idle[:batch]), busy=busy, later=tuple(idle[batch:]))


class PoolMachines:
    """The pool's machines over ARM, through an azure-core pipeline client (`send_request`)."""

    def __init__(self, client: Any, pool_id: str) -> None:
        self.client, self.pool_id = client, pool_id

    def _send(self, method: str, url: str, params: Mapping[str, str] | None, json: Any = None, missing_ok: bool = False) -> Any:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        try:
            response = self.client.send_request(HttpRequest(method, url, params=params, json=json))
            if missing_ok and response.status_code == 404:
                return None
            response.raise_for_status()
            return response
        except AzureError as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise DeployError(f"recycle: {method} {url} failed: {detail}") from None

    def machines(self, missing_ok: bool = False) -> list[Machine]:
        """The pool's machines; with `missing_ok`, a pool that does not exist (404) has none."""
        url: str | None = f"{self.pool_id}/resources"
        params: Mapping[str, str] | None = {"api-version": POOLS_API_VERSION}
        found = []
        for _ in range(100):  # pages; bounded
            if url is None:
                break
            response = self._send("GET", url, params, missing_ok=missing_ok)
            if response is None:
                return []
            page = response.json()
            for item in page.get("value") or []:
                properties = item.get("properties") or {}
                found.append(
                    Machine(
                        str(item.get("id")),
                        str(item.get("name")),
                        str(properties.get("status")),
                        str(properties.get("image")),
                        str(properties.get("imageVersion")),
                    )
                )
            url, params = page.get("nextLink"), None
        return found

    def delete(self, machines: Sequence[Machine]) -> None:
        """Delete `machines`. azure-core does not resend a POST after a 5xx, and neither do we blindly:
        after a server error we list again and ask once more only for the machines still there."""
        from azure.core.exceptions import HttpResponseError

        if not machines:
            return
        ids = [machine.id for machine in machines]
        try:
            self._post_delete(ids)
        except HttpResponseError as error:
            if error.status_code is None or error.status_code < 500:
                raise self._error("POST", error) from None
            still_there = {machine.id.lower() for machine in self.machines()}
            remaining = [resource_id for resource_id in ids if resource_id.lower() in still_there]
            if remaining:
                try:
                    self._post_delete(remaining)
                except HttpResponseError as again:
                    raise self._error("POST", again) from None

    def _post_delete(self, ids: list[str]) -> None:
        from azure.core.rest import HttpRequest

        request = HttpRequest(
            "POST", f"{self.pool_id}/resources", params={"api-version": POOLS_API_VERSION}, json={"resourceIds": ids}
        )
        self.client.send_request(request).raise_for_status()

    def _error(self, method: str, error: Exception) -> DeployError:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return DeployError(f"recycle: {method} {self.pool_id}/resources failed: {detail}")


def newest_versions(client: Any, definition_ids: Mapping[str, str]) -> dict[str, str]:
    """Gallery image name and definition id -> its newest Succeeded version (images with none left out)."""
    from azure.core.rest import HttpRequest

    from mdpool.imagebuild.builder import GALLERY_API_VERSION

    newest: dict[str, str] = {}
    for name, definition_id in definition_ids.items():
        url: str | None = f"{definition_id}/versions"
        params: dict[str, str] | None = {"api-version": GALLERY_API_VERSION}
        versions: list[str] = []
        for _ in range(100):
            if url is None:
                break
            response = client.send_request(HttpRequest("GET", url, params=params))
            if response.status_code == 404:
                break
            response.raise_for_status()
            page = response.json()
            versions += [
                str(v.get("name"))
                for v in page.get("value") or []
                if (v.get("properties") or {}).get("provisioningState") == "Succeeded"
            ]
            url, params = page.get("nextLink"), None
        if versions:
            top = max(versions, key=version_key)
            newest[definition_id] = newest[name] = top
    return newest


def pool_id_of(config: "EnvironmentConfig", pool: "Pool | None" = None) -> str:
    return config.names.pool_id(pool or config.pool)


def recycle_pool(config: "EnvironmentConfig", connection: "Connection | None" = None, pool: "Pool | None" = None) -> RecycleResult:
    """List the pool's machines, delete this run's batch of idle ones on older versions, say what waits."""
    from mdpool.imagebuild.builder import Connection

    pool = pool or config.pool
    connection = (connection or Connection.from_environment()).with_credential()
    client = connection.client(config.subscription_id)
    # Only gallery images the pool runs on "latest" roll forward; a pinned version stays as it is.
    used = {image.gallery_image for image in pool.images if image.gallery_image and image.version == "latest"}
    definition_ids = {name: config.names.gallery_image_id(name) for name in sorted(used)}
    newest = newest_versions(client, definition_ids)
    machines = PoolMachines(client, pool_id_of(config, pool))
    plan = plan_recycle(machines.machines(), newest)
    machines.delete(plan.delete)
    return RecycleResult(
        recycled=len(plan.delete),
        waiting=plan.waiting,
        details=[f"deleted {m.name} ({m.image_version})" for m in plan.delete]
        + [f"waits {m.name} ({m.image_version}, {m.status})" for m in plan.busy + plan.later],
    )
