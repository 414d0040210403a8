"""Loopback HTTPS stand-ins for the non-ARM services `mdpool doctor` asks: Azure DevOps and Microsoft Graph.

Like tests/support/arm_standin.py: a real HTTPS server on 127.0.0.1 with a trustme certificate, so
the real azure-core pipeline (retries, bearer token policy, TLS verification) is exercised. Each
server accepts exactly one bearer token, the one for its own audience: a token meant for another
service is answered 401, so a test sees a token sent to the wrong place.

- ``HttpsStandIn(token)``: the generic server; ``route(method, path_regex, handler)``;
  ``fail(path_regex, status, times=1, headers=None, body=None)`` answers the next matching requests
  with that status (a 429 with Retry-After, a 302 to elsewhere); ``requests`` records method, path,
  query and headers (never the Authorization header).
- ``DevOpsStandIn``: organizations (``add_organization(name, member=True, may_administer=True)``)
  answering ``GET /{org}/_apis/connectionData`` and
  ``GET /{org}/_apis/security/permissions/{namespace}/{bits}?tokens=...`` as Azure DevOps does
  (401 TF400813 for a non-member; ``{"count": n, "value": [bool, ...]}``). Organization-level agent
  pool administrators are granted every bit of the DistributedTask namespace on ``AgentPools``.
- ``ScopedTokenCredential``: a TokenCredential handing out one token per audience (scope).

For `mdpool verify` and `mdpool rollout` an organization also serves (api-version required on each):

- agent pools ``GET /{org}/_apis/distributedtask/pools?poolName=`` (``org.agent_pools``: names) and
  project queues ``GET /{org}/{project}/_apis/distributedtask/queues?queueName=`` (``org.queues``:
  project -> queue names; a project not in ``org.projects`` answers 404 TF200016), shapes of the
  Distributed Task REST reference (TaskAgentPool, TaskAgentQueue);
- ``GET /{org}/_apis/distributedtask/resourceusage?parallelismTag=Private&poolIsHosted=false``: the
  purchased self-hosted parallel jobs (``org.self_hosted_parallel_jobs``) as ResourceUsage.resourceLimit.totalCount;
- pipelines ``GET /{org}/{project}/_apis/pipelines`` and the Runs API: ``POST .../pipelines/{id}/runs``
  queues a run (an unknown template parameter answers 400 as Azure DevOps does), ``GET .../runs/{runId}``
  answers ``inProgress`` for ``pipeline.polls`` looks, then ``completed`` with ``pipeline.result``
  (``add_pipeline(org, project, id, name, parameters=("imageOverride",), result="succeeded", polls=1)``);
  ``org.runs`` records every queued run (its template parameters included);
- ``GET /{org}/{project}/_apis/pipelines/pipelinePermissions/queue/{id}``: ``allPipelines.authorized``
  for the queues in ``org.open_queues`` ((project, queue name)).
"""

from __future__ import annotations

import http.server
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo

from tests.support.loopback_https import LoopbackServer, write_ca

ARM_SCOPE = "https://management.azure.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
DEVOPS_TOKEN = "devops-standin-token-not-a-secret"
GRAPH_TOKEN = "graph-standin-token-not-a-secret"
AGENT_POOLS_NAMESPACE = "101eae8c-1709-47f9-b228-0e476c35b3ba"
ALL_AGENT_POOL_BITS = 1 | 2 | 4 | 8 | 16 | 32  # View Manage Listen AdministerPermissions Use Create


