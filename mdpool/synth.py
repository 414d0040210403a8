"""Synthesize the stacks into an output folder, all or nothing, and summarize what was written.

The output is byte-identical for the same configuration on any machine and from any working
directory: cdktn writes no absolute paths once the backend is explicit, and stack traces are off.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mdpool.config import EnvironmentConfig
from mdpool.provider_lock import place_lock_files

# Terraform's working files in a stack folder: kept across synths so a rerun needs no new `init`.
TERRAFORM_WORKING_FILES = (".terraform", ".terraform.lock.hcl")


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    stacks: dict[str, Path]
    """Stack name -> its folder (holding cdk.tf.json), in deployment order."""

    def stack_json(self, name: str) -> dict:
        return json.loads((self.stacks[name] / "cdk.tf.json").read_text(encoding="utf-8"))

    def resource_count(self, name: str) -> int:
        resources = self.stack_json(name).get("resource", {})
        return sum(len(by_name) for by_name in resources.values())


def synthesize(config: EnvironmentConfig, out_dir: Path | str) -> SynthResult:
    """Write `out_dir/manifest.json` and `out_dir/stacks/<stack>/cdk.tf.json` for `config`.

    The stacks are synthesized into a temporary sibling folder that replaces `out_dir` only when
    complete, so a failure leaves the previous output as it was.
    """
    from mdpool.app import build_app  # loads the provider bindings: only here, never on import

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        build_app(config, str(staging)).synth()
        _carry_over_terraform_files(out_dir, staging)
        place_lock_files(staging / "stacks")  # the committed provider checksums win over a carried-over lock
        _replace(out_dir, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_synth_output(out_dir)


def read_synth_output(out_dir: Path | str) -> SynthResult:
    """The stacks of an existing synth output folder, in the order the manifest's dependencies give."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    stacks = manifest["stacks"]
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in ordered:
            for dependency in stacks[name].get("dependencies", []):
                visit(dependency)
            ordered.append(name)

    for name in sorted(stacks):
        visit(name)
    return SynthResult(out_dir, {name: out_dir / stacks[name]["workingDirectory"] for name in ordered})


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
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        target.rename(retired / target.name)
    complete.rename(target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
