"""What the rendered pipelines need to know, derived from the environment configuration.

The configuration has no section for pipelines (yet), so names follow one convention from the
environment name, and everything else comes from settings the config already has: the state
backend, the subscription, the images that have build settings and their build timeouts. If a
`pipelines:` section is added to the config, `pipeline_settings` is the one place that reads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig

HOSTED_JOB_MINUTES = 60
"""A Microsoft-hosted job's limit on the free tier (paid parallel jobs get 360)."""
SETUP_MINUTES = 10
"""Checkout, Python, `make setup` and the Azure login before a watch starts, with room to spare."""
BUILD_MARGIN_MINUTES = 20
"""Azure Image Builder's queueing and distribution to the gallery, beyond the build timeout."""
ROLLOUT_MARGIN_MINUTES = 20
"""Per image rolled out, beyond its smoke runs: two syntheses and three applies of the pool stack."""
PARALLEL_BUILDS = 4
"""The blog's maxParallel, and `mdpool images build`'s default."""


@dataclass(frozen=True)
class PipelineSettings:
    config_path: str
    """The config file as the pipeline refers to it: relative to the repository root."""
    environment: str
    subscription_id: str
    service_connection: str
    """Azure Resource Manager service connection (workload identity federation) used by every Azure step."""
    deploy_environments: dict[str, str]
    """Deploy stage -> Azure DevOps environment whose checks (approvals) gate it."""
    shared_state: bool
    """True with the azurerm backend: only then can a pipeline plan or deploy (state outlives the job)."""
    images: tuple[str, ...]
    """Gallery images with build settings, which the images stage builds."""
    build_window_minutes: int
    """How long one hosted job watches the builds before handing over to the next job."""
    watch_jobs: int
    """Jobs after the one that starts the builds: together they outlast the slowest build."""
    vm_image: str = "ubuntu-latest"
    python_version: str = "3.11"
    terraform_version: str = "1.11.*"
    target_branch: str = "main"
    parallel_builds: int = PARALLEL_BUILDS
    image_refresh_cron: str = "0 3 * * 1"
    """When the scheduled image refresh runs (config `pipelines.image_refresh_cron`, UTC)."""
    pools: tuple[str, ...] = ()
    """The short names of `pools:` (each planned and applied by its own job); empty for one `pool:`."""
    rollout_images: tuple[str, ...] = ()
    """With rollout.strategy canary: the built images a pool runs at `latest`, rolled out in a stage of their own."""
    rollout_minutes: int = 0
    """How long the rollout job may take: the smoke runs' timeout per image, plus set-up and two applies."""

    @property
    def image_build_minutes(self) -> int:
        """The longest the image stage may need (0 when nothing is built)."""
        return (1 + self.watch_jobs) * self.build_window_minutes if self.images else 0


def pipeline_settings(cfg: EnvironmentConfig, config_path: str) -> PipelineSettings:
    builds = [image.build for image in cfg.gallery.images if image.build is not None]
    window = HOSTED_JOB_MINUTES - SETUP_MINUTES
    watch_jobs = 0
    if builds:
        batches = math.ceil(len(builds) / PARALLEL_BUILDS)
        needed = batches * (max(build.timeout_minutes for build in builds) + BUILD_MARGIN_MINUTES)
        watch_jobs = math.ceil(needed / window) - 1
    env = cfg.environment
    rollout_images: tuple[str, ...] = ()
    if cfg.rollout.strategy == "canary":
        rollout_images = tuple(
            image.name
            for image in cfg.gallery.images
            if image.build is not None
            and any(entry.gallery_image == image.name and entry.version == "latest" for pool in cfg.pools for entry in pool.images)
        )
    return PipelineSettings(
        config_path=config_path,
        environment=env,
        subscription_id=cfg.subscription_id,
        service_connection=f"mdpool-{env}",
        deploy_environments={
            stage: f"mdpool-{env}-{stage}" for stage in ("gallery", "images", *(("rollout",) if rollout_images else ()), "pool")
        },
        shared_state=cfg.state.backend == "azurerm",
        images=tuple(image.name for image in cfg.gallery.images if image.build is not None),
        build_window_minutes=window,
        watch_jobs=max(watch_jobs, 0),
        image_refresh_cron=cfg.pipelines.image_refresh_cron.strip(),
        pools=tuple(pool.key for pool in cfg.pools if pool.key is not None),
        rollout_images=rollout_images,
        rollout_minutes=len(rollout_images) * (cfg.rollout.timeout_minutes + ROLLOUT_MARGIN_MINUTES) + SETUP_MINUTES,
    )
