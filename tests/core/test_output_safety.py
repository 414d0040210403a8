"""`mdpool synth --out`: it replaces only what is its own, never a user's folder, file or state.

Every refusal is one line, exit 1, and leaves the target exactly as it was. Refusals happen before
the provider bindings load, so most of these tests cost a CLI start, not a synth.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from mdpool.loader import load_config
from mdpool.output_folder import MARKER, MARKER_KEY, output_lock
from mdpool.problems import InputError
from mdpool.synth import synthesize
from tests.conftest import EXAMPLE_CONFIG, MDPOOL, REPO, run_mdpool

ALLOWED = "--out needs a new or empty folder, or the output of an earlier mdpool synth"


def synth_cli(out: str | Path, *, cwd: Path = REPO, config: Path = EXAMPLE_CONFIG, env=None):
    return run_mdpool("synth", "--config", str(config), "--out", str(out), cwd=cwd, env=env)


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under `path` (or `path` itself) with its bytes: what "left untouched" is checked against."""
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def assert_refused(done, out: Path | str, why: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [f"{out}: {why}"] or (
        len(done.stderr.splitlines()) == 1 and done.stderr.startswith(f"{out}: ") and why in done.stderr
    ), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def config_copy(tmp_path: Path, folder: str = "project", **state) -> Path:
    """The example config (and its image definitions) copied under `tmp_path/folder`, state settings changed."""
    root = tmp_path / folder
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "images", root / "images")
    path = root / "config" / "example.yaml"
    if state:
        data = yaml.safe_load(path.read_text())
        data.setdefault("state", {}).update(state)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- refused, and left as it was -------------------------------------------------------------------


def test_a_folder_of_other_files_is_refused_and_left_untouched(tmp_path):
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "notes.txt").write_text("my notes")
    (out / "sub" / "data.bin").write_bytes(b"\x00\x01")
    before = snapshot(out)
    done = synth_cli(out)
    assert_refused(done, out, f"is a folder of other files (notes.txt, sub), not an mdpool output; {ALLOWED}")
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["mine"]  # no staging folder, no lock file left


def test_a_regular_file_is_refused_and_left_untouched(tmp_path):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF-1.7 precious")
    done = synth_cli(out)
    assert_refused(done, out, f"is a file, not a folder; {ALLOWED}")
    assert out.read_bytes() == b"%PDF-1.7 precious"


def test_the_current_folder_is_refused(tmp_path):
    config = config_copy(tmp_path)
    project = config.parents[1]
    before = snapshot(project)
    done = synth_cli(".", cwd=project, config=config)
    assert_refused(done, ".", f"is the current folder or holds it; {ALLOWED}, e.g. cdktf.out")
    assert snapshot(project) == before


def test_the_project_root_above_the_current_folder_is_refused(tmp_path):
    config = config_copy(tmp_path)
    done = synth_cli("..", cwd=config.parent, config=config)
    assert_refused(done, "..", "is the current folder or holds it")


def test_the_folder_holding_the_config_is_refused(tmp_path):
    config = config_copy(tmp_path)
    before = snapshot(config.parent)
    done = synth_cli(config.parent, config=config)
    assert_refused(done, config.parent, f"holds the config file {config}; {ALLOWED}, e.g. cdktf.out")
    assert snapshot(config.parent) == before
    # and any folder above it: the project folder holds the config too
    done = synth_cli(config.parents[1], config=config)
    assert_refused(done, config.parents[1], "holds the config file")


def test_the_home_folder_and_the_root_are_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = synth_cli(home, env={"HOME": str(home)})
    assert_refused(done, home, f"is the home folder; {ALLOWED}, e.g. cdktf.out")
    assert_refused(synth_cli("/"), "/", f"is the root folder; {ALLOWED}, e.g. cdktf.out")


def test_a_symbolic_link_is_refused_and_kept(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "cdktf.out"
    link.symlink_to(target)
    done = synth_cli(link)
    assert_refused(done, link, f"is a symbolic link; {ALLOWED}: give the folder it points to")
    assert link.is_symlink()


def test_an_mdpool_output_with_a_users_file_in_it_is_refused(tmp_path, example_synth):
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    (out / "stacks" / "pool-dev" / "override.tf").write_text("# mine")
    before = snapshot(out)
    done = synth_cli(out)
    assert_refused(
        done,
        out,
        "is an mdpool output that also holds files mdpool did not write "
        "(stacks/pool-dev/override.tf); move them out, or choose another --out",
    )
    assert snapshot(out) == before


def test_a_manifest_of_another_cdktn_app_is_not_mdpools(tmp_path):
    out = tmp_path / "cdktf.out"
    (out / "stacks" / "web").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"version": "0.24.0", "stacks": {"web": {}}}))
    done = synth_cli(out)
    assert_refused(done, out, "is a folder of other files (manifest.json, stacks), not an mdpool output")


