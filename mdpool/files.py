"""Reading a file mdpool did not write: a regular file, bounded, and never a wait.

Every file mdpool reads (the config, image definitions and the templates they include, the
synthesized output and saved plans it reads back, the review summary it posts) goes through
`read_bounded`, one rule set:

- only a regular file is read: a folder, FIFO, socket or device is refused with one line. The type
  is checked before opening (opening a device may act, e.g. rewind a tape) and again on the open
  handle (the path may have been swapped in between);
- the open never waits: O_NONBLOCK, since opening a FIFO for reading blocks until a writer comes;
- at most `limit` bytes are read; a file that holds more is refused (a size of 0 proves nothing: a
  special or growing file reports 0).

Kept free of heavy imports: `mdpool validate` reads through this.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

MAX_JSON_BYTES = 32 * 1024 * 1024
"""Largest JSON file mdpool reads back (a stack's cdk.tf.json, a manifest, a saved plan's lists). Our
own bound: the full test config synthesizes to well under 1 MiB per stack."""


MAX_JSON_DEPTH = 64
"""Deepest nesting of a JSON file mdpool reads back (our own bound: what cdktn writes nests about 10
deep); deeper data would only exhaust the recursion of the code that walks it."""


class FileRefused(Exception):
    """The file cannot be read under these rules; the message says why in a few words (no path)."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; FileRefused otherwise.

    FileNotFoundError and NotADirectoryError pass through (callers word them in their own terms)."""
    try:
        kind = _kind(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as error:
        raise FileRefused(f"cannot read it ({error.strerror or error})") from None
    if kind:
        raise FileRefused(f"is {kind}, not a regular file")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as error:
        raise FileRefused(f"cannot read it ({error.strerror or error})") from None
    try:
        kind = _kind(os.fstat(handle).st_mode)
        if kind:
            raise FileRefused(f"is {kind}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise FileRefused(f"cannot read it ({error.strerror or error})") from None
    finally:
        os.close(handle)
    if size > limit:
        raise FileRefused(f"is larger than {limit} bytes; allowed: at most that")
    return b"".join(chunks)


def load_json_file(path: Path | str, limit: int = MAX_JSON_BYTES) -> Any:
    """A JSON file read under the rules above; FileRefused for anything that is not readable JSON
    (invalid UTF-8 or JSON, nesting deeper than the parser takes)."""
    raw = read_bounded(path, limit)
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise FileRefused("is not UTF-8 text") from None
    except RecursionError:
        document = None
    except ValueError as error:
        raise FileRefused(f"is not valid JSON ({str(error).splitlines()[0]})") from None
    if document is None and raw.strip() != b"null" or _deeper_than(document, MAX_JSON_DEPTH):
        raise FileRefused(f"nests deeper than {MAX_JSON_DEPTH} levels; allowed: at most that")
    return document


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether `document` nests more than `limit` levels (walked without recursion)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            pending.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def not_utf8(path: Path | str) -> bool:
    """Whether a path holds bytes that are not UTF-8 (Python keeps them as lone surrogates): such a
    name cannot reach cdktn's Node process, a JSON document or a terminal unchanged."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def path_inside(folder: Path, relative: object, what: str) -> Path:
    """`folder / relative` for a path an output file names (a manifest's stack path or working
    directory), refused unless it is relative, has no `..`, and its real location (symbolic links
    resolved) stays inside the real `folder`: a hand-made output cannot point mdpool elsewhere."""
    if not isinstance(relative, str) or not relative.strip():
        raise FileRefused(f"{what} is missing or not a path")
    pieces = relative.replace("\\", "/").split("/")
    if relative.startswith(("/", "\\")) or ":" in pieces[0] or ".." in pieces or "\x00" in relative:
        raise FileRefused(f"{what} {relative!r} is not a relative path inside the output folder")
    path = folder / relative
    real_folder = Path(os.path.realpath(folder))
    if not Path(os.path.realpath(path)).is_relative_to(real_folder):
        raise FileRefused(f"{what} {relative!r} leads outside the output folder (a symbolic link)")
    return path
