"""mdpool.bindings: the list of binding modules is whole, and a synth that stops at the config leaves
no process behind (the Node process loading the bindings meanwhile is stopped with it)."""

from __future__ import annotations

import subprocess
import sys

from mdpool.bindings import BINDING_MODULES
from tests.conftest import REPO, run_mdpool


def test_the_list_names_every_binding_module_the_stacks_import():
    code = (
        "import sys\n"
        "import mdpool.app\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('cdktn_provider_') and m.count('.') == 1 "
        "and not m.endswith(('._jsii', '._private')))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == sorted(m for m in BINDING_MODULES if m.startswith("cdktn_provider_"))


# Runs a command as a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER): a process the command
# started and left behind becomes this wrapper's child, and is listed once the command has ended.
SUBREAPER = """
import ctypes, json, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=subprocess.DEVNULL)
left, deadline = [], time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break  # no child at all: nothing was left behind
    if pid:
        left.append(pid)
    else:
        time.sleep(0.1)  # a child still runs: wait for it, it is left behind either way
        left.append(-1) if time.monotonic() >= deadline - 0.2 else None
print(json.dumps({"code": done.returncode, "stderr": done.stderr, "left": left}))
"""


def test_a_config_error_in_synth_is_reported_and_leaves_no_process(tmp_path):
    """The bindings start loading before the config is read; the config's error ends the run with its
    problems, exit 1, and the Node process loading them (and the render child) ends with it, reaped."""
    import json

    from tests.conftest import MDPOOL

    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "config" / "example.yaml").read_text().replace("location: westeurope", "location: atlantis"))
    wrapper = subprocess.run(
        [sys.executable, "-c", SUBREAPER, str(MDPOOL), "synth", "--config", str(bad), "--out", str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrapper.returncode == 0, wrapper.stderr
    result = json.loads(wrapper.stdout)
    assert result["code"] == 1, result["stderr"]
    lines = result["stderr"].splitlines()
    assert lines and all(line.startswith(f"{bad}:") for line in lines), lines
    assert "location" in result["stderr"] and not (tmp_path / "out").exists()
    assert result["left"] == []


def test_a_config_error_in_synth_with_json_is_one_document(tmp_path):
    import json

    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: dev\n")
    done = run_mdpool("synth", "--json", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["exit_code"] == 1 and document["problems"]
