"""Where a synth may write: only a new or empty folder, or an earlier mdpool output, and one synth at a time.

A synth replaces its output folder as a whole, so pointing `--out` at the wrong folder would delete
it. Before anything is written the target is checked here: a missing path, an empty folder or a
folder whose manifest carries mdpool's marker (and holds nothing else) may be replaced; anything
else is refused with one line and left untouched. Local Terraform state may not lie inside the
output folder either, since the next synth would replace it with the folder.

Kept free of heavy imports: `mdpool validate` uses `state_inside_output`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import posixpath
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from mdpool.files import FileRefused, load_json_file, not_utf8
from mdpool.problems import InputError, Problem

DEFAULT_OUT = "cdktf.out"
MANIFEST = "manifest.json"
# The key mdpool adds to cdktn's manifest.json: what makes a folder recognisably "ours" to replace.
MARKER_KEY = "mdpool"
MARKER = {"written_by": "mdpool synth", "replace": "this folder is rewritten by every mdpool synth"}
# What a synth writes at the top of its output, and what Terraform and a deploy add in a stack folder
# (the working files a rerun keeps, and the saved plan of an interrupted deploy).
OUTPUT_ENTRIES = {MANIFEST, "stacks"}
STACK_ENTRIES = {"cdk.tf.json", "metadata.json", "assets", ".terraform", ".terraform.lock.hcl", "mdpool.tfplan"}
ALLOWED = "--out needs a new or empty folder, or the output of an earlier mdpool synth"


def _refuse(out: Path, message: str) -> InputError:
    return InputError([Problem(str(out), None, "", message)])


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _manifest_marked(folder: Path) -> tuple[bool, dict | None]:
    """Whether `folder/manifest.json` carries mdpool's marker; also the manifest (None: unreadable)."""
    try:
        manifest = load_json_file(folder / MANIFEST)  # a regular file, bounded: never a FIFO that blocks
    except (OSError, FileRefused):
        return False, None
    if not isinstance(manifest, dict):
        return False, None
    return manifest.get(MARKER_KEY) == MARKER, manifest


def _round_one_output(manifest: dict) -> bool:
    """An output of mdpool before the marker: cdktn's manifest with exactly one gallery and one pool stack."""
    stacks = manifest.get("stacks")
    if not isinstance(stacks, dict) or len(stacks) != 2:
        return False
    names = sorted(stacks)
    return names[0].startswith("gallery-") and names[1] == "pool-" + names[0].removeprefix("gallery-")


def _foreign_entries(folder: Path, manifest: dict) -> list[str]:
    """What the folder holds that neither mdpool nor Terraform put there (deleted by a replace)."""
    foreign = [entry.name for entry in folder.iterdir() if entry.name not in OUTPUT_ENTRIES]
    stacks_dir = folder / "stacks"
    if stacks_dir.is_dir() and not stacks_dir.is_symlink():  # a link: its target's files are not ours to move
        known = set(manifest.get("stacks") or {})
        for stack in stacks_dir.iterdir():
            if stack.name not in known or not stack.is_dir() or stack.is_symlink():
                foreign.append(f"stacks/{stack.name}")
                continue
            foreign += [f"stacks/{stack.name}/{entry.name}" for entry in stack.iterdir() if entry.name not in STACK_ENTRIES]
    elif stacks_dir.exists() or stacks_dir.is_symlink():
        foreign.append("stacks")
    return sorted(foreign)


