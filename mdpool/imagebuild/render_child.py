"""Render templates in a child process whose CPU time and memory the operating system bounds.

The sandbox's own time bound is a trace function that runs between two lines of the template, so
one long C call (`int` on a megabyte of hex digits, `%` or `*` on the result) ran for tens of
seconds before it was checked. Here the template runs in a child process with
`RLIMIT_CPU` (the kernel stops it with SIGXCPU when its CPU time is spent) and `RLIMIT_AS` (an
allocation above the bound is a MemoryError in the child), and the parent kills it when no answer
comes within a wall-clock deadline. The parent's own limits are never touched.

One child serves every render of a run (starting Python with jinja2 costs ~100-150 ms, a render of
the shipped template a few ms): requests and answers are JSON lines on its stdin and stdout. A
child that was stopped is replaced by a fresh one at the next render.

Where `resource` does not exist (Windows) mdpool.imagebuild.render renders in-process instead, with
the sandbox's own bounds only.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Mapping

from mdpool.imagebuild.sandbox import MAX_RENDER_MEMORY, MAX_RENDER_SECONDS, MEMORY_REFUSED, TIME_REFUSED
from mdpool.problems import InputError, Problem

CPU_SECONDS = math.ceil(MAX_RENDER_SECONDS) + 1
"""CPU time one render may use (RLIMIT_CPU counts whole seconds): the sandbox's own bound stops a
template that runs Python lines first, at its line; this stops one C call that never returns."""
WALL_SECONDS = MAX_RENDER_SECONDS + 7.0
"""How long the parent waits for one answer before it kills the child: above CPU_SECONDS, so the
CPU limit (which names what happened) normally acts first, with room for a loaded machine."""
START_SECONDS = 60.0
"""How long the child may take to start (import jinja2 and mdpool) on a busy machine."""


def _megabytes() -> int:
    return MAX_RENDER_MEMORY // (1024 * 1024)


class _Child:
    """One render process and a thread that reads its answers (so the parent can wait with a deadline)."""

    def __init__(self) -> None:
        import mdpool

        root = str(Path(mdpool.__file__).resolve().parent.parent)  # the mdpool this process runs, not the cwd's
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
        # `-c` puts the working directory first on sys.path; it may be a branch's checkout with a
        # folder named mdpool, so the child drops that entry before it imports anything of ours
        code = "import sys; sys.path.pop(0); from mdpool.imagebuild.render_child import serve; serve()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a dying child's traceback is not the user's line
            env=env,
        )
        self.answers: queue.Queue[bytes | None] = queue.Queue()
        self.ready = False
        threading.Thread(target=self._read, name="mdpool-render-child", daemon=True).start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            self.answers.put(line)
        self.answers.put(None)

    def wait_ready(self) -> bool:
        if not self.ready:
            try:
                self.ready = self.answers.get(timeout=START_SECONDS) == b"ready\n"
            except queue.Empty:
                return False
        return self.ready

    def ask(self, request: dict) -> tuple[dict | None, str]:
        """The child's answer, or (None, what happened) when it died or did not answer in time."""
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            stdin.flush()
            line = self.answers.get(timeout=WALL_SECONDS)
        except queue.Empty:
            self.stop()
            return None, "time"
        except OSError:  # the pipe broke: the child is gone
            line = None
        if line is None:
            self.process.wait()
            return None, "cpu" if self.process.returncode == -signal.SIGXCPU else f"ended ({self.process.returncode})"
        return json.loads(line), ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


_lock = threading.Lock()
_child: _Child | None = None


def prestart() -> None:
    """Start the render child now and return at once: it starts Python and imports jinja2 (~0.1 s)
    while this process goes on (reading the config), instead of while a render waits for it."""
    global _child
    with _lock:
        if _child is None or _child.process.poll() is not None:
            try:
                _child = _Child()
            except OSError:  # the render that needs it says so, with its file
                _child = None


def render_in_child(path: Path, source: str, variables: Mapping[str, str], label: str) -> str:
    """The rendered text, from the render child; InputError with one line when refused or stopped."""
    global _child
    request = {"path": str(path.absolute()), "source": source, "variables": dict(variables), "label": label}
    with _lock:
        if _child is None or _child.process.poll() is not None:
            try:
                _child = _Child()
            except OSError as error:
                raise InputError([Problem(label, None, "", f"cannot start the render process: {error.strerror or error}")]) from None
        if not _child.ready:  # a new child, or one prestart() began
            if not _child.wait_ready():
                _child.stop()
                _child = None
                raise InputError([Problem(label, None, "", "the render process did not start; run `mdpool doctor`")]) from None
        answer, stopped = _child.ask(request)
        if answer is None:
            _child.stop()
            _child = None
    if answer is None:
        if stopped in ("time", "cpu"):
            message = TIME_REFUSED
        else:  # e.g. the kernel's OOM killer, or an allocation failure outside Python's reach
            message = (
                f"refused: rendering exceeded the render limits ({MAX_RENDER_SECONDS:g} s, {_megabytes()} MiB): "
                f"the render process {stopped}"
            )
        raise InputError([Problem(label, None, "", message)])
    if "problems" in answer:
        raise InputError([Problem(file, line, where, message) for file, line, where, message in answer["problems"]])
    return answer["text"]


@atexit.register
def _stop_at_exit() -> None:
    if _child is not None:
        _child.stop()


# --- the child ------------------------------------------------------------------------------------


def serve() -> None:
    """The child's loop: bound memory once, CPU per request, answer each request with one JSON line."""
    import resource

    import jinja2.sandbox  # noqa: F401 - imported before the memory bound, like everything a render needs

    from mdpool.imagebuild.sandbox import render_template

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing but answers on the protocol
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump a core file
    _bound_memory(resource)
    protocol.write(b"ready\n")
    protocol.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        label = request["label"]
        _bound_cpu(resource)
        try:
            answer: dict = {"text": render_template(Path(request["path"]), request["source"], request["variables"], label)}
        except InputError as error:
            answer = {"problems": [[p.file, p.line, p.path, p.message] for p in error.problems]}
        except MemoryError:
            answer = {"problems": [[label, None, "", MEMORY_REFUSED]]}
        try:
            out = json.dumps(answer).encode("utf-8") + b"\n"
        except MemoryError:
            out = json.dumps({"problems": [[label, None, "", MEMORY_REFUSED]]}).encode("utf-8") + b"\n"
        protocol.write(out)
        protocol.flush()


def _bound_memory(resource) -> None:  # noqa: ANN001 - the resource module
    """RLIMIT_AS: what the child uses now (Python, jinja2, mdpool) plus MAX_RENDER_MEMORY; a stricter limit is kept."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:  # first field: the address space, in pages
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # no /proc (macOS, whose kernel does not enforce RLIMIT_AS anyway)
        return
    limit = used + MAX_RENDER_MEMORY
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _bound_cpu(resource) -> None:  # noqa: ANN001 - the resource module
    """RLIMIT_CPU's soft limit: the CPU time spent so far plus CPU_SECONDS (the hard limit is left, so it can move on)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(usage.ru_utime + usage.ru_stime) + CPU_SECONDS
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
