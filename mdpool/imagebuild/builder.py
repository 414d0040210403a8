"""Build gallery image versions with Azure Image Builder, and watch every build to its end.

The blog's script deletes the template, creates it and starts it (fire and forget). This flow,
per image and in parallel (the blog's maxParallel 4):

1. skip: the gallery image definition already has a version whose artifact tags carry this
   definition's content hash (unless `force`);
2. reattach: a template for the same content is already running (a previous `mdpool images build`
   was interrupted, or another pipeline run started it): watch it instead of starting over;
3. otherwise: cancel a running old template (recording its last log location, since deleting the
   template deletes its staging resource group and the logs in it), delete it, create the new
   template, run it;
4. watch: state, sub-state and elapsed time through `on_progress` until the run ends; success
   gives the new version id, failure Azure's message and the customization.log URL.

What is safe to retry is retried: throttling (429 with Retry-After) by azure-core's retry policy on
every request, and 5xx by it on reads and deletes; a 5xx, 408 or lost response on the two calls that
change Azure, create (PUT) and run (POST), is never re-sent blindly (`arm_retry.NoResendRetryPolicy`):
mdpool first asks whether it happened anyway (a template carrying this build's content hash; a
run status on the new template) and asks again only if not; transient errors while polling
(bounded count); and authorization failures in the first minutes after the builder identity's
role assignment (a bounded, configurable window).
Stopping (Ctrl-C in the CLI sets `stop`) only stops watching: the build goes on in Azure and
`mdpool images build NAME` reattaches to it.

The endpoint, credential and TLS verification are injectable (`Connection`), so tests drive the
real SDK clients against a loopback stand-in. No `sys.exit` here: results and typed errors only.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from mdpool.imagebuild.images import ImageSpec, image_specs, load_definition
from mdpool.imagebuild.phases import PhaseClock, PhaseTime, describe_phases
from mdpool.imagebuild.template import (
    image_template,
    run_output_name,
    settings_content_hash,
    template_content_hash,
    CONTENT_HASH_TAG,
)
from mdpool.problems import InputError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.imagebuilder import ImageBuilderClient

    from mdpool.config import EnvironmentConfig

GALLERY_API_VERSION = "2024-03-03"  # Microsoft.Compute/galleries (GA)
RUNNING_STATES = ("Running", "Canceling")
_LOG_URL = re.compile(r"https://\S+?/customization\.log")

# Result statuses
BUILT, SKIPPED, REATTACHED, FAILED, DETACHED = "built", "skipped", "reattached", "failed", "detached"


class BuildError(Exception):
    """A build step Azure refused in a way that retrying will not fix (carried into a failed result)."""


@dataclass(frozen=True)
class BuildResult:
    """How one image's build ended."""

    image: str
    status: str
    """built | skipped (an up-to-date version exists) | reattached (watched a running build to its
    end) | failed | detached (stopped watching; the build goes on in Azure)."""
    template_name: str
    version_id: str | None = None
    duration: float = 0.0
    log_url: str | None = None
    message: str = ""
    run_state: str | None = None
    previous_log: str | None = None
    """Last log location of an old template that was canceled or replaced (its logs go with it)."""
    phases: tuple[PhaseTime, ...] = ()
    """How long the run spent in each sub-state (Queued, Building, ...), as polled."""
    failed_step: str | None = None
    """The customizer that failed, by the customization.log (mdpool.imagebuild.build_log)."""
    log_tail: tuple[str, ...] = ()
    """The last lines of the failed run's customization.log, when mdpool could read it."""
    log_problem: str | None = None
    """Why the log could not be read: the role mdpool needs and where the log is."""

    @property
    def ok(self) -> bool:
        return self.status in (BUILT, SKIPPED, REATTACHED)


@dataclass(frozen=True)
class Progress:
    """One update for a live display: what an image's build is doing now."""

    image: str
    phase: str
    """checking | skipped | reattaching | canceling | deleting | creating | starting | waiting |
    running | built | failed | detached"""
    run_state: str | None = None
    sub_state: str | None = None
    elapsed: float = 0.0
    message: str = ""
    phases: tuple[PhaseTime, ...] = ()
    """The run's phases so far (the current one last, still running)."""


