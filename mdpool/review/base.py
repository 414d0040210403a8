"""The two sides of a review: the base (a synthesized folder, or a git ref) and the head.

A git ref is synthesized with THAT ref's own code, config and image files: it is checked out in a
temporary `git worktree` and its `mdpool synth` runs there (`python -c 'from mdpool.cli import
main; main()'` with the worktree first on PYTHONPATH), using this project's interpreter and
installed dependencies. Why not run the current code on the ref's config? Because a pull request
may change the constructs as well as the config: only the ref's own code synthesizes what that ref
would deploy, and only it understands the ref's config if the config format changed. The ref needs
no venv of its own; it needs the dependencies it imports to be installed here, which holds for any
ref of this project whose lock the current one does not drop. A ref that cannot synthesize (no
mdpool at all, an invalid config there, a dependency missing) fails with the ref's own error lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from mdpool.node import bundled_node
from mdpool.review.synthesized import Synthesized, load_synthesized

SYNTH_TIMEOUT_SECONDS = 600
GIT_TIMEOUT_SECONDS = 60
_RUN_CLI = "from mdpool.cli import main; main()"


class BaseUnavailable(Exception):
    """The base cannot be read or synthesized; `lines` say why, in order (the ref's own errors last)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def _problem(message: str) -> BaseUnavailable:
    return BaseUnavailable([f"--base: {message}"])


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
    )


def repository_root(start: Path, ref: str | None = None) -> Path:
    found = _git(start, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        if ref is not None:  # the user may have meant a folder: say that there is none either
            raise _problem(
                f"folder {ref} does not exist, and {start.resolve()} is not inside a git repository, "
                "so it is no git ref either; give a folder of synthesized output (mdpool synth --out DIR)"
            )
        raise _problem(f"{start.resolve()} is not inside a git repository, so a git ref cannot be used as base")
    return Path(found.stdout.strip())


def is_path_only(base: str) -> bool:
    """`base` can only be a path, never a git revision: it starts with `/` or `~/`, ends with a slash,
    or has a part starting with `.` (git-check-ref-format(1): no component of a ref name begins with
    a dot, and none ends with a slash; gitrevisions(7): no revision starts with `/`)."""
    parts = base.replace("\\", "/").split("/")
    return base.startswith(("/", "~/")) or base.endswith(("/", "\\")) or any(p.startswith(".") for p in parts if p)


def resolve_commit(repo: Path, ref: str) -> str:
    found = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0 and Path(ref).is_file():
        raise _problem(f"{ref!r} is a file; give a folder of synthesized output (mdpool synth --out DIR) or a git ref")
    if found.returncode != 0:
        raise _problem(
            f"no folder {ref!r} exists, and no git ref of that name is known here "
            f"(a remote branch must be fetched first, e.g. git fetch origin)"
        )
    return found.stdout.strip()


@contextmanager
def ref_synthesis(
    ref: str, config: Path, *, cwd: Path | None = None, timeout: float = SYNTH_TIMEOUT_SECONDS
) -> Iterator[Callable[[], Synthesized]]:
    """Start synthesizing `config` (a path in this repository) as it is at git `ref`, with that ref's
    code, in the background; the yielded function waits for it. The head can synthesize meanwhile."""
    repo = repository_root(cwd or Path.cwd(), ref)
    commit = resolve_commit(repo, ref)
    try:
        relative = config.resolve().relative_to(repo.resolve())
    except ValueError:
        raise _problem(f"the config {config} is outside the repository {repo}, so it has no version at {ref}") from None
    label = f"{ref} ({commit[:12]})"
    scratch = Path(tempfile.mkdtemp(prefix="mdpool-review-"))
    worktree, out, log = scratch / "worktree", scratch / "out", scratch / "synth.log"
    process: subprocess.Popen | None = None
    try:
        added = _git(repo, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
        if added.returncode != 0:
            raise _problem(f"git worktree add {ref} failed: {added.stderr.strip()}")
        if not (worktree / relative).is_file():
            yield lambda: Synthesized(f"{label}: {relative.as_posix()} does not exist there", {})
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(worktree), os.environ.get("PYTHONPATH")]))}
        node = bundled_node()  # this project's Node for jsii, also for a ref whose code does not pick it
        if node is not None:
            env.setdefault("JSII_NODE", str(node))
        with log.open("w", encoding="utf-8") as errors:  # a file, not a pipe: nothing can block the child
            process = subprocess.Popen(
                [sys.executable, "-c", _RUN_CLI, "synth", "--config", relative.as_posix(), "--out", str(out)],
                cwd=worktree,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                text=True,
            )

        def result() -> Synthesized:
            assert process is not None
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise _problem(f"synthesizing {relative.as_posix()} at {ref} took longer than {timeout:.0f} s") from None
            if code != 0:
                details = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()][-20:]
                raise BaseUnavailable(
                    [f"--base: synthesizing {relative.as_posix()} at {ref} failed (exit {code}); its errors follow"]
                    + [f"{ref}: {line}" for line in details]
                )
            return load_synthesized(out, label)

        yield result
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        if worktree.exists():
            _git(repo, "worktree", "remove", "--force", str(worktree))
        shutil.rmtree(scratch, ignore_errors=True)
        _git(repo, "worktree", "prune")


@contextmanager
def open_base(base: str, config: Path) -> Iterator[Callable[[], Synthesized]]:
    """`base` as a synthesized folder when it is one, otherwise as a git ref (synthesized meanwhile)."""
    folder = Path(base).expanduser()
    if folder.is_dir():
        yield lambda: load_synthesized(folder, base)
    elif is_path_only(base) and folder.exists():
        raise _problem(f"{base!r} is a file; give a folder of synthesized output (mdpool synth --out DIR) or a git ref")
    elif is_path_only(base):  # not a git ref by its shape: the folder is missing
        raise _problem(f"folder {base} does not exist; give a folder of synthesized output (mdpool synth --out DIR) or a git ref")
    else:
        with ref_synthesis(base, config) as result:
            yield result
