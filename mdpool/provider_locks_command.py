"""`mdpool provider-locks [--out DIR]`: the provider lock files of this config's stacks, for committing.

Synthesizes the config into a temporary folder, runs `terraform providers lock` in one stack of each
kind (gallery, pool: every stack of a kind pins the same providers) for the platforms the pipelines
and your machines run on, and writes `<kind>.terraform.lock.hcl` into DIR (default `.mdpool/locks`
beside the config, where `mdpool synth` looks: mdpool.provider_lock). Review the diff and commit.

It replaces only lock files Terraform wrote (they start with its own header line); anything else in
their place is refused with one line and left alone. Needs the Terraform registry, or a local mirror
(`--fs-mirror`, as `terraform providers lock -fs-mirror`).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, fail, load_environment_or_exit, say

DEFAULT_PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64")
"""Where the stacks are planned: hosted agents (linux_amd64) and people's machines, as `make provider-locks`."""
SGR = re.compile(r"\x1b\[[0-9;]*m")
PLATFORM = re.compile(r"[a-z0-9]+_[a-z0-9]+")  # terraform providers lock -platform=OS_ARCH
TERRAFORM_HEADER = b'# This file is maintained automatically by "terraform init".'
"""The first line of every lock file Terraform writes: a file without it is not ours to replace."""


def _out_problems(out: Path, names: list[str]) -> list[str]:
    from mdpool.files import FileRefused, read_bounded
    from mdpool.provider_lock import MAX_LOCK_BYTES

    if out.exists() and not out.is_dir():
        return [f"{out}: is a file, not a folder; --out needs a folder for the lock files"]
    problems = []
    for name in names:
        path = out / name
        if path.is_symlink():
            problems.append(f"{path}: is a symbolic link; move it, or choose another --out")
        elif path.exists():
            try:
                ours = read_bounded(path, MAX_LOCK_BYTES).startswith(TERRAFORM_HEADER)
            except (OSError, FileRefused):
                ours = False
            if not ours:
                problems.append(f"{path}: exists and is not a Terraform lock file; move it, or choose another --out")
    return problems


def provider_locks(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the lock files (default: .mdpool/locks beside the config).")
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option("--platform", help=f"OS_ARCH to record checksums for (repeatable; default: {', '.join(DEFAULT_PLATFORMS)})."),
    ] = None,
    fs_mirror: Annotated[
        Path | None, typer.Option("--fs-mirror", help="Read the providers from this local mirror instead of the registry.")
    ] = None,
    terraform_bin: Annotated[
        str | None, typer.Option("--terraform-bin", help="The terraform executable (default: $MDPOOL_TERRAFORM, else terraform on PATH).")
    ] = None,
) -> None:
    """Write the provider lock files of this config's stacks (terraform providers lock), to commit."""
    import os

    from mdpool.deploy.errors import TerraformError
    from mdpool.deploy.terraform import automation_env, locate_terraform
    from mdpool.printed import shown
    from mdpool.problems import InputError
    from mdpool.provider_lock import LOCK_FILE, lock_name, repository_locks
    from mdpool.review.command import write_atomically
    from mdpool.synth import synthesize

    platforms = list(platform or DEFAULT_PLATFORMS)
    bad = [p for p in platforms if not PLATFORM.fullmatch(p)]
    if bad:
        fail([f"--platform {shown(p)}: not a platform; allowed: OS_ARCH, e.g. linux_amd64" for p in bad], code=2)
    cfg = load_environment_or_exit(config)
    target = out if out is not None else repository_locks(cfg.base_dir)
    try:
        binary = locate_terraform(terraform_bin)
    except TerraformError as error:
        fail([str(error)])
    with tempfile.TemporaryDirectory(prefix="mdpool-provider-locks-") as scratch:
        try:
            result = synthesize(cfg, Path(scratch) / "cdktf.out")
        except InputError as error:
            fail(error.problems)
        stacks: dict[str, Path] = {}
        for name, folder in result.stacks.items():
            stacks.setdefault(lock_name(name), folder)  # one stack per kind: they pin the same providers
        problems = _out_problems(target, sorted(stacks))
        if problems:
            fail(problems)
        arguments = [f"-platform={p}" for p in platforms]
        if fs_mirror is not None:
            arguments.append(f"-fs-mirror={fs_mirror.resolve()}")
        env = automation_env(os.environ)
        locks: dict[str, str] = {}
        for name, folder in stacks.items():
            (folder / LOCK_FILE).unlink(missing_ok=True)  # a fresh lock, not the committed one synth placed
            try:
                ran = subprocess.run(
                    [binary.path, "providers", "lock", *arguments],
                    cwd=folder,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=1800,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                fail([f"{folder.name}: terraform providers lock did not run ({error})"])
            if ran.returncode != 0:
                plain = SGR.sub("", ran.stderr or ran.stdout)  # providers lock has no -no-color
                said = [line.strip(" │╷╵") for line in plain.splitlines() if line.strip(" │╷╵")]
                fail([f"{folder.name}: terraform providers lock failed: {' '.join(said[-3:]) or f'exit {ran.returncode}'}"])
            locks[name] = (folder / LOCK_FILE).read_text(encoding="utf-8")
    for name, text in locks.items():
        try:
            write_atomically(target / name, text)
        except OSError as error:
            fail([f"{target / name}: cannot write it ({error.strerror or error})"])
        say(f"wrote {target / name}")
    say("review the diff and commit them: synth carries them into the stacks, and the pipelines' terraform init checks them")
