"""The rollout's steps, one per phase of mdpool.rollout.state, each safe to run again.

| phase        | step (idempotent)                                                        | next |
|--------------|--------------------------------------------------------------------------|------|
| holding      | exclude the new version from `latest` (pools at latest keep the previous) | canary |
| canary       | apply the pool stack with the canary (mdpool.rollout.overlay)             | smoke |
| smoke        | queue the smoke runs not yet queued (each recorded at once), watch them   | promoting / rolling_back |
| promoting    | let the new version into `latest`, apply the pool stack as the config says | recycling |
| recycling    | delete idle agents on older versions of the image (mdpool.deploy.recycle) | promoted |
| rolling_back | keep the new version excluded, apply the pool stack as the config says     | rolled_back |

The state is saved before each step that depends on it (the pool stack is synthesized from it) and
after each step, so a run stopped at any point continues on the next `mdpool rollout` from the phase
it was in. Ctrl-C/SIGTERM during the smoke watch leave the runs running in Azure DevOps; they are
watched again, not queued again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from mdpool.deploy.errors import DeployError
from mdpool.rollout import state as machine
from mdpool.rollout.overlay import rolls_out
from mdpool.rollout.state import RolloutState, SmokeRun

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Organization, Pool, SmokePipeline
    from mdpool.rollout.smoke import SmokeRuns

Say = Callable[[str], None]


@dataclass
class Outcome:
    """How the run ended: promoted (or nothing to do), or rolled back with the reason (exit 1)."""

    state: RolloutState | None
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state is None or self.state.phase == machine.PROMOTED


class RolloutRefused(DeployError):
    """The rollout cannot start (or resume) as asked: one line with what to do."""


@dataclass
class Rollout:
    """One environment's rollout, with its boundaries injected: Azure (ARM client), the smoke runs, the pool stack apply."""

    config: "EnvironmentConfig"
    path: Path
    arm: Any
    """An azure-core ARM client (mdpool.imagebuild.builder.Connection.client): gallery versions, machines."""
    smoke: "SmokeRuns"
    apply_pool: Callable[[], None]
    """Synthesize (the overlay is read from `path`) and apply the pool stack; raises DeployError."""
    say: Say = print
    _nothing: list[str] = field(default_factory=list, init=False)
    """Why there was nothing to roll out (a first version, already promoted)."""

    # -- starting or resuming -------------------------------------------------------------------

    def run(self, image: str, version: str | None = None, *, abort: bool = False) -> Outcome:
        state = self._begin(image, version, abort)
        if state is None:
            return Outcome(None, self._nothing)
        if abort:
            if state.phase in (machine.PROMOTING, machine.RECYCLING):
                raise RolloutRefused(
                    f"rollout of {image} {state.version}: already promoting; it cannot be aborted, run `mdpool rollout {image}` to finish"
                )
            if state.phase not in (machine.ROLLING_BACK,) and not state.finished:
                state.failure = "aborted (mdpool rollout --abort)"
                self._go(state, machine.ROLLING_BACK)
        steps = {
            machine.HOLDING: self._hold,
            machine.CANARY: self._canary,
            machine.SMOKE: self._smoke,
            machine.PROMOTING: self._promote,
            machine.RECYCLING: self._recycle,
            machine.ROLLING_BACK: self._roll_back,
        }
        while not state.finished:
            steps[state.phase](state)
        return self._outcome(state)

    def _begin(self, image: str, version: str | None, abort: bool) -> RolloutState | None:
        check_image(self.config, image)
        current = machine.load(self.path)
        if current is not None and not current.finished:
            if current.image != image or (version is not None and version != current.version):
                raise RolloutRefused(
                    f"a rollout of {current.image} {current.version} is under way ({current.phase}, {self.path}); "
                    f"finish it first: mdpool rollout {current.image} (or roll it back: mdpool rollout {current.image} --abort)"
                )
            self.say(f"rollout of {image} {current.version}: resuming at {current.phase}")
            return current
        if abort:
            raise RolloutRefused(f"{image}: no rollout under way to abort ({self.path})")
        return self._start(image, version, current)

    def _start(self, image: str, version: str | None, last: RolloutState | None) -> RolloutState | None:
        from mdpool.deploy.exclude_from_latest import excluded_from_latest
        from mdpool.deploy.recycle import version_key

        pools = check_rollout(self.config, image)
        succeeded = {
            str(item.get("name")): item
            for item in self._versions(image)
            if (item.get("properties") or {}).get("provisioningState") == "Succeeded"
        }
        if not succeeded:
            raise RolloutRefused(f"{image}: no Succeeded version to roll out; build one first: mdpool images build {image}")
        new = version or max(succeeded, key=version_key)
        if new not in succeeded:
            raise RolloutRefused(f"{image}: no Succeeded version {new}; versions: {', '.join(sorted(succeeded, key=version_key)[-5:])}")
        if last is not None and last.image == image and last.version == new:
            if last.phase == machine.PROMOTED:
                self._nothing = [f"{image} {new}: already promoted; nothing to do"]
                return None
            raise RolloutRefused(
                f"{image} {new}: rolled back ({last.failure}); it stays excluded from latest: build a new version and roll that out"
            )
        if version is None and self.config.rollout.strategy == "canary" and not excluded_from_latest(succeeded[new]):
            # with strategy canary a build publishes its version held back from latest: one in latest is promoted
            self._nothing = [f"{image} {new}: already in latest; nothing to roll out (--version {new} canaries it anyway)"]
            return None
        earlier = [
            name
            for name, item in succeeded.items()
            if version_key(name) < version_key(new) and not excluded_from_latest(item)
        ]
        if not earlier:
            self._release(image, new, "no earlier version to fall back on, so no canary: the pools take it as their first version")
            return None
        state = RolloutState(image=image, version=new, previous=max(earlier, key=version_key), pools=[self._pool_name(p) for p in pools])
        machine.save(self.path, state)
        self.say(f"rollout of {image} {new} (previous {state.previous}) to {', '.join(state.pools)}: started ({self.path})")
        return state

    def release_without_canary(self, image: str, why: str) -> list[str]:
        """Let the newest version of `image` into latest at once (no pool serves yet, so none to judge it on)."""
        from mdpool.deploy.recycle import version_key

        names = [
            str(item.get("name"))
            for item in self._versions(image)
            if (item.get("properties") or {}).get("provisioningState") == "Succeeded"
        ]
        if not names:
            return []
        self._release(image, max(names, key=version_key), why)
        return list(self._nothing)

    def _release(self, image: str, version: str, why: str) -> None:
        from mdpool.deploy.exclude_from_latest import set_excluded_from_latest

        set_excluded_from_latest(self.arm, self._version_id(image, version), False)
        self._nothing = [f"{image} {version}: {why}"]

    # -- the steps ---------------------------------------------------------------------------

    def _hold(self, state: RolloutState) -> None:
        from mdpool.deploy.exclude_from_latest import set_excluded_from_latest

        set_excluded_from_latest(self.arm, self._version_id(state.image, state.version), True)
        self.say(f"  {state.version}: held back from latest while its canary runs")
        self._go(state, machine.CANARY)

    def _canary(self, state: RolloutState) -> None:
        self.apply_pool()  # synthesized with the canary: the phase is already saved
        self.say(f"  pools: {state.previous} pinned as the default, {state.version} as {state.canary_alias} (buffer 0)")
        self._go(state, machine.SMOKE)

    def _smoke(self, state: RolloutState) -> None:
        queued = {run.organization.rstrip("/").lower() for run in state.runs}
        for organization in self._organizations(state):
            if organization.resolved_url.rstrip("/").lower() in queued:
                continue  # queued before an interruption: watched, never queued twice
            smoke = smoke_for(self.config, organization)
            assert smoke is not None  # checked when the rollout started
            run = self.smoke.queue(smoke, state.canary_alias)
            state.runs.append(run)
            machine.save(self.path, state)
            self.say(f"  smoke run queued: {run.url}")
        timeout = self.config.rollout.timeout_minutes * 60.0

        def changed(run: SmokeRun) -> None:
            for index, known in enumerate(state.runs):
                if known.run_id == run.run_id and known.organization == run.organization:
                    state.runs[index] = run
            machine.save(self.path, state)
            if run.finished:
                self.say(f"  smoke run {run.url}: {run.result}")

        state.runs = self.smoke.watch(state.runs, timeout, changed)
        failed = [run for run in state.runs if run.finished and not run.succeeded]
        unfinished = [run for run in state.runs if not run.finished]
        if failed:
            state.failure = "; ".join(f"smoke run {run.url} {run.result or 'failed'}" for run in failed)
            self._go(state, machine.ROLLING_BACK)
        elif unfinished:
            state.failure = "; ".join(
                f"smoke run {run.url} still {run.state} after {self.config.rollout.timeout_minutes} min (rollout.timeout_minutes)"
                for run in unfinished
            )
            self._go(state, machine.ROLLING_BACK)
        else:
            self._go(state, machine.PROMOTING)

    def _promote(self, state: RolloutState) -> None:
        from mdpool.deploy.exclude_from_latest import set_excluded_from_latest

        set_excluded_from_latest(self.arm, self._version_id(state.image, state.version), False)
        self.apply_pool()  # the config again: `latest`, which is now the new version; no canary
        self.say(f"  promoted: the pools run {state.image} {state.version} at latest; canary removed")
        self._go(state, machine.RECYCLING)

    def _recycle(self, state: RolloutState) -> None:
        from mdpool.deploy.recycle import PoolMachines, plan_recycle

        definition_id = self.config.names.gallery_image_id(state.image)
        for pool in self.config.pools:
            name = self._pool_name(pool)
            if name not in state.pools:
                continue
            machines = PoolMachines(self.arm, self._pool_id(pool))
            plan = plan_recycle(machines.machines(), {definition_id: state.version})
            machines.delete(plan.delete)
            self.say(
                f"  {name}: recycled {len(plan.delete)} idle agent(s) on older versions of {state.image}; "
                f"{plan.waiting} wait (busy, or beyond this run's batch)"
            )
        self._go(state, machine.PROMOTED)

    def _roll_back(self, state: RolloutState) -> None:
        from mdpool.deploy.exclude_from_latest import set_excluded_from_latest

        set_excluded_from_latest(self.arm, self._version_id(state.image, state.version), True)
        self.apply_pool()  # the config again: `latest` is the previous version, the new one stays excluded
        self.say(f"  rolled back: the pools keep {state.image} {state.previous}; {state.version} stays excluded from latest")
        self._go(state, machine.ROLLED_BACK)

    # -- helpers -----------------------------------------------------------------------------

    def _go(self, state: RolloutState, phase: str) -> None:
        state.advance(phase)
        machine.save(self.path, state)

    def _outcome(self, state: RolloutState) -> Outcome:
        if state.phase == machine.PROMOTED:
            return Outcome(state, [f"rollout of {state.image} {state.version}: promoted"])
        return Outcome(
            state,
            [
                f"rollout of {state.image} {state.version}: rolled back: {state.failure}; the pools keep {state.previous}, "
                f"and {state.version} is excluded from latest"
            ],
        )

    def _organizations(self, state: RolloutState) -> "list[Organization]":
        seen, found = set(), []
        for pool in self.config.pools:
            if self._pool_name(pool) not in state.pools:
                continue
            for organization in pool.organizations:
                key = organization.resolved_url.rstrip("/").lower()
                if key not in seen:
                    seen.add(key)
                    found.append(organization)
        return found

    def _versions(self, image: str) -> list[dict[str, Any]]:
        from azure.core.exceptions import AzureError

        from mdpool.imagebuild.builder import GalleryImageNotFound, list_gallery_image_versions

        image_id = self.config.names.gallery_image_id(image)
        try:
            return list_gallery_image_versions(self.arm, image_id)
        except GalleryImageNotFound:
            return []
        except AzureError as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise DeployError(f"{image}: cannot list its versions in {image_id}: {detail}") from None

    def _version_id(self, image: str, version: str) -> str:
        return f"{self.config.names.gallery_image_id(image)}/versions/{version}"

    def _pool_name(self, pool: "Pool") -> str:
        return self.config.names.for_pool(pool).pool

    def _pool_id(self, pool: "Pool") -> str:
        return self.config.names.pool_id(pool)