def check_output_folder(out: Path, *, config_path: Path | None = None, state_directory: str | None = None) -> None:
    """Raise InputError (one line) unless a synth may replace `out` as a whole."""
    if not_utf8(os.path.abspath(out)):  # jsii would write a staging folder of another name, left behind
        raise _refuse(out, "is not a UTF-8 path; --out needs a path in UTF-8, e.g. cdktf.out")
    target = Path(os.path.abspath(out))
    real = Path(os.path.realpath(out))
    home = Path(os.path.realpath(Path.home()))
    if real == Path(real.anchor):
        raise _refuse(out, f"is the root folder; {ALLOWED}, e.g. {DEFAULT_OUT}")
    if real == home:
        raise _refuse(out, f"is the home folder; {ALLOWED}, e.g. {DEFAULT_OUT}")
    if _inside(Path(os.path.realpath(Path.cwd())), real):
        raise _refuse(out, f"is the current folder or holds it; {ALLOWED}, e.g. {DEFAULT_OUT}")
    if config_path is not None and _inside(Path(os.path.realpath(config_path)).parent, real):
        raise _refuse(out, f"holds the config file {config_path}; {ALLOWED}, e.g. {DEFAULT_OUT}")
    if state_directory is not None:
        state = Path(os.path.realpath(target.parent / state_directory.strip("/")))
        if _inside(state, real):
            raise _refuse(
                out,
                f"would hold the Terraform state (state.local.directory {state_directory!r}, "
                f"beside the output), which every synth replaces; choose an --out that does "
                f"not contain it",
            )
    if target.is_symlink():
        raise _refuse(out, f"is a symbolic link; {ALLOWED}: give the folder it points to")
    if not target.exists():
        return
    if not target.is_dir():
        raise _refuse(out, f"is a file, not a folder; {ALLOWED}")
    try:
        entries = list(target.iterdir())
        if not entries:
            return
        marked, manifest = _manifest_marked(target)
        if manifest is None or not (marked or _round_one_output(manifest)):
            shown = ", ".join(sorted(entry.name for entry in entries)[:5]) + (", ..." if len(entries) > 5 else "")
            raise _refuse(out, f"is a folder of other files ({shown}), not an mdpool output; {ALLOWED}")
        foreign = _foreign_entries(target, manifest)
    except PermissionError as error:
        raise _refuse(out, f"cannot be read ({error.strerror}); {ALLOWED}") from None
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise _refuse(
            out,
            f"is an mdpool output that also holds files mdpool did not write ({shown}); move them out, or choose another --out",
        )


def state_inside_output(state_directory: str, out: str = DEFAULT_OUT) -> bool:
    """Whether state.local.directory (relative to the folder holding the output) lies inside `out`."""
    state = posixpath.normpath(state_directory.strip("/") or ".")
    out = posixpath.normpath(out)
    return state == out or state.startswith(out + "/")


def mark_manifest(folder: Path) -> None:
    """Add mdpool's marker to the manifest cdktn wrote, keeping the rest of it as it is."""
    path = folder / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest[MARKER_KEY] = MARKER
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")


def lock_path(out: Path) -> Path:
    target = Path(os.path.abspath(out))
    return target.with_name(f"{target.name}.lock")


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold `<out>.lock` (beside the output) while the output is written or used; refuse if another holds it.

    The lock file is removed on release; a process that locked a file somebody removed meanwhile
    sees a different inode at the path and tries again, so two holders never coexist.
    """
    if not Path(os.path.abspath(out)).name:
        raise _refuse(out, f"is the root folder; {ALLOWED}, e.g. {DEFAULT_OUT}")
    path = lock_path(out)
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # where the output will be written anyway
            try:  # the type before opening: opening a device may act
                if not stat.S_ISREG(os.lstat(path).st_mode) and not stat.S_ISLNK(os.lstat(path).st_mode):
                    raise _refuse(out, f"the lock file {path} is not a regular file; remove it, or choose another --out")
            except FileNotFoundError:
                pass
            # O_NOFOLLOW: a link planted at the lock's path (dangling or not) is never followed, so no
            # file is created or opened where it points; the lock must be a regular file
            handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o666)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _refuse(
                    out, f"the lock file {path} is a symbolic link mdpool did not make; remove it, or choose another --out"
                ) from None
            raise _refuse(out, f"cannot create the lock file {path} ({error.strerror})") from None
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            os.close(handle)
            raise _refuse(out, f"the lock file {path} is not a regular file; remove it, or choose another --out")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(handle)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise _refuse(
                    out,
                    f"another mdpool command is using this output folder (lock {path}); "
                    f"wait for it to finish, or choose another --out",
                ) from None
            raise
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)