def test_a_manifest_with_a_gallery_stack_and_another_stack_is_not_mdpools(tmp_path):
    # mdpool before the marker wrote gallery-<env> and pool-<env>: any other pair is someone else's
    out = tmp_path / "cdktf.out"
    for stack in ("gallery-dev", "web"):
        (out / "stacks" / stack).mkdir(parents=True)
        (out / "stacks" / stack / "cdk.tf.json").write_text("{}")
    (out / "manifest.json").write_text(json.dumps({"version": "0.24.0", "stacks": {"gallery-dev": {}, "web": {}}}))
    before = snapshot(out)
    done = synth_cli(out)
    assert_refused(done, out, "is a folder of other files (manifest.json, stacks), not an mdpool output")
    assert snapshot(out) == before


def test_a_stack_folder_that_is_a_symbolic_link_is_not_replaced(tmp_path, example_synth):
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    mine = tmp_path / "mine"
    shutil.move(str(out / "stacks" / "pool-dev"), str(mine))  # holds only what a stack folder holds
    (out / "stacks" / "pool-dev").symlink_to(mine, target_is_directory=True)
    before = snapshot(mine)
    done = synth_cli(out)
    assert_refused(
        done,
        out,
        "is an mdpool output that also holds files mdpool did not write (stacks/pool-dev); move them out, or choose another --out",
    )
    assert (out / "stacks" / "pool-dev").is_symlink() and snapshot(mine) == before


def test_a_parent_that_is_a_file_or_cannot_be_written_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = synth_cli(blocker / "out")
    assert_refused(done, blocker / "out", f"{blocker} is a file, not a folder; --out needs a folder mdpool may create and write")
    done = synth_cli("/proc/mdpool-out")  # not writable, even for root
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("/proc/mdpool-out: cannot ") and "Traceback" not in done.stderr


# --- Terraform state may not live inside the output --------------------------------------------------


def test_local_state_inside_the_given_out_is_refused_at_synth(tmp_path):
    # relative to the folder holding the output (build/): build/out/state, inside --out build/out
    config = config_copy(tmp_path, local={"directory": "out/state"})
    out = config.parents[1] / "build" / "out"
    done = synth_cli(out, config=config, cwd=config.parents[1])
    assert_refused(
        done,
        out,
        "would hold the Terraform state (state.local.directory 'out/state', beside the output), which every synth replaces",
    )
    assert not out.exists()


def test_local_state_beside_the_out_is_accepted_at_synth_time_checks(tmp_path):
    config = config_copy(tmp_path)
    out = config.parents[1] / "build" / "out"
    from mdpool.output_folder import check_output_folder

    # build/outside lies beside build/out; build/out itself and what is in it do not
    check_output_folder(out, config_path=config, state_directory="outside")
    check_output_folder(out, config_path=config, state_directory="../out")
    for inside in ("out", "out/", "out/state", "./out/x/.."):
        with pytest.raises(InputError):
            check_output_folder(out, config_path=config, state_directory=inside)


@pytest.mark.parametrize(
    "directory, refused",
    [
        ("cdktf.out", True),
        ("cdktf.out/state", True),
        ("./cdktf.out/state", True),
        ("cdktf.out/", True),
        ("state", False),
        ("cdktf.outside", False),  # only the folder itself and what is inside it
        ("other/cdktf.out", False),
        (".", False),
    ],
)
def test_validate_refuses_state_inside_the_default_output(tmp_path, directory, refused):
    config = config_copy(tmp_path, local={"directory": directory})
    done = run_mdpool("validate", "--config", str(config))
    problem = (
        "state.local.directory: lies inside the synth output folder cdktf.out, which every synth replaces; "
        "allowed: a folder beside it, e.g. state"
    )
    if refused:
        assert done.returncode == 1
        assert [line.split(": ", 1)[1] for line in done.stderr.splitlines()] == [problem]
    else:
        assert done.returncode == 0, done.stderr


# --- accepted: missing, empty, an earlier output (ours, with or without the marker) ---------------------


def test_an_empty_folder_and_an_earlier_output_are_replaced(tmp_path, example_synth):
    config = load_config(EXAMPLE_CONFIG)
    empty = tmp_path / "empty"
    empty.mkdir()
    synthesize(config, empty)
    manifest = json.loads((empty / "manifest.json").read_text())
    assert manifest[MARKER_KEY] == MARKER  # what makes the next synth recognise it
    # an output of round 1, before the marker: cdktn's manifest with one gallery and one pool stack
    old = tmp_path / "round-one"
    shutil.copytree(example_synth, old)
    del manifest[MARKER_KEY]
    (old / "manifest.json").write_text(json.dumps(manifest))
    (old / "stacks" / "gallery-dev" / ".terraform").mkdir()
    (old / "stacks" / "gallery-dev" / "mdpool.tfplan").write_text("plan of an interrupted deploy")
    synthesize(config, old)
    assert json.loads((old / "manifest.json").read_text())[MARKER_KEY] == MARKER
    assert (old / "stacks" / "gallery-dev" / ".terraform").is_dir()  # terraform's working files carried over


