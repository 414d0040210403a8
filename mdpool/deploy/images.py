"""The image-build stage of a deploy: mdpool.imagebuild's build flow, aimed at what the gallery stack deployed.

The build flow already does what a resumable deploy needs: it skips an image whose content has a
version, reattaches to a running build of the same content, and on Ctrl-C stops watching without
cancelling anything. This adapter only points it at the gallery stack's real outputs (the image
definition and builder identity ids Terraform reports, which win over the ids derived from the
config) and turns its results into the orchestrator's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Mapping, Sequence

from mdpool.deploy.errors import DeployError
from mdpool.deploy.orchestrator import ImageResult
from mdpool.deploy.terraform import Output
from mdpool.problems import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from mdpool.config import EnvironmentConfig
    from mdpool.deploy.image_plan import PlannedImage
    from mdpool.deploy.retention import Retention
    from mdpool.imagebuild.builder import BuildOptions, BuildResult, Connection
    from mdpool.imagebuild.images import ImageSpec

# build flow status -> deploy outcome ("detached": Ctrl-C stopped the watching, the build goes on)
_OUTCOMES = {"built": "built", "skipped": "skipped", "reattached": "reattached", "failed": "failed", "detached": "interrupted"}


class ImageBuildStage:
    """Builds the config's buildable images with `build_images`; endpoint, credential and timing injectable."""

    def __init__(
        self,
        cfg: "EnvironmentConfig",
        *,
        parallel: int = 4,
        force: bool = False,
        connection: "Connection | None" = None,
        options: "BuildOptions | None" = None,
        console: "Console | None" = None,
        rollout_state: "Path | None" = None,
    ) -> None:
        self.cfg = cfg
        self.parallel = parallel
        self.force = force
        self.connection = connection
        self.options = options
        self.console = console
        self.planned: "Sequence[PlannedImage] | None" = None
        """Set from a saved images plan: build exactly these images, from these sources (image_plan)."""
        self.rollout_state = rollout_state
        """The rollout state file (mdpool.rollout.state.state_path): the versions a rollout under way holds are kept."""

    def names(self) -> Sequence[str]:
        return [image.name for image in self.cfg.gallery.images if image.build is not None]

    def build(self, gallery_outputs: Mapping[str, Output]) -> Sequence[ImageResult]:
        from mdpool.deploy.image_plan import aim_at_outputs
        from mdpool.imagebuild.builder import BuildOptions, Connection
        from mdpool.imagebuild.chain import build_in_order
        from mdpool.imagebuild.images import image_specs
        from mdpool.imagebuild.progress import BuildBoard

        specs = [aim_at_outputs(spec, gallery_outputs) for spec in image_specs(self.cfg)]
        options = self.options or BuildOptions(force=self.force, parallel=self.parallel)
        if self.force and not options.force:
            options = dataclasses.replace(options, force=True)
        connection = self.connection
        if connection is None:
            base = Connection.from_environment()
            connection = Connection(
                base.credential, base.endpoint, base.verify, {"polling_interval": min(options.poll_interval, 10.0)}
            )
        specs = self._sources_resolved(specs, connection)
        try:  # a base image before the images on it (mdpool.imagebuild.chain)
            with BuildBoard([spec.name for spec in specs], self.console) as board:
                specs, results = build_in_order(specs, connection=connection, options=options, on_progress=board)
        except InputError as error:
            raise DeployError([str(problem) for problem in error.problems]) from None
        tidied = tidy_built(self.cfg, specs, results, connection, self.rollout_state)
        return [to_image_result(result, tidied.get(result.image)) for result in results]

    def _sources_resolved(self, specs: "list[ImageSpec]", connection: "Connection") -> "list[ImageSpec]":
        """`latest` resolved now, or the sources and images a saved plan fixed (mdpool.deploy.image_plan)."""
        from mdpool.deploy.image_plan import pinned_specs
        from mdpool.imagebuild.chain import resolve_independent
        from mdpool.imagebuild.source_version import SourceError

        if self.planned is not None:
            return pinned_specs(specs, self.planned)
        try:
            return resolve_independent(specs, connection)
        except SourceError as error:
            raise DeployError(str(error)) from None

    def plan(self, gallery_outputs: Mapping[str, Output]) -> "list[PlannedImage]":
        """What `build` would do, image by image, and why; changes nothing (mdpool.deploy.image_plan)."""
        from mdpool.deploy.image_plan import plan_images
        from mdpool.imagebuild.builder import Connection

        return plan_images(
            self.cfg,
            gallery_outputs,
            self.connection or Connection.from_environment(),
            force=self.force or bool(self.options and self.options.force),
            rollout_state=self.rollout_state,
        )

    def without_version(self, gallery_outputs: Mapping[str, Output], stack: str) -> Sequence[str]:
        """The gallery images the pool of `stack` uses that have no version yet ("name" or "name version X" when pinned).

        One ARM call per image (GET .../images/{name}/versions) through the image builder client's
        pipeline, the same credential, endpoint and retries the build flow uses; only versions that
        finished provisioning count, and for `latest` only those not excluded from latest.
        """
        from mdpool.imagebuild.builder import Connection

        pool = next(pool for pool in self.cfg.pools if self.cfg.stack_of(pool) == stack)
        wanted = {image.gallery_image: image.version for image in pool.images if image.gallery_image}
        if not wanted:
            return []
        definitions = gallery_outputs.get("image_definition_ids")
        deployed = definitions.value if definitions is not None and isinstance(definitions.value, dict) else {}
        connection = (self.connection or Connection.from_environment()).with_credential()
        missing = []
        with connection.client(self.cfg.subscription_id) as client:
            for name, version in wanted.items():
                image_id = deployed.get(name) or self.cfg.names.gallery_image_id(name)
                if not _has_version(client, name, image_id, version):
                    missing.append(name if version == "latest" else f"{name} version {version}")
        return missing


