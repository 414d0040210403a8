"""A loopback stand-in for the parts of Azure Resource Manager that mdpool's image builds call.

The real Azure SDK clients talk to it over HTTPS, so tests exercise the real request building,
retry policy, long-running-operation polling and error mapping of ``azure-mgmt-imagebuilder`` /
``azure-core`` instead of a mock.

Start it
--------
::

    from azure.mgmt.imagebuilder import ImageBuilderClient
    from tests.support.arm_standin import ArmStandIn

    with ArmStandIn() as arm:                       # HTTPS on 127.0.0.1:<random port>
        client = ImageBuilderClient(arm.credential, arm.subscription_id, **arm.client_kwargs())
        client.virtual_machine_image_templates.get("rg", "name")   # -> ResourceNotFoundError

``arm.base_url`` is ``https://127.0.0.1:<port>``; ``arm.ca_file`` is the PEM of the test CA (trustme)
that signed the server certificate (pass it as ``connection_verify``); ``arm.credential`` is a
:class:`StaticTokenCredential` whose bearer token the server insists on (401 otherwise).
``arm.client_kwargs()`` gives ``base_url``, ``connection_verify``, a short ``polling_interval`` and a
tiny retry back-off so tests stay fast; override any of them by keyword.
A pytest fixture is one line: ``yield from arm_standin_fixture()`` or simply ``with ArmStandIn() as arm: yield arm``.

What it serves
--------------
Image templates (``Microsoft.VirtualMachineImages``, any api-version, recorded per request):

- ``GET/PUT/DELETE .../resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name}``
  PUT answers 201 + ``Azure-AsyncOperation`` (provisioningState Creating -> Succeeded); PUT over an
  existing template answers 409 (Azure cannot update a template in place). DELETE answers 202 +
  ``Azure-AsyncOperation`` + ``Location``; DELETE of a running template answers 409.
- ``GET .../imageTemplates`` (list in a resource group).
- ``POST .../imageTemplates/{name}/run``: 202 + ``Azure-AsyncOperation`` + ``Location``; starts a build
  that runs on the wall clock for the scripted duration (default ``build_duration`` seconds) through
  every sub-state of the 2025-10-01 spec (Queued, Building, Customizing, Optimizing, Validating,
  Distributing), an equal share of the duration each. Its async operation stays
  InProgress until the build ends. A second run while one is running answers 409.
- ``POST .../imageTemplates/{name}/cancel``: 202; the run goes Canceling, then Canceled after
  ``cancel_duration`` seconds. Cancel without a running build answers 409.
- ``GET .../imageTemplates/{name}/runOutputs[/{runOutputName}]``: artifactId of the produced version.

A successful build creates a gallery image version in the distributor's ``galleryImageId`` with the
distributor's ``artifactTags`` as resource tags (what Azure Image Builder does), named
``0.<yyddd>.<n>``; a failed one sets ``lastRunStatus.message`` to Azure's wording including
``Image Build log location: <log url>`` (``arm.log_url(rg, name)``, path-style on the stand-in:
``https://127.0.0.1:<port>/<account>/packerlogs/<folder>/customization.log``).

The customization log (Azure Storage Get Blob): ``GET /<account>/packerlogs/<folder>/customization.log``
with a storage-scoped bearer token (the credential hands out a token of its own for
``https://storage.azure.com/.default``; an ARM token gets 401) and ``x-ms-version`` (400 without);
serves what ``arm.set_customization_log(rg, name, text)`` set, else, for a failed run, Packer's
telemetry lines around each customizer with the last one failing; 404 ``BlobNotFound`` otherwise.
Deny it as Azure does with ``arm.fail("GET", "customization.log$", 403, code="AuthorizationPermissionMismatch",
headers={"x-ms-error-code": "AuthorizationPermissionMismatch"})``.

Gallery image versions (``Microsoft.Compute``): ``GET .../galleries/{g}/images/{i}/versions`` (paged by
``versions_page_size`` with ``nextLink``), ``GET .../versions/{v}``, ``DELETE .../versions/{v}`` (202 and a
``capsOperations`` async operation as the spec's example; Deleting until the operation is seen done; recorded
in ``version_deletes``), ``PATCH .../versions/{v}``
with ``{"properties": {"publishingProfile": {"excludeFromLatest": bool}}}`` (recorded in ``version_patches``). With
``ArmStandIn(strict_gallery=True)`` an image definition that was neither declared with
``arm.add_gallery_image(id)`` nor given a version answers 404, as Azure does.

Long-running operations: ``GET .../locations/{loc}/operations/{id}`` answers ``InProgress`` for
``lro_polls`` polls, then ``Succeeded`` (or ``Failed`` with the scripted error);
``GET .../operationResults/{id}`` (the ``Location``) answers 202 until done, then 204.

Script it (all thread-safe; call before or during a test)
---------------------------------------------------------
- ``arm.script_build(template="*", outcome="Succeeded"|"Failed"|"Canceled", duration=None,
  message=None, times=None)``: how the next runs of templates matching the glob go (first matching
  plan wins; ``times`` limits how often a plan is used; ``None`` = for ever).
- ``arm.fail(method, path_regex, status, *, times=1, after=0, code=None, message=None,
  headers=None, process=False)``: answer the next ``times`` matching requests (after skipping
  ``after`` of them) with ``status`` and an ARM error body. ``process=True`` applies the request's
  effect first and then answers with the fault (a gateway timeout after the backend accepted it).
  ``path_regex`` is searched in the path (no query). Returns the :class:`Fault`; ``fault.hits`` counts.
- ``arm.throttle(method, path_regex, *, times=1, retry_after=0.05)``: 429 with ``Retry-After``.
- ``arm.deny_authorization(method, path_regex, *, times=1)``: 403 ``AuthorizationFailed``.
- ``arm.fail_provisioning(template="*", *, times=1, code=..., message=...)``: the next PUTs of matching
  templates are accepted (201) but their async operation ends ``Failed`` with that error and the
  template stays in provisioningState Failed (as Azure does when validation of the build fails).
  Provisioning also ends without polling: a GET of a Creating template sees Creating once, then
  the outcome (so a client that lost the PUT's answer can find out what happened).
- ``arm.route(method, path_regex, handler)``: serve any other endpoint; ``handler(request)`` gets a
  :class:`StandInRequest` and returns ``(status, headers_dict, json_body_or_None)``.

Seed and inspect state
----------------------
- ``arm.add_template(rg, name, body, *, run_state=None, tags=None, build_duration=None, outcome=...)``:
  an existing template (``body`` is the ARM JSON as PUT); ``run_state="Running"`` gives it a build in
  progress (ending after ``build_duration``), or any terminal run state.
- ``arm.template(rg, name)``: the ARM JSON a GET would return, or ``None``.
- ``arm.finish_build_in(rg, name, seconds)``: end a running build that many seconds from now.
- ``arm.add_image_version(gallery_image_id, name=None, tags=None)`` -> version id;
  ``arm.image_versions(gallery_image_id)`` -> list of version JSON.
- ``arm.requests``: every request as a :class:`Recorded` (method, path, query, body, status, at);
  ``arm.requests_matching(method, path_regex)`` filters them. Authorization headers are never kept.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import http.server
import itertools
import json
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo

from tests.support.loopback_https import LoopbackServer, write_ca

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
_TEMPLATES_PROVIDER = "Microsoft.VirtualMachineImages"

_RE_TEMPLATE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.VirtualMachineImages"
    r"/imageTemplates/(?P<name>[^/]+)(?P<rest>/.*)?$",
    re.I,
)
_RE_TEMPLATE_LIST = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.VirtualMachineImages"
    r"/imageTemplates/?$",
    re.I,
)
_RE_OPERATION = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.VirtualMachineImages/locations/[^/]+"
    r"/(?P<kind>operations|operationResults)/(?P<op>[^/]+)$",
    re.I,
)
# compute GalleryRP 2024-03-03 example GalleryImageVersion_Delete.json: the async operation of a deletion
_RE_COMPUTE_OPERATION = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/capsOperations/(?P<op>[^/]+)$", re.I
)
_RE_VERSIONS = re.compile(
    r"^(?P<image>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+"
    r"/images/[^/]+)/versions(?:/(?P<version>[^/]+))?/?$",
    re.I,
)
# Image Builder 2025-10-01 ImageTemplateLastRunStatus.runSubState, in the spec's order
SUB_STATES = ("Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing")
STORAGE_SCOPE = "https://storage.azure.com/.default"
_RE_BLOB = re.compile(r"^/(?P<account>[a-z0-9]{3,24})/packerlogs/(?P<folder>[^/]+)/customization\.log$")
TERMINAL_RUN_STATES = ("Succeeded", "PartiallySucceeded", "Failed", "Canceled")


# --------------------------------------------------------------------------------------------
# credential


class StaticTokenCredential:
    """A TokenCredential handing out one fixed bearer token (the stand-in accepts only that token)."""

    def __init__(self, token: str = "standin-token-not-a-secret", expires_in: int = 3600) -> None:
        self.token = token
        self.expires_in = expires_in
        self.calls = 0

    def token_for(self, scopes: tuple[str, ...]) -> str:
        """Azure Storage gets a token of its own (its audience differs), so a blob read proves its scope."""
        return f"{self.token}.storage" if STORAGE_SCOPE in scopes else self.token

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, enable_cae: bool = False, **kwargs: Any
    ) -> AccessToken:
        self.calls += 1
        return AccessToken(self.token_for(scopes), int(time.time()) + self.expires_in)

    def get_token_info(self, *scopes: str, options: dict | None = None) -> AccessTokenInfo:
        self.calls += 1
        return AccessTokenInfo(self.token_for(scopes), int(time.time()) + self.expires_in)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------
# scripting records


LOST = 0
"""A fault status that answers nothing: the connection is closed (see ArmStandIn.lose_answer)."""


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int = 1
    after: int = 0
    code: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    process: bool = False
    seen: int = 0
    hits: int = 0

    def take(self, method: str, path: str) -> bool:
        if self.method != "*" and method != self.method:
            return False
        if not self.pattern.search(path) or self.hits >= self.times:
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        self.hits += 1
        return True


@dataclass
class BuildPlan:
    template: str = "*"
    outcome: str = "Succeeded"
    duration: float | None = None
    message: str | None = None
    times: int | None = None
    used: int = 0

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatch(name.lower(), self.template.lower()) and (self.times is None or self.used < self.times)


@dataclass
class ProvisioningFailure:
    template: str
    times: int
    code: str
    message: str
    used: int = 0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class StandInRequest:
    """What a custom route handler receives."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    match: re.Match[str]