@dataclass(frozen=True)
class BuildOptions:
    force: bool = False
    parallel: int = 4
    poll_interval: float = 30.0
    """Seconds between status polls while a build runs."""
    auth_retry_window: float = 30 * 60
    """How long authorization failures are retried (role assignments take up to ~30 minutes)."""
    auth_retry_interval: float = 60.0
    transient_retries: int = 10
    """Consecutive failed status polls tolerated before giving up on watching."""
    run_retries: int = 3
    """Extra attempts to create the template, or to start or cancel a run, after a 5xx or a lost
    response that did not do it."""
    watch_margin: float = 30 * 60
    """Watch at most the build timeout plus this long."""


@dataclass(frozen=True)
class Connection:
    """How to reach Azure Resource Manager: endpoint, credential and TLS verification, all injectable."""

    credential: "TokenCredential | None" = None
    """Defaults to DefaultAzureCredential (honours AZURE_TOKEN_CREDENTIALS, e.g. AzureCliCredential)."""
    endpoint: str | None = None
    """ARM base URL; default https://management.azure.com."""
    verify: str | bool | None = None
    """CA bundle path (or False) for TLS verification; default the system's."""
    client_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Passed to the SDK client and its retry policy: retry_total, retry_backoff_factor,
    polling_interval, ... Tests shorten the waits; the policy itself is always the production one."""

    @classmethod
    def from_environment(cls) -> "Connection":
        """MDPOOL_ARM_ENDPOINT and MDPOOL_ARM_CA_BUNDLE override the endpoint and CA (proxies, stand-ins)."""
        return cls(endpoint=os.environ.get("MDPOOL_ARM_ENDPOINT") or None, verify=os.environ.get("MDPOOL_ARM_CA_BUNDLE") or None)

    def with_credential(self) -> "Connection":
        if self.credential is not None:
            return self
        from azure.identity import DefaultAzureCredential

        return Connection(DefaultAzureCredential(), self.endpoint, self.verify, self.client_kwargs)

    def client(self, subscription_id: str) -> "ImageBuilderClient":
        from azure.mgmt.imagebuilder import ImageBuilderClient

        from mdpool.imagebuild.arm_retry import NoResendRetryPolicy

        kwargs = dict(self.client_kwargs)
        kwargs["retry_policy"] = NoResendRetryPolicy(**kwargs)
        if self.endpoint:
            kwargs["base_url"] = self.endpoint
        if self.verify is not None:
            kwargs["connection_verify"] = self.verify
        assert self.credential is not None
        return ImageBuilderClient(self.credential, subscription_id, **kwargs)


ProgressCallback = Callable[[Progress], None]


class GalleryImageNotFound(LookupError):
    """The gallery image definition does not exist (yet): the gallery stack was not deployed."""


def list_gallery_image_versions(
    client: Any, gallery_image_id: str, *, call: Callable[[Callable[[], Any]], Any] = lambda fetch: fetch()
) -> list[dict[str, Any]]:
    """Every version of a gallery image definition, as ARM JSON (GET .../images/{i}/versions, paged).

    One ARM call per page through `client`'s own pipeline (an ARM client of azure-mgmt-*: its
    credential, retries and endpoint), instead of azure-mgmt-compute. `call` wraps each page's
    request (the builder retries fresh role assignments with it). Raises GalleryImageNotFound on 404.
    """
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    def fetch(url: str, params: dict[str, str] | None) -> Any:
        response = client.send_request(HttpRequest("GET", url, params=params))
        if response.status_code == 404:
            raise GalleryImageNotFound(gallery_image_id)
        if response.status_code >= 400:  # raised inside `call`, so a 403 is retried like the rest
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response

    url: str | None = f"{gallery_image_id}/versions"
    params: dict[str, str] | None = {"api-version": GALLERY_API_VERSION}
    versions: list[dict[str, Any]] = []
    for _ in range(100):  # pages; bounded
        if url is None:
            break
        page_url, page_params = url, params
        page = call(lambda: fetch(page_url, page_params)).json()  # noqa: B023 - called at once
        versions.extend(page.get("value") or [])
        url, params = page.get("nextLink"), None
    return versions


def build_images(
    cfg: "EnvironmentConfig | None" = None,
    names: Sequence[str] | None = None,
    *,
    specs: Sequence[ImageSpec] | None = None,
    force: bool = False,
    parallel: int = 4,
    connection: Connection | None = None,
    options: BuildOptions | None = None,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> list[BuildResult]:
    """Build the named images of `cfg` (all with a build section when `names` is empty), in parallel.

    Pass `specs` instead of `cfg` to build without a config file; given `options` win over the
    `force`/`parallel` shortcuts (except that `force=True` always forces). Definitions are loaded and
    validated before anything touches Azure: bad input raises InputError and nothing is built.
    Returns one result per image, in the order asked; never exits the process.
    """
    if specs is None:
        if cfg is None:
            raise ValueError("build_images needs a config or specs")
        specs = image_specs(cfg, names)
    if options is None:
        options = BuildOptions(force=force, parallel=parallel)
    elif force and not options.force:
        options = dataclasses.replace(options, force=True)
    problems = []
    prepared = []
    for spec in specs:
        try:
            prepared.append((spec, load_definition(spec)))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    connection = (connection or Connection.from_environment()).with_credential()
    stop = stop or threading.Event()
    report = _SafeReporter(on_progress)
    builds = [_ImageBuild(spec, definition, connection, options, report, stop) for spec, definition in prepared]
    results: dict[int, BuildResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, options.parallel), thread_name_prefix="mdpool-build") as pool:
        futures: dict[Future[BuildResult], int] = {pool.submit(build.run): i for i, build in enumerate(builds)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures[future]] = future.result()
        except KeyboardInterrupt:
            stop.set()  # stop watching; the builds go on in Azure
            for future, index in futures.items():
                results[index] = future.result()
    return [results[i] for i in range(len(builds))]


def up_to_date_version(spec: ImageSpec, connection: Connection | None = None, options: BuildOptions | None = None) -> str | None:
    """A dry run of the build's first step: the id of a version already built from `spec`'s content, or None.

    The same check `build_images` makes before it builds (content hash in the version's artifact tags,
    provisioning succeeded), through the same client; changes nothing in Azure. `mdpool plan` uses it
    to say which images a deploy would build.
    """
    connection = (connection or Connection.from_environment()).with_credential()
    build = _ImageBuild(
        spec, load_definition(spec), connection, options or BuildOptions(), _SafeReporter(None), threading.Event()
    )
    with connection.client(spec.subscription_id) as client:
        return build.up_to_date_version(client)


class _SafeReporter:
    """Serialises progress callbacks from the worker threads; a display bug never fails a build."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.lock = threading.Lock()

    def __call__(self, progress: Progress) -> None:
        if self.callback is None:
            return
        with self.lock:
            try:
                self.callback(progress)
            except Exception:  # noqa: BLE001 - the display is not worth a lost build
                pass


