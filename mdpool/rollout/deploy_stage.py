"""The images stage of `mdpool deploy` with `rollout.strategy: canary`: each new version through its canary.

After the builds: a rollout an earlier deploy left under way resumes first, then each built image that a
pool runs at `latest` is rolled out (mdpool.rollout.runner). Before the pool stack was ever applied
there are no agents to judge a canary on, so the new versions go straight into latest. A rollback
stops the deploy with the failed run named (DeployError, exit 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from mdpool.deploy.errors import DeployError
from mdpool.rollout.overlay import rolls_out
from mdpool.rollout.state import load

if TYPE_CHECKING:
    from mdpool.rollout.runner import Rollout


def roll_out_built(runner: "Rollout", built: Sequence[str], pool_deployed: Callable[[], bool]) -> list[str]:
    """Roll out the built images (and a rollout under way); what each ended in, one line each."""
    under_way = load(runner.path)
    images = [under_way.image] if under_way is not None and not under_way.finished else []
    images += [image for image in built if image not in images and any(rolls_out(p, image) for p in runner.config.pools)]
    if not images:
        return []
    deployed = pool_deployed()
    lines: list[str] = []
    for image in images:
        if not deployed:
            lines += runner.release_without_canary(image, "the pool is not deployed yet, so no canary: into latest")
            continue
        outcome = runner.run(image)
        if not outcome.ok:
            raise DeployError(outcome.lines)
        lines += outcome.lines
    return lines
