"""Provider checksums: the committed dependency lock files, carried into every synthesized stack.

Terraform verifies each provider it installs against the stack's `.terraform.lock.hcl` (its `h1:` and
`zh:` hashes; developer.hashicorp.com/terraform/language/files/dependency-lock). mdpool's stack folders
are rewritten by every synth, so the lock files live in the repository, one per kind of stack:
`mdpool/stacks/locks/<kind>.terraform.lock.hcl` (kind: gallery, pool), written by `make provider-locks`
on a machine that reaches the Terraform registry, reviewed and committed. Synth copies each into the
stacks of its kind; a deploy in CI then runs `terraform init -lockfile=readonly`
(MDPOOL_PROVIDER_LOCK=readonly), so a provider whose checksum differs, or a version the lock does not
name, stops the run instead of being installed. Where no lock file is committed yet, nothing is
copied and Terraform records the hashes it sees on first use, as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Mapping

LOCK_FILE = ".terraform.lock.hcl"
COMMITTED_LOCKS = Path(__file__).parent / "stacks" / "locks"
ENV_MODE = "MDPOOL_PROVIDER_LOCK"
READONLY = "readonly"


def committed_lock(stack: str, locks: Path | None = None) -> Path | None:
    """The committed lock file for a stack (`gallery-dev` -> gallery.terraform.lock.hcl), if there is one."""
    path = (locks or COMMITTED_LOCKS) / f"{stack.split('-', 1)[0]}{LOCK_FILE}"
    return path if path.is_file() else None


def place_lock_files(stacks_dir: Path, locks: Path | None = None) -> list[str]:
    """Copy the committed lock file into each stack folder under `stacks_dir` that has one; the stacks served."""
    placed: list[str] = []
    if not stacks_dir.is_dir():
        return placed
    for stack_dir in sorted(p for p in stacks_dir.iterdir() if p.is_dir()):
        lock = committed_lock(stack_dir.name, locks)
        if lock is not None:
            shutil.copyfile(lock, stack_dir / LOCK_FILE)
            placed.append(stack_dir.name)
    return placed


def init_arguments(directory: Path, env: Mapping[str, str]) -> list[str]:
    """`-lockfile=readonly` when the environment asks for it and the stack carries a lock file."""
    if env.get(ENV_MODE, "") == READONLY and (directory / LOCK_FILE).is_file():
        return ["-lockfile=readonly"]
    return []