class _Stopped(Exception):
    pass


class _ImageBuild:
    def __init__(
        self,
        spec: ImageSpec,
        definition,
        connection: Connection,
        options: BuildOptions,
        report: _SafeReporter,
        stop: threading.Event,
    ) -> None:
        self.spec = spec
        self.definition = definition
        self.connection = connection
        self.options = options
        self.report = report
        self.stop = stop
        self.started = time.monotonic()
        self.digest = settings_content_hash(definition, spec.settings)
        self.previous_log: str | None = None
        self.phase = "checking"
        self.clock = PhaseClock()

    # -- helpers

    @property
    def rg(self) -> str:
        return self.spec.resource_group

    @property
    def name(self) -> str:
        return self.spec.template_name

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress(self, phase: str, run_state: str | None = None, sub_state: str | None = None, message: str = "") -> None:
        self.phase = phase
        elapsed = self.elapsed()
        self.report(
            Progress(self.spec.name, phase, _plain(run_state), _plain(sub_state), elapsed, message, self.clock.times(elapsed))
        )

    def result(self, status: str, **kwargs: Any) -> BuildResult:
        if "run_state" in kwargs:
            kwargs["run_state"] = _plain(kwargs["run_state"])
        elapsed = self.elapsed()
        self.clock.end(elapsed)
        result = BuildResult(
            image=self.spec.name,
            status=status,
            template_name=self.name,
            duration=elapsed,
            previous_log=self.previous_log,
            phases=self.clock.times(elapsed),
            **kwargs,
        )
        self.progress(
            status if status != REATTACHED else BUILT,
            kwargs.get("run_state"),
            None,
            kwargs.get("message", "") or (kwargs.get("version_id") or ""),
        )
        return result

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped()

    def check_stop(self) -> None:
        """Before anything that changes Azure: after Ctrl-C nothing new is started, canceled or deleted."""
        if self.stop.is_set():
            raise _Stopped()

    # -- the flow

    def run(self) -> BuildResult:
        try:
            with self.connection.client(self.spec.subscription_id) as client:
                return self.flow(client)
        except _Stopped:
            if self.phase in ("running", "reattaching"):
                message = f"stopped watching; the build goes on in Azure. Reattach with: mdpool images build {self.spec.name}"
            else:
                message = (
                    f"stopped before the build started (while {self.phase}); run `mdpool images build {self.spec.name}` again"
                )
            return self.result(DETACHED, message=message)
        except BuildError as error:
            return self.result(FAILED, message=str(error))
        except Exception as error:  # an Azure error we did not expect: one line, not a traceback
            return self.result(FAILED, message=_describe(error))

    def flow(self, client: "ImageBuilderClient") -> BuildResult:
        ops = client.virtual_machine_image_templates
        self.phase = "queued"
        self.check_stop()  # an image still queued when Ctrl-C came is not started at all
        self.progress("checking")
        if not self.options.force:
            existing = self.up_to_date_version(client)
            if existing:
                return self.result(
                    SKIPPED, version_id=existing, message=f"version {existing.rsplit('/', 1)[-1]} already has this content"
                )
        template = self.get_template(ops)
        if template is not None:
            status = template.properties.last_run_status if template.properties else None
            state = status.run_state if status else None
            if state == "Running" and not self.options.force and template_content_hash(template.as_dict()) == self.digest:
                self.progress(
                    "reattaching",
                    state,
                    status.run_sub_state if status else None,
                    "a build of the same content is already running",
                )
                return self.watch(ops, self.template_run_output(template), reattached=True)
            self.check_stop()
            if state in RUNNING_STATES:
                self.cancel(ops, template)
            elif status is not None and status.message:
                self.previous_log = _log_location(template)
            self.delete(ops)
        run_output = run_output_name()
        body = image_template(self.definition, self.spec.settings, run_output=run_output, digest=self.digest)
        self.check_stop()
        self.create(ops, body)
        self.check_stop()
        self.start(ops)
        return self.watch(ops, run_output, reattached=False)

    # -- steps

    def up_to_date_version(self, client: "ImageBuilderClient") -> str | None:
        """The id of a gallery image version built from this content, if one exists."""
        try:
            versions = list_gallery_image_versions(client, self.spec.settings.gallery_image_id, call=self.with_auth_retry)
        except GalleryImageNotFound:
            raise BuildError(
                f"gallery image definition {self.spec.settings.gallery_image_id} not found; "
                "deploy the gallery stack first (mdpool deploy)"
            ) from None
        found = [
            version
            for version in versions
            if (version.get("tags") or {}).get(CONTENT_HASH_TAG) == self.digest
            and (version.get("properties") or {}).get("provisioningState") == "Succeeded"
        ]
        if not found:
            return None
        newest = max(found, key=lambda v: ((v.get("properties") or {}).get("publishingProfile") or {}).get("publishedDate") or "")
        return newest.get("id")

    def get_template(self, ops: Any) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self.with_auth_retry(lambda: ops.get(self.rg, self.name))
        except ResourceNotFoundError:
            return None

    def template_run_output(self, template: Any) -> str | None:
        for dist in (template.properties.distribute or []) if template.properties else []:
            if getattr(dist, "run_output_name", None):
                return dist.run_output_name
        return None

    def cancel(self, ops: Any, template: Any) -> None:
        """Cancel the running old build and wait until it has stopped (a running template cannot be deleted)."""
        self.progress("canceling", template.properties.last_run_status.run_state, None, "an older definition is still building")
        if template.properties.last_run_status.run_state == "Running":
            self.request_cancel(ops)
        deadline = time.monotonic() + max(self.options.watch_margin, 60)
        while time.monotonic() < deadline:
            current = self.get_template(ops)
            status = current.properties.last_run_status if current is not None and current.properties else None
            if current is None or status is None or status.run_state not in RUNNING_STATES:
                if current is not None:
                    self.previous_log = _log_location(current)
                return
            self.sleep(self.options.poll_interval)
        raise BuildError(
            f"the old build of template {self.name} did not stop after cancel; cancel it in the portal and try again"
        )

    def request_cancel(self, ops: Any) -> None:
        """POST cancel; after a 5xx or a lost response, cancel again only if the build still runs uncanceled."""
        from azure.core.exceptions import HttpResponseError

        for attempt in range(self.options.run_retries + 1):
            try:
                self.with_auth_retry(lambda: ops.begin_cancel(self.rg, self.name).result())
                return
            except HttpResponseError as error:
                if error.status_code == 409:  # it ended meanwhile
                    return
                if not _server_side(error) or attempt == self.options.run_retries:
                    raise
            except _transport_errors():
                if attempt == self.options.run_retries:
                    raise
            if self.run_state(ops) != "Running":
                return  # canceling (the cancel went through) or ended
            self.sleep(self.retry_delay(attempt))

    def delete(self, ops: Any) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        self.check_stop()
        self.progress("deleting", message=f"log of the previous run: {self.previous_log}" if self.previous_log else "")
        try:
            self.with_auth_retry(lambda: ops.begin_delete(self.rg, self.name).result())
        except ResourceNotFoundError:
            pass

    def create(self, ops: Any, body: dict[str, Any]) -> None:
        """PUT the template; after a 5xx, a lost response or a 409, look whether it was created anyway.

        A template found under this name counts as created only when it carries this build's content
        hash (and finished provisioning): then the PUT went through and the run can start. Without
        one, the PUT is sent again, at most `run_retries` more times. A template with other content
        (someone else's, created meanwhile) is an error: mdpool does not run what it did not write.
        """
        from azure.core.exceptions import HttpResponseError

        self.progress("creating")

        def put() -> None:
            try:
                ops.begin_create_or_update(self.rg, self.name, body).result()
            except Exception as error:
                if _is_authorization_failure(error):
                    self.delete_quietly(ops)  # a failed template blocks the next PUT
                raise

        for attempt in range(self.options.run_retries + 1):
            try:
                self.with_auth_retry(put)
                return
            except HttpResponseError as error:
                if not (_server_side(error) or error.status_code == 409):
                    raise  # Azure answered and refused: nothing was created
                failure: BaseException = error
            except _transport_errors() as error:
                failure = error
            if self.created_anyway(ops):
                return  # the PUT went through although its answer was lost or a retry of it met a 409
            if attempt == self.options.run_retries:
                raise failure
            self.progress("creating", message=f"not created; retrying after: {_describe(failure)}")
            self.sleep(self.retry_delay(attempt))

    def created_anyway(self, ops: Any) -> bool:
        """Whether a template with this build's content exists and provisioned (after an unclear PUT)."""
        deadline = time.monotonic() + max(self.options.watch_margin, 60)
        while True:
            template = self.get_template(ops)
            if template is None:
                return False
            if template_content_hash(template.as_dict()) != self.digest:
                raise BuildError(
                    f"template {self.name} exists with other content (created by someone else "
                    "meanwhile?); mdpool runs only templates it wrote. Run `mdpool images build` again to replace it"
                )
            state = _plain(template.properties.provisioning_state) if template.properties else None
            if state == "Succeeded":
                return True
            if state not in ("Creating", "Updating") or time.monotonic() > deadline:
                self.delete_quietly(ops)  # a failed template blocks the next PUT
                return False
            self.sleep(self.options.poll_interval)

    def run_state(self, ops: Any) -> str | None:
        template = self.get_template(ops)
        status = template.properties.last_run_status if template is not None and template.properties else None
        return _plain(status.run_state) if status is not None else None

    def retry_delay(self, attempt: int) -> float:
        return min(self.options.poll_interval, 5.0 * (attempt + 1))

    def delete_quietly(self, ops: Any) -> None:
        try:
            ops.begin_delete(self.rg, self.name).result()
        except Exception:  # noqa: BLE001 - best effort; the retry reports what matters
            pass

    def start(self, ops: Any) -> None:
        """POST run; after a 5xx or a lost response, look whether the run started anyway before asking again.

        The template is new, so any run status on it means this run started (it may even have ended).
        """
        from azure.core.exceptions import HttpResponseError

        self.progress("starting")
        unclear: tuple[type[Exception], ...] = (HttpResponseError, *_transport_errors())
        for attempt in range(self.options.run_retries + 1):
            try:
                self.with_auth_retry(lambda: ops.begin_run(self.rg, self.name, polling=False))
                return
            except unclear as error:
                if self.run_state(ops) is not None:
                    return  # the gateway gave up but the build started
                status_code = getattr(error, "status_code", None)
                if isinstance(error, HttpResponseError) and not (_server_side(error) or status_code == 429):
                    raise
                if attempt == self.options.run_retries:
                    raise
                self.progress("starting", message=f"retrying run after: {_describe(error)}")
                self.sleep(self.retry_delay(attempt))

    def watch(self, ops: Any, run_output: str | None, *, reattached: bool) -> BuildResult:
        from azure.core.exceptions import AzureError, HttpResponseError

        deadline = time.monotonic() + self.spec.settings.timeout_minutes * 60 + self.options.watch_margin
        failures = 0
        phase = "reattaching" if reattached else "running"
        while True:
            try:
                template = self.with_auth_retry(lambda: ops.get(self.rg, self.name))
                failures = 0
            except (HttpResponseError, AzureError) as error:
                if (
                    isinstance(error, HttpResponseError)
                    and error.status_code
                    and error.status_code < 500
                    and error.status_code not in (408, 429)
                ):
                    raise
                failures += 1
                if failures > self.options.transient_retries:
                    raise BuildError(
                        f"lost track of the build after {failures} failed status checks: "
                        f"{_describe(error)}; reattach with mdpool images build {self.spec.name}"
                    ) from error
                self.sleep(self.options.poll_interval)
                continue
            status = template.properties.last_run_status if template.properties else None
            state = status.run_state if status else None
            sub_state = status.run_sub_state if status else None
            if state is not None and state not in RUNNING_STATES:
                self.clock.end(self.elapsed())
                return self.finish(ops, template, run_output, reattached)
            self.clock.observe(_plain(sub_state), self.elapsed())
            self.progress(phase, state, sub_state)  # every poll: the display shows elapsed time
            if time.monotonic() > deadline:
                raise BuildError(
                    f"the build is still {state} after its timeout of {self.spec.settings.timeout_minutes} minutes plus margin"
                )
            self.sleep(self.options.poll_interval)

    def finish(self, ops: Any, template: Any, run_output: str | None, reattached: bool) -> BuildResult:
        status = template.properties.last_run_status
        state, message = status.run_state, status.message or ""
        if state == "Succeeded":
            version_id = None
            if run_output:
                output = self.with_auth_retry(lambda: ops.get_run_output(self.rg, self.name, run_output))
                version_id = output.properties.artifact_id if output.properties else None
            return self.result(REATTACHED if reattached else BUILT, version_id=version_id, run_state=state, message=message)
        log_url = _log_url(message)
        if state == "PartiallySucceeded":
            summary = f"the build partially succeeded (some distribution failed): {message}"
        elif state == "Canceled":
            summary = f"the build was canceled: {message}".rstrip(": ")
        else:
            summary = message or f"the build ended {state}"
        log = self.read_log(template, log_url) if state == "Failed" else None
        if log is None:
            return self.result(FAILED, run_state=state, message=summary, log_url=log_url)
        return self.result(
            FAILED,
            run_state=state,
            message=summary,
            log_url=log_url,
            failed_step=log.failed_step,
            log_tail=log.tail,
            log_problem=log.problem,
        )

    def read_log(self, template: Any, log_url: str | None) -> Any:
        """The failed step and the end of the customization.log (build_log), or why it cannot be read."""
        from mdpool.imagebuild.build_log import LogReport, Step, read_log

        staging = getattr(template.properties, "exact_staging_resource_group", None) if template.properties else None
        staging_name = staging.rsplit("/", 1)[-1] if staging else None
        if not log_url:
            where = f"the staging resource group {staging_name}" if staging_name else "the staging resource group"
            return LogReport(
                problem=f"Azure named no log location; the customization.log is in {where} (storage account, container packerlogs)"
            )
        steps = [Step(step.arm()["type"], step.name) for step in (*self.definition.customizers, *self.definition.validators)]
        assert self.connection.credential is not None
        return read_log(
            log_url,
            steps,
            self.connection.credential,
            verify=self.connection.verify,
            client_kwargs=self.connection.client_kwargs,
            staging_resource_group=staging_name,
        )

    def with_auth_retry(self, call: Callable[[], Any]) -> Any:
        """Retry authorization failures for a bounded window after the role assignment was made."""
        deadline = time.monotonic() + self.options.auth_retry_window
        while True:
            try:
                return call()
            except Exception as error:
                if not _is_authorization_failure(error) or time.monotonic() >= deadline:
                    raise
                self.progress(
                    "waiting",
                    message=f"authorization not yet effective (role assignments can take "
                    f"minutes to propagate); retrying: {_describe(error)}",
                )
                self.sleep(self.options.auth_retry_interval)


