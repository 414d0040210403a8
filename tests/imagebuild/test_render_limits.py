"""Render limits that one C call cannot escape: the template runs in a child with RLIMIT_CPU and RLIMIT_AS.

Each attack runs `render_definition` in a separate Python process with a timeout of its own, so a
regression (a render back in-process, a limit gone) fails the test instead of blocking the suite
for a minute or exhausting the machine.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mdpool.imagebuild.render import render_definition
from mdpool.problems import InputError
from tests.imagebuild.conftest import REPO

# render.py's documented limits, written out (a changed limit fails a test)
SECONDS, MEBIBYTES = 3, 256

# `m` has 12 Mi bits and `n` 4 Mi bits, both parsed in milliseconds; `m % (n - 12345)` is one long
# division in C: a minute or more of CPU (an 8 Mi-bit one took 25-60 s on the development machine),
# and no trace function runs while it does.
BIG_MODULO = (
    '{% set f = "f" * 1000000 %}{% set n = f | int(base=16) %}{% set m = (f ~ f ~ f) | int(base=16) %}'
    "{{ m % (n - 12345) }}"
)

SCRIPT = (
    "import sys\n"
    "from pathlib import Path\n"
    "from mdpool.imagebuild.render import render_definition\n"
    "from mdpool.problems import InputError\n"
    "try:\n"
    "    print(len(render_definition(Path(sys.argv[1]), {}).text))\n"
    "except InputError as error:\n"
    "    print(error)\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_render(path: Path, timeout: float = 40) -> tuple[str, float]:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("the render was not stopped")
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done.stdout.strip(), time.monotonic() - started


@pytest.mark.parametrize(
    "expression",
    [
        BIG_MODULO,
    ],
)
def test_one_big_integer_operation_is_stopped_at_the_time_limit_with_one_line(tmp_path, expression):
    out, elapsed = run_render(write(tmp_path, "slow.json.j2", "{\n" + expression + "\n}\n"))
    assert len(out.splitlines()) == 1, out
    # the kernel stops the one C call (no line); a call that returns in time is stopped at its line
    assert re.search(f"slow.json.j2(:2)?: refused: rendering took longer than {SECONDS} seconds \\(allowed: at most that\\)$", out), out
    assert elapsed < 20  # the CPU limit (4 s of CPU) or the parent's deadline (10 s) acted


def test_a_big_integer_operation_within_the_limit_still_renders(tmp_path):
    # the same kind of work, a tenth the size: well inside the limit on a loaded machine
    path = write(tmp_path, "ok.json.j2", '{% set n = ("f" * 100000) | int(base=16) %}{"x": "{{ (n * n) % 7 }}"}\n')
    assert render_definition(path, {}).text == '{"x": "' + str((int("f" * 100000, 16) ** 2) % 7) + '"}\n'


def test_one_allocation_above_the_memory_limit_is_refused_one_below_is_allowed(tmp_path):
    below = write(tmp_path, "below.json.j2", "{{ 'a'.ljust(" + str((MEBIBYTES - 56) * 1024 * 1024) + ") | length }}")
    out, _ = run_render(below)
    assert out == str(len(str((MEBIBYTES - 56) * 1024 * 1024))), out  # the rendered text is the length's digits
    above = write(tmp_path, "above.json.j2", "{{ 'a'.ljust(" + str((MEBIBYTES + 8) * 1024 * 1024) + ") | length }}")
    out, _ = run_render(above)
    assert out.endswith(f"above.json.j2: refused: rendering needed more than {MEBIBYTES} MiB of memory (allowed: at most that)"), out


def test_a_stopped_render_leaves_the_parent_limits_alone_and_the_next_render_works(tmp_path):
    before = {name: resource.getrlimit(getattr(resource, name)) for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_CORE")}
    slow = write(tmp_path, "slow.json.j2", "{\n" + BIG_MODULO + "\n}\n")
    started = time.monotonic()
    with pytest.raises(InputError) as error:
        render_definition(slow, {})
    assert time.monotonic() - started < 20
    (problem,) = error.value.problems
    assert problem.file.endswith("slow.json.j2") and problem.line is None
    assert problem.message == f"refused: rendering took longer than {SECONDS} seconds (allowed: at most that)"
    assert render_definition(write(tmp_path, "ok.json.j2", '{"a": "{{ 2 * 3 }}"}\n'), {}).text == '{"a": "6"}\n'
    assert {name: resource.getrlimit(getattr(resource, name)) for name in before} == before


def test_renders_share_one_child_process(tmp_path):
    from mdpool.imagebuild import render_child

    path = write(tmp_path, "ok.json.j2", '{"a": "{{ 1 + 1 }}"}\n')
    render_definition(path, {})
    child = render_child._child
    assert child is not None
    for _ in range(20):
        assert render_definition(path, {}).text == '{"a": "2"}\n'
    assert render_child._child is child and child.process.poll() is None


def test_without_an_interpreter_to_start_the_template_renders_in_process_with_the_sandbox(tmp_path, monkeypatch):
    from mdpool.imagebuild import render_child

    monkeypatch.setattr(sys, "executable", "")  # an embedded Python: nothing to start a child with
    before = render_child._child
    assert render_definition(write(tmp_path, "ok.json.j2", '{"a": "{{ V }}"}\n'), {"V": '"'}).text == '{"a": "\\""}\n'
    with pytest.raises(InputError) as error:
        render_definition(write(tmp_path, "evil.json.j2", "{{ ''.__class__.__mro__ }}"), {})
    assert "never Python internals" in error.value.problems[0].message
    assert render_child._child is before  # no child was started for these