def _has_version(client, name: str, image_id: str, version: str) -> bool:
    """Whether the image definition has a usable version (`latest`: any not excluded from latest)."""
    from azure.core.exceptions import AzureError
    from azure.core.rest import HttpRequest

    from mdpool.imagebuild.builder import GALLERY_API_VERSION

    url: str | None = f"{image_id}/versions"
    params: dict[str, str] | None = {"api-version": GALLERY_API_VERSION}
    try:
        for _ in range(100):  # pages; bounded
            if url is None:
                return False
            response = client.send_request(HttpRequest("GET", url, params=params))
            if response.status_code == 404:  # no image definition: certainly no version
                return False
            response.raise_for_status()
            page = response.json()
            for item in page.get("value") or []:
                properties = item.get("properties") or {}
                if properties.get("provisioningState") != "Succeeded":
                    continue
                if version == "latest":
                    if not (properties.get("publishingProfile") or {}).get("excludeFromLatest"):
                        return True
                elif str(item.get("name", "")).lower() == version.lower():
                    return True
            url, params = page.get("nextLink"), None
    except AzureError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DeployError(f"gallery image {name}: cannot list its versions in {image_id}: {detail}") from None
    return False


def tidy_built(
    cfg: "EnvironmentConfig",
    specs: "Sequence[ImageSpec]",
    results: "Sequence[BuildResult]",
    connection: "Connection",
    rollout_state: "Path | None",
) -> "dict[str, Retention]":
    """After the builds: each image built (or reattached to and finished) keeps its newest `keep_versions`
    (mdpool.deploy.retention); never raises, a problem is a warning on the image."""
    from mdpool.deploy.retention import Retention, tidy_after_builds

    by_name = {spec.name: spec for spec in specs}
    built = [
        (r.image, by_name[r.image].settings.gallery_image_id, by_name[r.image].resource_group)
        for r in results
        if r.status in ("built", "reattached") and r.image in by_name
    ]
    try:
        return tidy_after_builds(cfg, built, connection, rollout_state=rollout_state)
    except Exception as error:  # noqa: BLE001 - tidying never fails a build
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        keep = {image.name: image.keep_versions for image in cfg.gallery.images}
        return {name: Retention(name, keep.get(name, 0), warnings=[f"old versions not tidied: {detail}"]) for name, _, _ in built}


def to_image_result(result: "BuildResult", retention: "Retention | None" = None) -> ImageResult:
    from mdpool.imagebuild.phases import clock, slowest

    message = result.message or None
    if result.status == "failed":
        state = f" ({result.run_state})" if result.run_state else ""
        log = f"; customization log: {result.log_url}" if result.log_url else ""
        step = f"; failed in {result.failed_step}" if result.failed_step else ""
        problem = f"; {result.log_problem}" if result.log_problem else ""
        message = f"{result.message or 'no message from Azure'}{state}{step}{problem}{log}"
    longest = slowest(result.phases)
    return ImageResult(
        name=result.image,
        outcome=_OUTCOMES.get(result.status, result.status),
        version_id=result.version_id,
        seconds=result.duration,
        message=message,
        slowest_phase=f"{longest.phase} {clock(longest.seconds)}" if longest else None,
        retention=retention.to_json() if retention is not None else None,
    )
