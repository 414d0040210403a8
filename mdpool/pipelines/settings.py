"""What the rendered pipelines need to know, derived from the environment configuration.

Names follow one convention from the environment name, and most of the rest comes from settings
the config already has: the state backend, the subscription, the images that have build settings
and their build timeouts. The config's `pipelines:` section (the refresh schedule, how the jobs get
mdpool) is read here only. The layout depends on the repository rendered for: mdpool's own (a clone,
`make setup`) or a user's (mdpool installed as a tool), see `pipeline_layout`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
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
    layout: str = "clone"
    """`clone`: the jobs run in a clone of mdpool's own repository (`make setup`, `.venv/bin/mdpool`);
    `tool`: they install mdpool with pip (`install`) and call `mdpool` on PATH (a user's own repository)."""
    install: str = ""
    """Layout `tool`: the argument of `pip install` (config `pipelines.install`; default this version)."""

    @property
    def mdpool(self) -> str:
        """How a script calls mdpool."""
        return "mdpool" if self.layout == "tool" else ".venv/bin/mdpool"

    @property
    def python(self) -> str:
        """How a script calls the Python mdpool runs on."""
        return "python" if self.layout == "tool" else ".venv/bin/python"

    @property
    def image_build_minutes(self) -> int:
        """The longest the image stage may need (0 when nothing is built)."""
        return (1 + self.watch_jobs) * self.build_window_minutes if self.images else 0


def is_mdpool_source(folder: Path) -> bool:
    """Whether `folder` is the root of mdpool's own repository: its pyproject.toml names project mdpool."""
    import tomllib

    try:
        with open(folder / "pyproject.toml", "rb") as stream:
            project = tomllib.load(stream).get("project", {})
    except (OSError, ValueError):
        return False
    return isinstance(project, dict) and project.get("name") == "mdpool"


def pipeline_layout(cfg: EnvironmentConfig, root: Path) -> str:
    """The config's `pipelines.layout`, else `clone` in mdpool's own repository (`root`, where the
    pipelines run from), else `tool`."""
    if cfg.pipelines.layout is not None:
        return cfg.pipelines.layout
    return "clone" if is_mdpool_source(root) else "tool"


def pipeline_settings(cfg: EnvironmentConfig, config_path: str, layout: str = "clone") -> PipelineSettings:
    """What the templates need; `layout` as pipeline_layout() answers for the repository rendered for."""
    from mdpool import __version__

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
        layout=layout,
        install=cfg.pipelines.install or f"mdpool=={__version__}",
    )
