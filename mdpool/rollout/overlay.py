"""What the pool stack synthesizes while a canary runs: the config, with the rollout's images.

Why an overlay the synth reads, and not a PATCH of the pool over ARM: the pool is Terraform's
(`azapi_resource`), and a change made behind its back would be drift that the next plan undoes or,
worse, that a reviewer sees as a change nobody made. So every step of a rollout is a plan and apply of
the pool stack, synthesized from the config plus the rollout state; once the rollout ends (promoted
or rolled back) the overlay is empty again, so the Terraform state and the config say the same.

During the canary (phases `canary` and `smoke`), each pool image that runs IMAGE at `latest` becomes two:
- the default, pinned to the previous version (a pool at `latest` would otherwise take the new one
  at once);
- the canary: the same entry pinned to the new version, alias `<image>-canary`, buffer 0 (no standby
  agents: only a pipeline that demands `ImageOverride -equals <image>-canary` gets one).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mdpool.rollout.state import CANARY_PHASES, RolloutState, load, state_path

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Pool


def rolls_out(pool: "Pool", image: str) -> bool:
    """Whether `pool` follows `image` at `latest` (a pinned image changes only with the config)."""
    return any(entry.gallery_image == image and entry.version == "latest" for entry in pool.images)


def canary_pool(pool: "Pool", state: RolloutState) -> "Pool":
    """`pool` with its `latest` entries of the rolled-out image pinned to the previous version, plus the canary."""
    images = []
    for entry in pool.images:
        if entry.gallery_image == state.image and entry.version == "latest":
            images.append(entry.model_copy(update={"version": state.previous}))
            images.append(entry.model_copy(update={"version": state.version, "aliases": [state.canary_alias], "buffer": 0}))
        else:
            images.append(entry)
    return pool.model_copy(update={"images": images})


def with_rollout(config: "EnvironmentConfig", state: RolloutState | None) -> "EnvironmentConfig":
    """The config the pool stack is synthesized from: `config` itself unless a canary is running."""
    if state is None or state.phase not in CANARY_PHASES:
        return config
    copy = config.model_copy()  # the file's pools resolved again, the derived names kept
    # each pool that follows the image at latest carries the canary (a pool's private key, its stack, survives model_copy)
    copy._pools = [canary_pool(pool, state) if rolls_out(pool, state.image) else pool for pool in config.pools]
    return copy


def synth_config(config: "EnvironmentConfig", out_dir: Path | str) -> "EnvironmentConfig":
    """`config` with the rollout recorded beside the state of a synth into `out_dir` (none: unchanged)."""
    return with_rollout(config, load(state_path(config, out_dir)))