class ScopedTokenCredential:
    """One bearer token per audience; any other scope gets a token no stand-in accepts."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.scopes: list[str] = []

    def _token(self, scopes: tuple[str, ...]) -> str:
        self.scopes.extend(scopes)
        return self.tokens.get(scopes[0], "token-for-an-unknown-audience")

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token(scopes), int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: dict | None = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token(scopes), int(time.time()) + 3600)

    def close(self) -> None:
        pass


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    match: re.Match[str] | None = None


Handler = Callable[[Request], "tuple[int, dict[str, str], Any]"]


class HttpsStandIn:
    """An HTTPS loopback server that insists on one bearer token and serves scripted routes."""

    def __init__(self, token: str, name: str = "standin") -> None:
        self.token = token
        self.name = name
        self.requests: list[Request] = []
        self.rejected_tokens = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[list[Any]] = []  # [pattern, status, times left, headers, body]
        self._lock = threading.RLock()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{name}-")
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.ca_file = ""

    def route(self, method: str, path_regex: str, handler: Handler) -> None:
        with self._lock:
            self._routes.append((method, re.compile(path_regex, re.IGNORECASE), handler))

    def fail(
        self, path_regex: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None, body: Any = None
    ) -> None:
        with self._lock:
            self._faults.append([re.compile(path_regex, re.IGNORECASE), status, times, headers or {}, body])

    def start(self) -> HttpsStandIn:
        ca, self.ca_file = write_ca(Path(self._tmp.name))
        owner = self

        class _Bound(_Handler):
            standin = owner

        self._loopback = LoopbackServer(_Bound, self.name, ca)
        self._server, self._thread = self._loopback.server, self._loopback.thread
        self.base_url = self._loopback.base_url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loopback.stop()
            self._server = self._thread = None
        self._tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_matching(self, method: str, path_regex: str) -> list[Request]:
        pattern = re.compile(path_regex, re.IGNORECASE)
        with self._lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def _dispatch(self, request: Request) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            for fault in self._faults:
                if fault[2] > 0 and fault[0].search(request.path):
                    fault[2] -= 1
                    return fault[1], dict(fault[3]), fault[4]
            for method, pattern, handler in self._routes:
                match = pattern.search(request.path)
                if match and method in ("*", request.method):
                    request.match = match
                    return handler(request)
        return 404, {}, {"message": f"The stand-in does not serve {request.method} {request.path}."}


class _Handler(http.server.BaseHTTPRequestHandler):
    standin: HttpsStandIn
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        owner = self.standin
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = Request(
            self.command, parts.path, query, {k: v for k, v in self.headers.items() if k.lower() != "authorization"}, body
        )
        if self.headers.get("Authorization") != f"Bearer {owner.token}":
            with owner._lock:
                owner.rejected_tokens += 1
            status, headers, payload = 401, {}, {"message": "TF400813: wrong or missing bearer token for this service."}
        else:
            try:
                status, headers, payload = owner._dispatch(request)
            except Exception as error:  # noqa: BLE001 - a bug in the stand-in shows as a 500, not a hang
                status, headers, payload = 500, {}, {"message": repr(error)}
        with owner._lock:
            owner.requests.append(request)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


@dataclass
class StandInPipeline:
    id: int
    name: str
    parameters: tuple[str, ...] = ("imageOverride",)
    result: str = "succeeded"
    """How its runs end: succeeded | failed | canceled."""
    polls: int = 1
    """Looks (GET) at a run that still answer inProgress before it completes."""


@dataclass
class StandInRun:
    id: int
    pipeline: StandInPipeline
    project: str
    template_parameters: dict[str, Any]
    looks: int = 0


@dataclass
class Organization:
    name: str
    member: bool = True
    allowed_bits: int = ALL_AGENT_POOL_BITS
    """What the signed-in identity is allowed on token AgentPools of the DistributedTask namespace."""
    user: str = "deployer@example.com"
    evaluations: list[tuple[int, str]] = field(default_factory=list)
    projects: set[str] = field(default_factory=set)
    agent_pools: set[str] = field(default_factory=set)
    queues: dict[str, set[str]] = field(default_factory=dict)
    self_hosted_parallel_jobs: int = 1
    """Purchased self-hosted parallel jobs (one is free: learn.microsoft.com, "Configure and pay for parallel jobs")."""
    pipelines: dict[tuple[str, int], StandInPipeline] = field(default_factory=dict)
    runs: list[StandInRun] = field(default_factory=list)
    open_queues: set[tuple[str, str]] = field(default_factory=set)
    """(project, queue name) open to every pipeline of the project (pipeline permissions, allPipelines)."""


class DevOpsStandIn(HttpsStandIn):
    """Azure DevOps organizations: membership (connectionData) and agent pool permissions."""

    def __init__(self, token: str = DEVOPS_TOKEN) -> None:
        super().__init__(token, "devops-standin")
        self.organizations: dict[str, Organization] = {}
        self.route("GET", r"^/(?P<org>[^/]+)/_apis/connectionData/?$", self._connection_data)
        self.route("GET", r"^/(?P<org>[^/]+)/_apis/security/permissions/(?P<ns>[^/]+)/(?P<bits>\d+)/?$", self._has_permissions)
        self.route("GET", r"^/(?P<org>[^/]+)/_apis/distributedtask/pools/?$", self._agent_pools)
        self.route("GET", r"^/(?P<org>[^/]+)/_apis/distributedtask/resourceusage/?$", self._resource_usage)
        self.route("GET", r"^/(?P<org>[^/]+)/(?P<project>[^/_][^/]*)/_apis/distributedtask/queues/?$", self._queues)
        self.route("GET", r"^/(?P<org>[^/]+)/(?P<project>[^/_][^/]*)/_apis/pipelines/?$", self._pipelines)
        self.route(
            "GET",
            r"^/(?P<org>[^/]+)/(?P<project>[^/_][^/]*)/_apis/pipelines/pipelinePermissions/queue/(?P<queue>\d+)/?$",
            self._queue_permissions,
        )
        self.route("POST", r"^/(?P<org>[^/]+)/(?P<project>[^/_][^/]*)/_apis/pipelines/(?P<id>\d+)/runs/?$", self._run_pipeline)
        self.route("GET", r"^/(?P<org>[^/]+)/(?P<project>[^/_][^/]*)/_apis/pipelines/(?P<id>\d+)/runs/(?P<run>\d+)/?$", self._get_run)

    def add_organization(
        self, name: str, *, member: bool = True, may_administer: bool = True, allowed_bits: int | None = None
    ) -> Organization:
        bits = allowed_bits if allowed_bits is not None else (ALL_AGENT_POOL_BITS if may_administer else 1 | 16)
        org = Organization(name, member=member, allowed_bits=bits)
        self.organizations[name.lower()] = org
        return org

    def _org(self, request: Request) -> Organization | None:
        assert request.match is not None
        return self.organizations.get(request.match.group("org").lower())

    def _not_member(self, org_name: str) -> tuple[int, dict[str, str], Any]:
        return (
            401,
            {},
            {
                "$id": "1",
                "innerException": None,
                "message": "TF400813: The user 'deployer@example.com' is not authorized to access this resource.",
                "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException",
                "typeKey": "UnauthorizedRequestException",
                "errorCode": 0,
            },
        )

    def _connection_data(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org = self._org(request)
        if org is None:
            return 404, {}, {"message": "TF400898: The organization was not found."}
        if not org.member:
            return self._not_member(org.name)
        return (
            200,
            {},
            {
                "authenticatedUser": {"id": "5d7c0e2a-0000-4000-8000-000000000001", "providerDisplayName": org.user},
                "instanceId": "00000000-0000-4000-8000-00000000000a",
            },
        )

    def _has_permissions(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org = self._org(request)
        assert request.match is not None
        if org is None:
            return 404, {}, {"message": "TF400898: The organization was not found."}
        if not org.member:
            return self._not_member(org.name)
        if "api-version" not in request.query:
            return 400, {}, {"message": "The api-version query parameter is required."}
        namespace, bits = request.match.group("ns").lower(), int(request.match.group("bits"))
        tokens = [t for t in request.query.get("tokens", "").split(",") if t]
        org.evaluations.append((bits, ",".join(tokens)))
        values = []
        for token in tokens:
            granted = org.allowed_bits if namespace == AGENT_POOLS_NAMESPACE and token.startswith("AgentPools") else 0
            values.append((granted & bits) == bits)  # every requested bit must be allowed
        return 200, {}, {"count": len(values), "value": values}

    # -- agent pools, queues, parallel jobs (mdpool verify) ---------------------------------------

    def add_pipeline(self, org_name: str, project: str, pipeline_id: int, name: str, **settings: Any) -> StandInPipeline:
        org = self.organizations[org_name.lower()]
        org.projects.add(project)
        pipeline = StandInPipeline(pipeline_id, name, **settings)
        org.pipelines[(project.lower(), pipeline_id)] = pipeline
        return pipeline

    def _checked(self, request: Request) -> tuple[Organization | None, tuple[int, dict[str, str], Any] | None]:
        org = self._org(request)
        if org is None:
            return None, (404, {}, {"message": "TF400898: The organization was not found."})
        if not org.member:
            return None, self._not_member(org.name)
        if "api-version" not in request.query:
            return None, (400, {}, {"message": "The api-version query parameter is required."})
        return org, None

    def _project(self, org: Organization, request: Request) -> str | None:
        assert request.match is not None
        wanted = request.match.group("project").lower()
        return next((p for p in org.projects if p.lower() == wanted), None)

    def _no_project(self, request: Request) -> tuple[int, dict[str, str], Any]:
        assert request.match is not None
        return (
            404,
            {},
            {"message": f"TF200016: The following project does not exist: {request.match.group('project')}. "
             "Verify that the name of the project is correct and that the project exists on the specified "
             "Azure DevOps Server.", "typeKey": "ProjectDoesNotExistWithNameException"},
        )

    def _agent_pools(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None
        wanted = request.query.get("poolName")
        names = sorted(n for n in org.agent_pools if wanted is None or n.lower() == wanted.lower())
        value = [{"id": 10 + i, "name": n, "isHosted": False, "poolType": "automation", "size": 0} for i, n in enumerate(names)]
        return 200, {}, {"count": len(value), "value": value}

    def _queues(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None
        project = self._project(org, request)
        if project is None:
            return self._no_project(request)
        wanted = request.query.get("queueName")
        every = sorted(org.queues.get(project, set()))  # a queue's id: 100 + its place among the project's queues
        value = [
            {"id": 100 + i, "projectId": "0000-" + project, "name": n, "pool": {"id": 10, "name": n, "isHosted": False}}
            for i, n in enumerate(every)
            if wanted is None or n.lower() == wanted.lower()
        ]
        return 200, {}, {"count": len(value), "value": value}

    def _resource_usage(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None
        hosted = request.query.get("poolIsHosted", "").lower() == "true"
        tag = request.query.get("parallelismTag", "")
        total = 0 if hosted or tag != "Private" else org.self_hosted_parallel_jobs
        limit = {
            "parallelismTag": tag,
            "isPremium": False,
            "totalCount": total,
            "totalMinutes": 0,
            "isHosted": hosted,
            "failedToReachAllProviders": False,
            "hostId": "00000000-0000-4000-8000-00000000000a",
            "resourceLimitsData": {},
        }
        return 200, {}, {"resourceLimit": limit, "usedCount": 0, "usedMinutes": 0, "runningRequests": []}

    # -- pipelines and runs (mdpool rollout's smoke runs) ----------------------------------------

    def _pipelines(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None
        project = self._project(org, request)
        if project is None:
            return self._no_project(request)
        value = [
            {"id": p.id, "name": p.name, "folder": "\\", "revision": 1}
            for (proj, _), p in sorted(org.pipelines.items()) if proj == project.lower()
        ]
        return 200, {}, {"count": len(value), "value": value}

    def _pipeline(self, org: Organization, project: str, request: Request) -> StandInPipeline | None:
        assert request.match is not None
        return org.pipelines.get((project.lower(), int(request.match.group("id"))))

    def _run_json(self, org: Organization, run: StandInRun) -> dict[str, Any]:
        pipeline = run.pipeline
        done = run.looks > pipeline.polls
        web = f"https://dev.azure.com/{org.name}/{run.project}/_build/results?buildId={run.id}"
        body: dict[str, Any] = {
            "id": run.id,
            "name": f"20261203.{run.id}",
            "state": "completed" if done else "inProgress",
            "pipeline": {"id": pipeline.id, "name": pipeline.name, "folder": "\\", "revision": 1},
            "templateParameters": dict(run.template_parameters),
            "createdDate": "2026-12-03T08:00:00.0000000Z",
            "url": f"https://dev.azure.com/{org.name}/_apis/pipelines/{pipeline.id}/runs/{run.id}",
            "_links": {"web": {"href": web}},
        }
        if done:
            body["result"] = pipeline.result
            body["finishedDate"] = "2026-12-03T08:05:00.0000000Z"
        return body

    def _run_pipeline(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None
        project = self._project(org, request)
        if project is None:
            return self._no_project(request)
        pipeline = self._pipeline(org, project, request)
        if pipeline is None:
            return 404, {}, {"message": "Pipeline not found.", "typeKey": "PipelineNotFoundException"}
        body = request.body if isinstance(request.body, dict) else {}
        parameters = body.get("templateParameters") or {}
        unknown = [name for name in parameters if name not in pipeline.parameters]
        if unknown:
            return 400, {}, {"message": f"Unexpected parameter '{unknown[0]}'", "typeKey": "PipelineValidationException"}
        run = StandInRun(1000 + len(org.runs), pipeline, project, dict(parameters))
        org.runs.append(run)
        return 200, {}, self._run_json(org, run)

    def _get_run(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None and request.match is not None
        run_id = int(request.match.group("run"))
        run = next((r for r in org.runs if r.id == run_id), None)
        if run is None:
            return 404, {}, {"message": f"Run {run_id} not found.", "typeKey": "RunNotFoundException"}
        run.looks += 1
        return 200, {}, self._run_json(org, run)

    def _queue_permissions(self, request: Request) -> tuple[int, dict[str, str], Any]:
        org, refusal = self._checked(request)
        if refusal:
            return refusal
        assert org is not None and request.match is not None
        project = self._project(org, request)
        if project is None:
            return self._no_project(request)
        queue_id = int(request.match.group("queue"))
        names = sorted(org.queues.get(project, set()))
        if not 0 <= queue_id - 100 < len(names):
            return 404, {}, {"message": f"Queue {queue_id} not found."}
        authorized = (project, names[queue_id - 100]) in org.open_queues
        return 200, {}, {
            "resource": {"type": "queue", "id": str(queue_id)},
            "pipelines": [],
            "allPipelines": {"authorized": authorized} if authorized else None,
        }
