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

A repository of one's own (mdpool installed as a tool) commits its lock files beside its config, in
`.mdpool/locks/` (`mdpool provider-locks` writes them there); a lock found there is used before the
one mdpool ships for the same kind of stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

LOCK_FILE = ".terraform.lock.hcl"
COMMITTED_LOCKS = Path(__file__).parent / "stacks" / "locks"
ENV_MODE = "MDPOOL_PROVIDER_LOCK"
READONLY = "readonly"


REPOSITORY_LOCKS = Path(".mdpool") / "locks"
"""Where a repository of one's own keeps its lock files, relative to the config's folder."""
MAX_LOCK_BYTES = 1024 * 1024
"""Largest lock file carried into a stack (ours: a few KiB per provider and platform)."""


def repository_locks(config_folder: Path) -> Path:
    return config_folder / REPOSITORY_LOCKS


def lock_name(stack: str) -> str:
    """`gallery-dev` -> gallery.terraform.lock.hcl (one lock per kind of stack)."""
    return f"{stack.split('-', 1)[0]}{LOCK_FILE}"


def committed_lock(stack: str, locks: Path | None = None) -> Path | None:
    """The committed lock file for a stack, if there is one: in `locks` (a repository's), else the one
    mdpool ships."""
    for folder in (locks, COMMITTED_LOCKS) if locks is not None else (COMMITTED_LOCKS,):
        path = folder / lock_name(stack)
        if path.is_file():
            return path
    return None


def read_lock_files(stacks_dir: Path, locks: Path | None = None) -> dict[str, bytes]:
    """Stack name -> the committed lock file's bytes, for each stack folder under `stacks_dir` that has one.

    InputError when a lock file is not a regular file of at most MAX_LOCK_BYTES (mdpool.files); read
    before anything is moved, so a refused lock leaves every folder as it was."""
    from mdpool.files import FileRefused, read_bounded
    from mdpool.problems import InputError, Problem

    found: dict[str, bytes] = {}
    if not stacks_dir.is_dir():
        return found
    for stack_dir in sorted(p for p in stacks_dir.iterdir() if p.is_dir()):
        lock = committed_lock(stack_dir.name, locks)
        if lock is not None:
            try:
                found[stack_dir.name] = read_bounded(lock, MAX_LOCK_BYTES)
            except (OSError, FileRefused) as error:
                reason = getattr(error, "strerror", None) or error
                raise InputError([Problem(str(lock), None, "", f"provider lock file {reason}")]) from None
    return found


def write_lock_files(stacks_dir: Path, found: dict[str, bytes]) -> list[str]:
    """Write each lock read by read_lock_files into its stack folder; the stacks served."""
    for stack, text in found.items():
        (stacks_dir / stack / LOCK_FILE).write_bytes(text)
    return list(found)


def place_lock_files(stacks_dir: Path, locks: Path | None = None) -> list[str]:
    """Copy the committed lock file into each stack folder under `stacks_dir` that has one; the stacks served."""
    return write_lock_files(stacks_dir, read_lock_files(stacks_dir, locks))


def init_arguments(directory: Path, env: Mapping[str, str]) -> list[str]:
    """`-lockfile=readonly` when the environment asks for it and the stack carries a lock file."""
    if env.get(ENV_MODE, "") == READONLY and (directory / LOCK_FILE).is_file():
        return ["-lockfile=readonly"]
    return []