def check_image(config: "EnvironmentConfig", image: str) -> None:
    try:
        config.image(image)
    except KeyError:
        names = ", ".join(i.name for i in config.gallery.images) or "none"
        raise RolloutRefused(f"{image}: not a gallery image of {config.config_path}; gallery images: {names}") from None


def check_rollout(config: "EnvironmentConfig", image: str) -> "list[Pool]":
    """The pools that roll `image` out, each organization of theirs with a smoke pipeline; RolloutRefused otherwise.
    Reads the config only: the CLI asks it before anything slow."""
    check_image(config, image)
    pools = [pool for pool in config.pools if rolls_out(pool, image)]
    if not pools:
        raise RolloutRefused(f"{image}: no pool runs it at `latest` (a pinned version changes with the config, not by a rollout)")
    missing = []
    for pool in pools:
        if pool.github is not None:
            missing.append(f"{config.names.for_pool(pool).pool} (serves GitHub; the smoke runs are Azure Pipelines runs)")
        for organization in pool.organizations:
            if smoke_for(config, organization) is None:
                missing.append(organization.resolved_url)
    if missing:
        raise RolloutRefused(
            f"rollout.smoke: no smoke pipeline for {', '.join(missing)}; add one per organization "
            f"(organization, project, pipeline) so the canary is judged where it serves"
        )
    return pools


def smoke_for(config: "EnvironmentConfig", organization: "Organization") -> "SmokePipeline | None":
    wanted = organization.resolved_url.rstrip("/").lower()
    return next((s for s in config.rollout.smoke if s.organization_url().lower() == wanted), None)
