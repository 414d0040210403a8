"""Synthesize the stacks into an output folder, all or nothing, and summarize what was written.

The output is byte-identical for the same configuration on any machine and from any working
directory: cdktn writes no absolute paths once the backend is explicit, and stack traces are off.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from mdpool.config import EnvironmentConfig
from mdpool.files import FileRefused, load_json_file, path_inside
from mdpool.provider_lock import read_lock_files, repository_locks, write_lock_files
from mdpool.output_folder import check_output_folder, mark_manifest, output_lock
from mdpool.problems import InputError, Problem
from mdpool.signals import deferred

# Terraform's working files in a stack folder: kept across synths so a rerun needs no new `init`.
TERRAFORM_WORKING_FILES = (".terraform", ".terraform.lock.hcl")


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    stacks: dict[str, Path]
    """Stack name -> its folder (holding cdk.tf.json), in deployment order."""

    def stack_json(self, name: str) -> dict:
        document = load_json_file(self.stacks[name] / "cdk.tf.json")
        return document if isinstance(document, dict) else {}

    def resource_count(self, name: str) -> int:
        resources = self.stack_json(name).get("resource", {})
        return (
            sum(len(by_name) for by_name in resources.values() if isinstance(by_name, dict)) if isinstance(resources, dict) else 0
        )


def synthesize(config: EnvironmentConfig, out_dir: Path | str, *, locked: bool = False) -> SynthResult:
    """Write `out_dir/manifest.json` and `out_dir/stacks/<stack>/cdk.tf.json` for `config`.

    `out_dir` must be missing, empty or an earlier mdpool output (mdpool.output_folder says why
    anything else is refused, with an InputError). The stacks are synthesized into a temporary
    sibling folder that replaces `out_dir` only when complete, so a failure leaves the previous
    output as it was; `<out_dir>.lock` keeps a second synth out meanwhile (`locked`: the caller
    already holds it, as plan and deploy do for their whole run).
    """
    out_dir = Path(out_dir)
    check_target(config, out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a folder above the output should be
        blocker = next(p for p in out_dir.parents if p.exists() or p.is_symlink())
        raise InputError(
            [
                Problem(
                    str(out_dir), None, "", f"{blocker} is a file, not a folder; --out needs a folder mdpool may create and write"
                )
            ]
        ) from None
    except OSError as error:
        raise _cannot_write(out_dir, error) from None
    if locked:
        return _synthesize(config, out_dir)
    with output_lock(out_dir):
        check_target(config, out_dir)  # again: another synth may have written it meanwhile
        return _synthesize(config, out_dir)


def _cannot_write(out_dir: Path, error: OSError) -> InputError:
    return InputError(
        [
            Problem(
                str(out_dir),
                None,
                "",
                f"cannot write the output here ({error.strerror}); --out needs a folder mdpool may create and write",
            )
        ]
    )


def check_target(config: EnvironmentConfig, out_dir: Path) -> None:
    """Raise InputError (one line) unless a synth of `config` may replace `out_dir` (mdpool.output_folder)."""
    local_state = config.state.local.directory if config.state.backend == "local" else None
    check_output_folder(out_dir, config_path=config.config_path, state_directory=local_state)


def _synthesize(config: EnvironmentConfig, out_dir: Path) -> SynthResult:
    from mdpool.app import (
        build_app,  # loads the provider bindings: only here, never on import
    )

    from mdpool.rollout.overlay import synth_config
    from mdpool.rollout.state import StateFileError

    try:  # a running canary (mdpool rollout) is part of what the pool stack says: mdpool.rollout.overlay
        config = synth_config(config, out_dir)
    except StateFileError as error:
        raise InputError([Problem(str(out_dir), None, "", str(error))]) from None
    from mdpool.imagebuild.inputs import image_inputs, record_image_inputs

    inputs = image_inputs(config)  # rendered before the swap: a slow template never holds it up
    try:
        staging = _make_sibling(out_dir, "")
    except OSError as error:
        raise _cannot_write(out_dir, error) from None
    try:
        with deferred():  # an interruption waits for jsii's Node process to finish writing, then discards it
            build_app(config, str(staging)).synth()
        # the committed provider checksums (the repository's, else mdpool's), read before anything moves
        locks = read_lock_files(staging / "stacks", repository_locks(config.base_dir))
        with deferred():  # never half-swapped: once the swap begins, it ends
            mark_manifest(staging)
            record_image_inputs(staging / "manifest.json", inputs)
            _carry_over_terraform_files(out_dir, staging)
            write_lock_files(staging / "stacks", locks)  # the committed lock wins over a carried-over one
            _replace(out_dir, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_synth_output(out_dir)


def _make_sibling(target: Path, kind: str) -> Path:
    """A new hidden folder beside `target`. os.mkdir applies the user's umask (tempfile.mkdtemp
    would make it 0700, and the output folder it becomes would keep that)."""
    while True:
        candidate = target.parent / f".{target.name}.{kind}{secrets.token_hex(4)}"
        try:
            os.mkdir(candidate, 0o777)
            return candidate
        except FileExistsError:
            continue


MAX_STACKS = 100
"""More stacks than an output mdpool writes could hold (our own bound: a gallery and a pool stack today)."""


def read_synth_output(out_dir: Path | str) -> SynthResult:
    """The stacks of an existing synth output folder, in the order the manifest's dependencies give.

    The manifest may be hand-made (`--no-synth`): anything but the shape cdktn writes is an
    InputError of one line: too big or deep, a dependency cycle or an unknown one, a working
    directory that is absolute or leads outside `out_dir`."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"

    def refused(message: str) -> InputError:
        return InputError([Problem(str(manifest_path), None, "", f"{message}; run `mdpool synth` again")])

    try:
        manifest = load_json_file(manifest_path)
    except FileNotFoundError:
        raise refused("missing") from None
    except FileRefused as refusal:
        raise refused(f"it {refusal}") from None
    stacks = manifest.get("stacks") if isinstance(manifest, dict) else None
    if not isinstance(stacks, dict) or not 0 < len(stacks) <= MAX_STACKS or not all(isinstance(e, dict) for e in stacks.values()):
        raise refused(f"stacks: missing, or not a mapping of at most {MAX_STACKS} stack names to objects")

    def dependencies(name: str) -> list[str]:
        found = stacks[name].get("dependencies", [])
        if not isinstance(found, list) or not all(isinstance(d, str) and d in stacks for d in found):
            raise refused(f"stacks.{name}.dependencies: not a list of the manifest's stack names")
        return found

    ordered: list[str] = []  # dependencies first, depth first, without recursion (a long chain cannot overflow)
    for root in sorted(stacks):
        if root in ordered:
            continue
        path = [(root, iter(dependencies(root)))]
        while path:
            name, pending = path[-1]
            following = next(pending, None)
            if following is None:
                path.pop()
                ordered.append(name)
            elif following in (entry for entry, _ in path):
                raise refused(f"stacks.{name}.dependencies: a cycle through {following}")
            elif following not in ordered:
                path.append((following, iter(dependencies(following))))
    try:
        folders = {
            name: path_inside(out_dir, stacks[name].get("workingDirectory"), f"stacks.{name}.workingDirectory")
            for name in ordered
        }
    except FileRefused as refusal:
        raise refused(str(refusal)) from None
    return SynthResult(out_dir, folders)


def _carry_over_terraform_files(old: Path, new: Path) -> None:
    old_stacks = old / "stacks"
    if not old_stacks.is_dir():
        return
    for stack_dir in (new / "stacks").iterdir():
        for item in TERRAFORM_WORKING_FILES:
            previous = old_stacks / stack_dir.name / item
            if previous.exists():
                previous.rename(stack_dir / item)


def _replace(target: Path, complete: Path) -> None:
    """Put `complete` where `target` is, keeping the old one until the new one stands."""
    retired = None
    if target.exists():
        retired = _make_sibling(target, "old.")
        target.rename(retired / target.name)
    complete.rename(target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