# --- error text ------------------------------------------------------------------------------------


def _transport_errors() -> tuple[type[Exception], ...]:
    """A connection that failed or a response that never came (imported late: validate never loads the SDK)."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    return (ServiceRequestError, ServiceResponseError)


def _server_side(error: Any) -> bool:
    """5xx or 408: the service (or its gateway) failed; whether the request took effect is unknown."""
    status = getattr(error, "status_code", None)
    return status is not None and (status >= 500 or status == 408)


def _plain(value: Any) -> str | None:
    """The SDK hands states back as str enums, which format as 'RunState.FAILED'; keep the word."""
    return None if value is None else str(getattr(value, "value", value))


def _is_authorization_failure(error: BaseException) -> bool:
    from azure.core.exceptions import HttpResponseError

    if not isinstance(error, HttpResponseError):
        return False
    code = getattr(getattr(error, "error", None), "code", None) or ""
    if code in ("AuthorizationFailed", "LinkedAuthorizationFailed") or error.status_code == 403:
        return True
    text = str(error.message or "")
    return bool(re.search(r"does not have (?:the )?(?:authorization|permission)|AuthorizationFailed", text))


def _describe(error: BaseException) -> str:
    """One line: the Azure error code and message, without response headers or tokens."""
    from azure.core.exceptions import HttpResponseError

    if isinstance(error, HttpResponseError):
        odata = getattr(error, "error", None)
        code = getattr(odata, "code", None)
        message = getattr(odata, "message", None) or (error.reason or "")
        status = f"HTTP {error.status_code}" if error.status_code else "error"
        return " ".join(part for part in (status, f"({code})" if code else "", message) if part).strip()
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".strip()


def _log_url(message: str) -> str | None:
    match = _LOG_URL.search(message or "")
    return match.group(0) if match else None


def _log_location(template: Any) -> str | None:
    """Where the last run's customization.log is: the URL Azure reported, else the staging resource group."""
    props = template.properties
    status = props.last_run_status if props else None
    url = _log_url(status.message if status else "")
    if url:
        return url
    staging = getattr(props, "exact_staging_resource_group", None) if props else None
    if staging:
        return f"{staging} (storage account, container packerlogs)"
    return None