@dataclass
class _Run:
    plan: BuildPlan
    duration: float
    started: float
    start_time: _dt.datetime
    run_output_name: str | None
    state: str = "Running"
    sub_state: str | None = "Queued"
    message: str = ""
    end_time: _dt.datetime | None = None
    cancel_at: float | None = None
    artifact_id: str | None = None


@dataclass
class _Template:
    sub: str
    rg: str
    name: str
    body: dict[str, Any]
    staging_rg: str
    provisioning_state: str = "Succeeded"
    provisioning_error: dict[str, str] | None = None
    run: _Run | None = None
    run_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    settle: Callable[[], Any] | None = None
    """Ends provisioning (Creating -> Succeeded/Failed) when nobody polls the create's async operation."""
    creating_gets: int = 0


@dataclass
class _Operation:
    polls_left: int
    status: Callable[[], tuple[str, dict[str, str] | None]]
    on_done: Callable[[], None] | None = None
    """Applied once, when the operation is first seen done (a version's deletion removes it then)."""


# --------------------------------------------------------------------------------------------
# the server


class ArmStandIn:
    """HTTPS loopback stand-in for ARM image templates, gallery image versions and their LROs."""

    def __init__(
        self,
        *,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        build_duration: float = 0.3,
        cancel_duration: float = 0.1,
        lro_polls: int = 1,
        versions_page_size: int = 50,
        credential: StaticTokenCredential | None = None,
        strict_gallery: bool = False,
    ) -> None:
        self.subscription_id = subscription_id
        self.build_duration = build_duration
        self.cancel_duration = cancel_duration
        self.lro_polls = lro_polls
        self.versions_page_size = versions_page_size
        self.strict_gallery = strict_gallery
        self._gallery_images: set[str] = set()
        self.credential = credential or StaticTokenCredential()
        self.requests: list[Recorded] = []
        self._lock = threading.RLock()
        self._templates: dict[tuple[str, str], _Template] = {}
        self._versions: dict[str, dict[str, dict[str, Any]]] = {}
        self.version_patches: list[tuple[str, bool]] = []  # (version id, excludeFromLatest) per PATCH, in order
        self.version_deletes: list[str] = []  # version ids, per DELETE, in order
        self._operations: dict[str, _Operation] = {}
        self._faults: list[Fault] = []
        self._plans: list[BuildPlan] = []
        self._provisioning_failures: list[ProvisioningFailure] = []
        self._routes: list[tuple[str, re.Pattern[str], Callable[[StandInRequest], tuple[int, dict, Any]]]] = []
        self._version_counter = itertools.count(1)
        self._logs: dict[str, str] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="arm-standin-")
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.ca_file = ""
        self.base_url = ""
        from tests.support.marketplace_standin import Marketplace  # Compute's marketplace image versions

        self.marketplace = Marketplace(self)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> "ArmStandIn":
        ca, self.ca_file = write_ca(Path(self._tmp.name))
        standin = self

        class Handler(_Handler):
            owner = standin

        self._loopback = LoopbackServer(Handler, "arm-standin", ca)
        self._server, self._thread = self._loopback.server, self._loopback.thread
        self.base_url = self._loopback.base_url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loopback.stop()
            self._server = self._thread = None
        self._tmp.cleanup()

    def __enter__(self) -> "ArmStandIn":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments that point an azure-mgmt client at this stand-in, tuned for fast tests."""
        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "connection_verify": self.ca_file,
            "polling_interval": 0.01,
            "retry_backoff_factor": 0.01,
            "retry_backoff_max": 0.2,
        }
        kwargs.update(overrides)
        return kwargs

    # ---- scripting ------------------------------------------------------------------------

    def script_build(
        self,
        template: str = "*",
        *,
        outcome: str = "Succeeded",
        duration: float | None = None,
        message: str | None = None,
        times: int | None = None,
    ) -> BuildPlan:
        if outcome not in ("Succeeded", "PartiallySucceeded", "Failed", "Canceled"):
            raise ValueError(f"unknown outcome {outcome!r}")
        plan = BuildPlan(template=template, outcome=outcome, duration=duration, message=message, times=times)
        with self._lock:
            self._plans.append(plan)
        return plan

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        after: int = 0,
        code: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        process: bool = False,
    ) -> Fault:
        fault = Fault(
            method=method.upper(),
            pattern=re.compile(path_regex, re.I),
            status=status,
            times=times,
            after=after,
            code=code,
            message=message,
            headers=dict(headers or {}),
            process=process,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def throttle(self, method: str, path_regex: str, *, times: int = 1, retry_after: float = 0.05) -> Fault:
        return self.fail(
            method,
            path_regex,
            429,
            times=times,
            code="TooManyRequests",
            message="The request is being throttled.",
            headers={"Retry-After": f"{retry_after:g}"},
        )

    def lose_answer(self, method: str, path_regex: str, *, times: int = 1, process: bool = False) -> Fault:
        """Close the connection instead of answering (a lost response: the client cannot tell what happened)."""
        return self.fail(method, path_regex, LOST, times=times, process=process)

    def deny_authorization(self, method: str, path_regex: str, *, times: int = 1) -> Fault:
        return self.fail(
            method,
            path_regex,
            403,
            times=times,
            code="AuthorizationFailed",
            message=(
                "The client 'standin' with object id '11111111-1111-1111-1111-111111111111' does not have "
                "authorization to perform action 'Microsoft.VirtualMachineImages/imageTemplates/write' over "
                "scope '/subscriptions/x' or the scope is invalid. If access was recently granted, please "
                "refresh your credentials."
            ),
        )

    def fail_provisioning(
        self,
        template: str = "*",
        *,
        times: int = 1,
        code: str = "ValidationFailed",
        message: str = "Validation failed: the template could not be validated.",
    ) -> ProvisioningFailure:
        failure = ProvisioningFailure(template=template, times=times, code=code, message=message)
        with self._lock:
            self._provisioning_failures.append(failure)
        return failure

    def route(self, method: str, path_regex: str, handler: Callable[[StandInRequest], tuple[int, dict, Any]]) -> None:
        with self._lock:
            self._routes.append((method.upper(), re.compile(path_regex, re.I), handler))

    # ---- seeding and inspection ------------------------------------------------------------

    def add_template(
        self,
        rg: str,
        name: str,
        body: dict[str, Any],
        *,
        run_state: str | None = None,
        build_duration: float | None = None,
        outcome: str = "Succeeded",
        message: str = "",
        run_output_name: str | None = None,
    ) -> None:
        with self._lock:
            tpl = self._new_template(self.subscription_id, rg, name, body)
            if run_state is not None:
                plan = BuildPlan(outcome=outcome)
                tpl.run = self._start_run(
                    tpl,
                    plan,
                    build_duration if build_duration is not None else self.build_duration,
                    run_output_name=run_output_name,
                )
                if run_state in TERMINAL_RUN_STATES:
                    tpl.run.state, tpl.run.sub_state, tpl.run.message = run_state, None, message
                    tpl.run.end_time = _utcnow()
                elif run_state == "Canceling":
                    tpl.run.state, tpl.run.cancel_at = "Canceling", time.monotonic()
            self._templates[(rg.lower(), name.lower())] = tpl

    def finish_build_in(self, rg: str, name: str, seconds: float) -> None:
        """Make the running build of a template end `seconds` from now (with its scripted outcome)."""
        with self._lock:
            tpl = self._templates[(rg.lower(), name.lower())]
            if tpl.run is None:
                raise ValueError(f"template {name} has no build")
            tpl.run.duration = time.monotonic() - tpl.run.started + seconds

    def template(self, rg: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            tpl = self._templates.get((rg.lower(), name.lower()))
            if tpl is None:
                return None
            self._advance(tpl)
            return self._template_json(tpl)

    def add_image_version(
        self,
        gallery_image_id: str,
        name: str | None = None,
        tags: dict[str, str] | None = None,
        provisioning_state: str = "Succeeded",
        exclude_from_latest: bool = False,
    ) -> str:
        with self._lock:
            return self._create_version(gallery_image_id, name, tags or {}, provisioning_state, exclude_from_latest)

    def add_gallery_image(self, gallery_image_id: str) -> None:
        """Declare a gallery image definition (only matters with ``strict_gallery=True``)."""
        with self._lock:
            self._gallery_images.add(gallery_image_id.rstrip("/").lower())

    def image_versions(self, gallery_image_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(v) for v in self._versions.get(gallery_image_id.lower(), {}).values()]

    def requests_matching(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex, re.I)
        with self._lock:
            return [r for r in self.requests if (method == "*" or r.method == method.upper()) and pattern.search(r.path)]

    # ---- internals: state --------------------------------------------------------------------

    def _template_id(self, tpl: _Template) -> str:
        return f"/subscriptions/{tpl.sub}/resourceGroups/{tpl.rg}/providers/{_TEMPLATES_PROVIDER}/imageTemplates/{tpl.name}"

    def _new_template(self, sub: str, rg: str, name: str, body: dict[str, Any]) -> _Template:
        suffix = uuid.uuid4()
        return _Template(sub=sub, rg=rg, name=name, body=json.loads(json.dumps(body)), staging_rg=f"IT_{rg}_{name}_{suffix}")

    def _template_json(self, tpl: _Template) -> dict[str, Any]:
        body = json.loads(json.dumps(tpl.body))
        props = body.setdefault("properties", {})
        props["provisioningState"] = tpl.provisioning_state
        if tpl.provisioning_error:
            props["provisioningError"] = {
                "provisioningErrorCode": tpl.provisioning_error["code"],
                "message": tpl.provisioning_error["message"],
            }
        props["exactStagingResourceGroup"] = f"/subscriptions/{tpl.sub}/resourceGroups/{tpl.staging_rg}"
        if tpl.run is not None:
            status: dict[str, Any] = {
                "runState": tpl.run.state,
                "message": tpl.run.message,
                "startTime": _rfc3339(tpl.run.start_time),
            }
            if tpl.run.sub_state:
                status["runSubState"] = tpl.run.sub_state
            if tpl.run.end_time:
                status["endTime"] = _rfc3339(tpl.run.end_time)
            props["lastRunStatus"] = status
        identity = body.get("identity") or {}
        for value in (identity.get("userAssignedIdentities") or {}).values():
            if isinstance(value, dict):
                value.setdefault("principalId", "22222222-2222-2222-2222-222222222222")
                value.setdefault("clientId", "33333333-3333-3333-3333-333333333333")
        body.update({"id": self._template_id(tpl), "name": tpl.name, "type": f"{_TEMPLATES_PROVIDER}/imageTemplates"})
        return body

    def _pick_plan(self, name: str) -> BuildPlan:
        for plan in self._plans:
            if plan.matches(name):
                plan.used += 1
                return plan
        return BuildPlan()

    def _start_run(self, tpl: _Template, plan: BuildPlan, duration: float, run_output_name: str | None = None) -> _Run:
        if run_output_name is None:
            for dist in (tpl.body.get("properties") or {}).get("distribute") or []:
                run_output_name = dist.get("runOutputName")
                break
        return _Run(plan=plan, duration=duration, started=time.monotonic(), start_time=_utcnow(), run_output_name=run_output_name)

    def _advance(self, tpl: _Template) -> None:
        """Move a build along the wall clock: sub-states, then its scripted end."""
        run = tpl.run
        if run is None or run.state in TERMINAL_RUN_STATES:
            return
        now = time.monotonic()
        if run.state == "Canceling":
            if run.cancel_at is not None and now - run.cancel_at >= self.cancel_duration:
                run.state, run.sub_state, run.end_time = "Canceled", None, _utcnow()
                run.message = "The build was canceled by the user."
            return
        elapsed = now - run.started
        if elapsed < run.duration:
            fraction = elapsed / run.duration if run.duration > 0 else 1.0
            run.sub_state = SUB_STATES[min(int(fraction * len(SUB_STATES)), len(SUB_STATES) - 1)]
            return
        run.end_time = _utcnow()
        run.sub_state = None
        run.state = run.plan.outcome
        if run.plan.outcome in ("Succeeded", "PartiallySucceeded"):
            run.message = run.plan.message or ""
            self._distribute(tpl, run)
        elif run.plan.outcome == "Failed":
            run.message = run.plan.message or self._failure_message(tpl)
        else:
            run.message = run.plan.message or "The build was canceled."

    def log_url(self, rg: str, name: str) -> str:
        """The customization.log URL the stand-in puts into failure messages for that template.

        Path-style on the stand-in itself (`https://127.0.0.1:<port>/<account>/packerlogs/<folder>/customization.log`,
        as Azure's `<account>.blob.core.windows.net/packerlogs/<folder>/customization.log`), so a client
        can read it: Get Blob with a storage-scoped bearer token and an x-ms-version header.
        """
        digest = hashlib.sha256(f"{rg.lower()}/{name.lower()}".encode()).hexdigest()
        return f"{self.base_url}/st{digest[:16]}/packerlogs/{digest[16:24]}-{digest[24:28]}/customization.log"

    def set_customization_log(self, rg: str, name: str, text: str) -> None:
        """What the template's customization.log says (default: every customizer ran, the last one failed)."""
        with self._lock:
            self._logs[urlsplit(self.log_url(rg, name)).path] = text

    def _customization_log(self, tpl: _Template) -> str:
        """Packer's telemetry lines (Learn, Troubleshoot Azure VM Image Builder) around each customizer; the last fails."""
        provisioner = {
            "Shell": "shell",
            "PowerShell": "powershell",
            "File": "file",
            "WindowsRestart": "windows-restart",
            "WindowsUpdate": "windows-update",
        }
        steps = (tpl.body.get("properties") or {}).get("customize") or []
        lines = ["PACKER OUT ==> azure-arm: Connected to SSH!"]
        for index, step in enumerate(steps):
            kind = provisioner.get(step.get("type"), "shell")
            lines.append(f"PACKER ERR 2026/12/03 09:00:0{index % 10} [INFO] (telemetry) Starting provisioner {kind}")
            lines.append(f"PACKER OUT     azure-arm: running {step.get('name') or kind}")
            if index < len(steps) - 1:
                lines.append(f"PACKER ERR 2026/12/03 09:00:0{index % 10} [INFO] (telemetry) ending {kind}")
        lines += [
            "PACKER OUT     azure-arm: E: Unable to locate package nosuchpackage",
            "PACKER ERR Script exited with non-zero exit status: 100",
        ]
        return "\n".join(lines) + "\n"

    def _handle_blob(self, req: StandInRequest) -> tuple[int, dict[str, str], Any]:
        if req.method != "GET":
            return 405, {}, None
        if not any(k.lower() == "x-ms-version" for k in req.headers):  # Get Blob with OAuth needs 2017-11-09+
            return 400, {"x-ms-error-code": "MissingRequiredHeader"}, None
        text = self._logs.get(req.path)
        if text is None:
            for tpl in self._templates.values():
                if (
                    urlsplit(self.log_url(tpl.rg, tpl.name)).path == req.path
                    and tpl.run is not None
                    and tpl.run.state == "Failed"
                ):
                    text = self._customization_log(tpl)
        if text is None:
            return 404, {"x-ms-error-code": "BlobNotFound"}, None
        return 200, {"Content-Type": "text/plain"}, text.encode()

    def _failure_message(self, tpl: _Template) -> str:
        return (
            "Failed while waiting for packerizer: Microservice has failed: Failed while processing request: "
            "Error when executing packerizer: Packer build command has failed: exit status 1. During the image "
            "build, a failure has occurred, please review the build log to identify which build/customization "
            "step failed. For more troubleshooting steps go to https://aka.ms/azvmimagebuilderts. Image Build "
            f"log location: {self.log_url(tpl.rg, tpl.name)}. OperationId: {uuid.uuid4()}. Use this "
            "operationId to search packer logs."
        )

    def _distribute(self, tpl: _Template, run: _Run) -> None:
        for dist in (tpl.body.get("properties") or {}).get("distribute") or []:
            if dist.get("type") != "SharedImage":
                continue
            version_id = self._create_version(
                dist["galleryImageId"],
                None,
                dict(dist.get("artifactTags") or {}),
                "Succeeded",
                exclude_from_latest=bool(dist.get("excludeFromLatest")),
            )
            run.artifact_id = version_id
            name = dist.get("runOutputName") or run.run_output_name or "runOutput"
            tpl.run_outputs[name.lower()] = {
                "id": f"{self._template_id(tpl)}/runOutputs/{name}",
                "name": name,
                "type": f"{_TEMPLATES_PROVIDER}/imageTemplates/runOutputs",
                "properties": {"artifactId": version_id, "provisioningState": "Succeeded"},
            }

    def _create_version(
        self, gallery_image_id: str, name: str | None, tags: dict[str, str], state: str, exclude_from_latest: bool = False
    ) -> str:
        image = gallery_image_id.rstrip("/")
        self._gallery_images.add(image.lower())
        if name is None:
            name = f"0.{_utcnow():%y%j}.{next(self._version_counter)}"
        version_id = f"{image}/versions/{name}"
        self._versions.setdefault(image.lower(), {})[name.lower()] = {
            "id": version_id,
            "name": name,
            "type": "Microsoft.Compute/galleries/images/versions",
            "location": "westeurope",
            "tags": dict(tags),
            "properties": {
                "provisioningState": state,
                "publishingProfile": {"excludeFromLatest": exclude_from_latest, "publishedDate": _rfc3339(_utcnow())},
            },
        }
        return version_id

    def _new_operation(self, status: Callable[[], tuple[str, dict[str, str] | None]], polls: int | None = None) -> str:
        op_id = str(uuid.uuid4())
        self._operations[op_id] = _Operation(polls_left=self.lro_polls if polls is None else polls, status=status)
        return op_id

    def _operation_headers(self, op_id: str, location: bool) -> dict[str, str]:
        base = f"{self.base_url}/subscriptions/{self.subscription_id}/providers/{_TEMPLATES_PROVIDER}/locations/westeurope"
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op_id}?api-version=2025-10-01"}
        if location:
            headers["Location"] = f"{base}/operationResults/{op_id}?api-version=2025-10-01"
        return headers

    # ---- internals: request dispatch -----------------------------------------------------------

    def _dispatch(self, req: StandInRequest) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            for fault in self._faults:
                if fault.take(req.method, req.path):
                    if fault.process:
                        self._handle(req)
                    return (
                        fault.status,
                        dict(fault.headers),
                        _error(fault.code or _reason(fault.status), fault.message or _reason(fault.status)),
                    )
            for method, pattern, handler in self._routes:
                match = pattern.search(req.path)
                if match and method in ("*", req.method):
                    req.match = match
                    return handler(req)
            return self._handle(req)

    def _handle(self, req: StandInRequest) -> tuple[int, dict[str, str], Any]:
        path, method = req.path, req.method
        if _RE_BLOB.match(path) is not None:
            return self._handle_blob(req)
        if (m := _RE_OPERATION.match(path)) is not None:
            return self._handle_operation(m.group("kind").lower(), m.group("op"))
        if (m := _RE_COMPUTE_OPERATION.match(path)) is not None:  # `monitor=true`: the Location form
            kind = "operationresults" if req.query.get("monitor") == "true" else "operations"
            return self._handle_operation(kind, m.group("op"))
        if (m := _RE_VERSIONS.match(path)) is not None:
            return self._handle_versions(method, m.group("image"), m.group("version"), req.query, req.body)
        if (m := _RE_TEMPLATE_LIST.match(path)) is not None and method == "GET":
            rg = m.group("rg").lower()
            items = []
            for (tpl_rg, _), tpl in self._templates.items():
                if tpl_rg == rg:
                    self._advance(tpl)
                    items.append(self._template_json(tpl))
            return 200, {}, {"value": items}
        if (m := _RE_TEMPLATE.match(path)) is not None:
            if "api-version" not in req.query:
                return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
            return self._handle_template(
                method, m.group("sub"), m.group("rg"), m.group("name"), (m.group("rest") or "").rstrip("/"), req.body
            )
        return 404, {}, _error("NotFound", f"The stand-in does not serve {method} {path}.")

    def _handle_operation(self, kind: str, op_id: str) -> tuple[int, dict[str, str], Any]:
        op = self._operations.get(op_id)
        if op is None:
            return 404, {}, _error("NotFound", f"Operation {op_id} not found.")
        status, error = op.status()
        if op.polls_left > 0 and kind == "operations":
            op.polls_left -= 1
            status, error = "InProgress", None
        done = status not in ("InProgress", "Running")
        if done and op.on_done is not None:
            op.on_done()
            op.on_done = None
        if kind == "operationresults":
            if not done:
                return 202, {"Retry-After": "0"}, None
            if status == "Succeeded":
                return 204, {}, None
            return 400, {}, _error(*(error or {}).values()) if error else _error("Failed", status)
        body: dict[str, Any] = {"name": op_id, "status": status}
        if error:
            body["error"] = error
        return 200, {}, body

    def _handle_versions(
        self, method: str, image: str, version: str | None, query: dict[str, str], body: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        versions = self._versions.get(image.lower(), {})
        if self.strict_gallery and image.lower() not in self._gallery_images and image.lower() not in self._versions:
            return (
                404,
                {},
                _error(
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.Compute/galleries/images' {image.rsplit('/', 1)[-1]} was not found.",
                ),
            )
        if version is None:
            if method != "GET":
                return 405, {}, _error("MethodNotAllowed", method)
            items = list(versions.values())
            start = int(query.get("$skiptoken", "0"))
            page = items[start : start + self.versions_page_size]
            body: dict[str, Any] = {"value": page}
            if start + self.versions_page_size < len(items):
                body["nextLink"] = (
                    f"{self.base_url}{image}/versions?api-version={query.get('api-version', '')}"
                    f"&$skiptoken={start + self.versions_page_size}"
                )
            return 200, {}, body
        found = versions.get(version.lower())
        if found is None:
            return 404, {}, _error("ResourceNotFound", f"Gallery image version {version} not found.")
        if method == "GET":
            return 200, {}, found
        if method == "DELETE":
            return self._delete_version(versions, found, query)
        if method == "PATCH":
            return self._patch_version(found, query, body)
        return 405, {}, _error("MethodNotAllowed", method)

    def _delete_version(
        self, versions: dict[str, dict[str, Any]], found: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        """GalleryImageVersions_Delete (compute GalleryRP 2024-03-03, a long-running operation): 202 with
        `Azure-AsyncOperation` and `Location` (capsOperations, as the spec's example); the version shows
        provisioningState Deleting until its operation is seen done, then it is gone. Recorded in `version_deletes`."""
        if "api-version" not in query:
            return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
        found["properties"]["provisioningState"] = "Deleting"
        self.version_deletes.append(found["id"])
        key = str(found["name"]).lower()

        def gone() -> None:
            versions.pop(key, None)

        op_id = self._new_operation(lambda: ("Succeeded", None))
        self._operations[op_id].on_done = gone
        base = f"{self.base_url}/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/locations/westeurope"
        return (
            202,
            {
                "Azure-AsyncOperation": f"{base}/capsOperations/{op_id}?api-version=2024-03-03",
                "Location": f"{base}/capsOperations/{op_id}?monitor=true&api-version=2024-03-03",
                "Retry-After": "0",
            },
            None,
        )

    def _patch_version(self, found: dict[str, Any], query: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        """GalleryImageVersions_Update (compute GalleryRP 2024-03-03): a body the spec's GalleryImageVersionUpdate
        does not allow (tests/data/compute-gallery, e.g. without the required `properties.storageProfile`) answers
        400; of a valid one, `properties.publishingProfile.excludeFromLatest` is applied (the rest is refused)."""
        if "api-version" not in query:
            return 400, {}, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
        problems = _gallery_update_validator().errors(body, "GalleryImageVersionUpdate")
        if problems:
            return 400, {}, _error("InvalidRequestContent", "; ".join(problems))
        profile = body["properties"].get("publishingProfile")
        if set(body) - {"properties"} or set(body["properties"]) - {"publishingProfile", "storageProfile"} or body[
            "properties"
        ]["storageProfile"] or set(profile or {}) != {"excludeFromLatest"}:
            return 400, {}, _error("InvalidRequestContent", "the stand-in applies only publishingProfile.excludeFromLatest")
        found["properties"]["publishingProfile"]["excludeFromLatest"] = profile["excludeFromLatest"]
        self.version_patches.append((found["id"], profile["excludeFromLatest"]))
        return 200, {}, found

    def _handle_template(
        self, method: str, sub: str, rg: str, name: str, rest: str, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        key = (rg.lower(), name.lower())
        tpl = self._templates.get(key)
        if tpl is not None:
            self._advance(tpl)
        if rest == "":
            if method == "GET":
                if tpl is None:
                    return (
                        404,
                        {},
                        _error(
                            "ResourceNotFound",
                            f"The Resource '{_TEMPLATES_PROVIDER}/imageTemplates/{name}' under resource group '{rg}' was not found.",
                        ),
                    )
                if tpl.provisioning_state == "Creating" and tpl.settle is not None:
                    # Azure provisions whether or not the client polls (e.g. after a 504 on the PUT):
                    # the first GET still sees Creating, the next one the outcome.
                    tpl.creating_gets += 1
                    if tpl.creating_gets > 1:
                        tpl.settle()
                return 200, {}, self._template_json(tpl)
            if method == "PUT":
                return self._put_template(sub, rg, name, tpl, body)
            if method == "DELETE":
                if tpl is None:
                    return 204, {}, None
                if tpl.run is not None and tpl.run.state in ("Running", "Canceling"):
                    return (
                        409,
                        {},
                        _error("Conflict", "Cannot delete an image template while a build is running; cancel the build first."),
                    )
                del self._templates[key]
                op_id = self._new_operation(lambda: ("Succeeded", None))
                return 202, self._operation_headers(op_id, location=True), None
            return 405, {}, _error("MethodNotAllowed", method)
        if tpl is None:
            return 404, {}, _error("ResourceNotFound", f"Image template {name} not found.")
        if rest == "/run" and method == "POST":
            if tpl.provisioning_state != "Succeeded":
                return 400, {}, _error("BadRequest", f"Image template {name} is in provisioning state {tpl.provisioning_state}.")
            if tpl.run is not None and tpl.run.state in ("Running", "Canceling"):
                return 409, {}, _error("Conflict", f"Image template {name} already has a build running.")
            plan = self._pick_plan(name)
            tpl.run = self._start_run(tpl, plan, plan.duration if plan.duration is not None else self.build_duration)
            run = tpl.run

            def run_status() -> tuple[str, dict[str, str] | None]:
                self._advance(tpl)
                if run.state in ("Running", "Canceling"):
                    return "InProgress", None
                if run.state in ("Succeeded", "PartiallySucceeded"):
                    return "Succeeded", None
                if run.state == "Canceled":
                    return "Canceled", {"code": "Canceled", "message": run.message}
                return "Failed", {"code": "InternalOperationError", "message": run.message}

            op_id = self._new_operation(run_status, polls=0)
            return 202, self._operation_headers(op_id, location=True), None
        if rest == "/cancel" and method == "POST":
            if tpl.run is None or tpl.run.state not in ("Running", "Canceling"):
                return 409, {}, _error("Conflict", f"Image template {name} has no build running.")
            tpl.run.state, tpl.run.cancel_at = "Canceling", time.monotonic()
            op_id = self._new_operation(lambda: ("Succeeded", None))
            return 202, self._operation_headers(op_id, location=True), None
        if rest.lower() == "/runoutputs" and method == "GET":
            return 200, {}, {"value": list(tpl.run_outputs.values())}
        if rest.lower().startswith("/runoutputs/") and method == "GET":
            output = tpl.run_outputs.get(rest.split("/", 2)[2].lower())
            if output is None:
                return 404, {}, _error("ResourceNotFound", f"Run output {rest} not found.")
            return 200, {}, output
        return 404, {}, _error("NotFound", f"The stand-in does not serve {method} {rest} on image templates.")

    def _put_template(
        self, sub: str, rg: str, name: str, existing: _Template | None, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if existing is not None:
            return (
                409,
                {},
                _error(
                    "Conflict",
                    "Update/Upgrade of image templates is currently not supported. Please change the "
                    "name of the template you are submitting.",
                ),
            )
        if not isinstance(body, dict) or "location" not in body or "properties" not in body:
            return 400, {}, _error("InvalidTemplate", "The request body must be an image template with location and properties.")
        tpl = self._new_template(sub, rg, name, body)
        failure = next(
            (f for f in self._provisioning_failures if fnmatch.fnmatch(name.lower(), f.template.lower()) and f.used < f.times),
            None,
        )
        if failure is not None:
            failure.used += 1
        tpl.provisioning_state = "Creating"
        self._templates[(rg.lower(), name.lower())] = tpl

        def put_status() -> tuple[str, dict[str, str] | None]:
            if failure is not None:
                tpl.provisioning_state = "Failed"
                tpl.provisioning_error = {"code": failure.code, "message": failure.message}
                return "Failed", {"code": failure.code, "message": failure.message}
            tpl.provisioning_state = "Succeeded"
            return "Succeeded", None

        tpl.settle = put_status
        op_id = self._new_operation(put_status)
        return 201, self._operation_headers(op_id, location=False), self._template_json(tpl)


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: ArmStandIn
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    wbufsize = 1 << 16  # ... and are buffered into one segment anyway (flushed after each request)

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _serve(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        scopes = (STORAGE_SCOPE,) if _RE_BLOB.match(parts.path) else ()
        if self.headers.get("Authorization") != f"Bearer {owner.credential.token_for(scopes)}":
            status, headers, payload = 401, {}, _error("AuthenticationFailed", "Missing or wrong bearer token.")
        else:
            request = StandInRequest(
                method=self.command,
                path=parts.path,
                query=query,
                headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                body=body,
                match=None,
            )  # type: ignore[arg-type]
            try:
                status, headers, payload = owner._dispatch(request)
            except Exception as error:  # a bug in the stand-in must show up as a 500, not a hang
                status, headers, payload = 500, {}, _error("StandInError", repr(error))
        with owner._lock:
            owner.requests.append(
                Recorded(method=self.command, path=parts.path, query=query, body=body, status=status, at=time.monotonic())
            )
        if status == LOST:
            self.close_connection = True  # no answer at all: the client sees the connection drop
            return
        raw_payload = isinstance(payload, bytes)  # a blob: sent as it is, with the handler's Content-Type
        data = b"" if payload is None else payload if raw_payload else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        if data and not raw_payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve


_GALLERY_UPDATE_SPEC = Path(__file__).resolve().parents[1] / "data" / "compute-gallery" / "gallery-image-version-update-2024-03-03.json"


def _gallery_update_validator() -> Any:
    from tests.support.swagger_schema import RequestValidator

    return RequestValidator(_GALLERY_UPDATE_SPEC)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _reason(status: int) -> str:
    return {
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
        403: "AuthorizationFailed",
        409: "Conflict",
    }.get(status, f"Status{status}")


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _rfc3339(value: _dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def arm_standin_fixture(**kwargs: Any) -> Iterator[ArmStandIn]:
    """Generator body for a pytest fixture: ``@pytest.fixture\\ndef arm(): yield from arm_standin_fixture()``."""
    with ArmStandIn(**kwargs) as arm:
        yield arm