def test_output_files_get_the_users_umask(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [str(MDPOOL), "synth", "--config", str(EXAMPLE_CONFIG), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.umask(0o027),
    )  # the user's umask, as a shell would set it
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o750  # not mkdtemp's 0700
    assert stat.S_IMODE((out / "manifest.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((out / "stacks" / "pool-dev").stat().st_mode) == 0o750
    assert stat.S_IMODE((out / "stacks" / "pool-dev" / "cdk.tf.json").stat().st_mode) == 0o640


# --- one synth at a time -------------------------------------------------------------------------------


def test_a_synth_into_a_folder_in_use_is_refused(tmp_path, example_synth):
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    before = snapshot(out)
    with output_lock(out):  # as a running deploy or synth holds it
        done = synth_cli(out)
    assert_refused(
        done,
        out,
        f"another mdpool command is using this output folder (lock {out}.lock); wait for it to finish, or choose another --out",
    )
    assert snapshot(out) == before
    assert not Path(f"{out}.lock").exists()  # released and removed


def test_two_synths_at_once_never_leave_a_half_swapped_folder(tmp_path):
    out = tmp_path / "cdktf.out"
    runs = [
        subprocess.Popen(
            [str(MDPOOL), "synth", "--config", str(EXAMPLE_CONFIG), "--out", str(out)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    results = [(run.returncode, run.communicate(timeout=300)[1]) for run in runs]
    results = [(run.returncode, stderr) for run, (_, stderr) in zip(runs, results)]
    assert any(code == 0 for code, _ in results), results
    for code, stderr in results:
        assert code == 0 or (code == 1 and "another mdpool command is using this output folder" in stderr), stderr
    assert sorted(os.listdir(out)) == ["manifest.json", "stacks"]
    assert sorted(os.listdir(out / "stacks")) == ["gallery-dev", "pool-dev"]
    assert sorted(os.listdir(tmp_path)) == ["cdktf.out"]  # no staging, no retired copy, no lock


@pytest.mark.parametrize("command", [("plan",), ("deploy", "--auto-approve")])
def test_plan_and_deploy_refuse_before_creating_anything(tmp_path, command):
    config = config_copy(tmp_path)
    project = config.parents[1]
    before = snapshot(project)
    for out, why in [
        ("/", "is the root folder"),
        (".", "is the current folder or holds it"),
        ("config", f"holds the config file {config}"),
    ]:
        done = run_mdpool(*command, "--config", str(config), "--out", out, cwd=project)
        assert_refused(done, out, why)
    assert snapshot(project) == before and sorted(os.listdir(project)) == ["config", "images"]


def test_sigterm_during_synth_leaves_the_previous_output_and_no_staging(tmp_path, example_synth):
    import signal
    import time

    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    before = snapshot(out)
    run = subprocess.Popen(
        [str(MDPOOL), "synth", "--config", str(EXAMPLE_CONFIG), "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".cdktf.out.") for p in tmp_path.iterdir()):  # the staging folder exists
        assert time.monotonic() < deadline and run.poll() is None, run.communicate()
        time.sleep(0.01)
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 143, stderr
    assert stderr.splitlines() == [f"interrupted; nothing half-written is left in {out}"]
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["cdktf.out"]  # no staging folder, no lock file


def test_a_manifest_with_a_marker_of_another_value_is_not_mdpools(tmp_path, example_synth):
    # the marker is compared by value, not by key: another tool's "mdpool" entry marks nothing
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    (out / "stacks" / "web").mkdir()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["mdpool"] = {"written_by": "someone else"}
    manifest["stacks"]["web"] = {}
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(out)
    done = synth_cli(out)
    assert done.returncode == 1 and "not an mdpool output" in done.stderr, done.stderr
    assert snapshot(out) == before


def test_an_unmarked_manifest_with_three_stacks_is_not_mdpools(tmp_path):
    # round 1's unmarked output had exactly gallery-<env> and pool-<env>; a third stack is someone else's
    out = tmp_path / "cdktf.out"
    stacks = ("gallery-dev", "pool-dev", "web")
    for stack in stacks:
        (out / "stacks" / stack).mkdir(parents=True)
        (out / "stacks" / stack / "cdk.tf.json").write_text("{}")
    (out / "manifest.json").write_text(json.dumps({"version": "0.24.0", "stacks": {s: {} for s in stacks}}))
    before = snapshot(out)
    done = synth_cli(out)
    assert_refused(done, out, "is a folder of other files (manifest.json, stacks), not an mdpool output")
    assert snapshot(out) == before


def test_a_re_synth_leaves_no_retired_or_staging_folder_beside_the_output(tmp_path):
    # the previous output is kept aside only until the new one stands, then removed
    config = load_config(EXAMPLE_CONFIG)
    out = tmp_path / "cdktf.out"
    synthesize(config, out)
    first = snapshot(out)
    synthesize(config, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]
    assert snapshot(out) == first