def describe_result(result: BuildResult) -> list[str]:
    """The lines the CLI prints for one image's result."""
    took = f"{result.duration:.0f}s"
    if result.status in (BUILT, REATTACHED):
        verb = "built" if result.status == BUILT else "built (reattached)"
        lines = [f"{result.image}: {verb} {result.version_id or '(version id unknown)'} in {took}"]
    elif result.status == SKIPPED:
        lines = [f"{result.image}: up to date, skipped: {result.version_id}"]
    elif result.status == DETACHED:
        lines = [f"{result.image}: {result.message}"]
    else:
        state = f" ({result.run_state})" if result.run_state else ""
        log = f"; customization log: {result.log_url}" if result.log_url else ""
        # an image that never started (its base failed, its source did not resolve) ran for no time at all
        after = f" after {took}" if result.duration or result.run_state else ""
        lines = [f"{result.image}: failed{state}{after}: {result.message}{log}"]
        if result.failed_step:
            lines.append(f"{result.image}: failed in {result.failed_step}")
        if result.log_tail:
            lines.append(f"{result.image}: last {len(result.log_tail)} lines of the customization log:")
            lines.extend(f"  | {line}" for line in result.log_tail)
        if result.log_problem:
            lines.append(f"{result.image}: {result.log_problem}")
    if result.phases and result.status != SKIPPED:
        lines.insert(1, f"{result.image}: phases: {describe_phases(result.phases)}")
    if result.previous_log:
        lines.append(f"{result.image}: log of the replaced run: {result.previous_log}")
    return lines


def summarize(results: Iterable[BuildResult]) -> list[str]:
    return [line for result in results for line in describe_result(result)]
