"""Files and folders: what mdpool writes and reads follows one rule set (issue 16, class 5).

Writes: never through a link mdpool did not make, never over a file it did not write. Reads
(mdpool.files.read_bounded): a regular file only, opened without waiting, bounded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mdpool.output_folder import check_output_folder, output_lock
from mdpool.problems import InputError
from tests.conftest import EXAMPLE_CONFIG, run_mdpool


# --- <out>.lock ------------------------------------------------------------------------------------


@pytest.mark.parametrize("points_to", ["missing", "file"])
def test_a_link_at_the_lock_path_is_never_followed(tmp_path, points_to):
    target = tmp_path / "elsewhere"
    if points_to == "file":
        target.write_text("keep me")
    (tmp_path / "out.lock").symlink_to(target)
    with pytest.raises(InputError, match="is a symbolic link mdpool did not make; remove it"):
        with output_lock(tmp_path / "out"):
            pass
    assert (target.read_text() == "keep me") if points_to == "file" else not target.exists()
    assert (tmp_path / "out.lock").is_symlink()  # left as found


def test_a_fifo_at_the_lock_path_is_refused(tmp_path):
    os.mkfifo(tmp_path / "out.lock")
    with pytest.raises(InputError, match="is not a regular file"):
        with output_lock(tmp_path / "out"):
            pass


def test_a_stale_lock_file_is_taken_and_removed(tmp_path):
    (tmp_path / "out.lock").write_text("")  # left by a killed run: a regular file nobody holds
    with output_lock(tmp_path / "out"):
        assert (tmp_path / "out.lock").is_file()
    assert not (tmp_path / "out.lock").exists()


def test_synth_with_a_dangling_lock_link_is_one_line_and_creates_nothing(tmp_path):
    (tmp_path / "out.lock").symlink_to(tmp_path / "created-by-mdpool")
    done = run_mdpool("synth", "--config", str(EXAMPLE_CONFIG), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "is a symbolic link mdpool did not make" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.lock"]


# --- an earlier output whose stacks folder is a link ---------------------------------------------------


def test_an_output_whose_stacks_is_a_link_is_not_replaced(example_synth, tmp_path):
    out = tmp_path / "cdktf.out"
    shutil.copytree(example_synth, out)
    outside = tmp_path / "outside"
    shutil.move(out / "stacks", outside)
    (outside / "gallery-dev" / ".terraform").mkdir()
    (outside / "gallery-dev" / ".terraform" / "keep").write_text("not mdpool's")
    (out / "stacks").symlink_to(outside)
    with pytest.raises(InputError, match=r"also holds files mdpool did not write \(stacks\)"):
        check_output_folder(out)
    done = run_mdpool("synth", "--config", str(EXAMPLE_CONFIG), "--out", str(out))
    assert done.returncode == 1 and "files mdpool did not write (stacks)" in done.stderr
    assert (outside / "gallery-dev" / ".terraform" / "keep").read_text() == "not mdpool's"  # nothing moved out


def test_an_output_whose_manifest_is_a_fifo_is_refused_without_blocking(tmp_path):
    out = tmp_path / "cdktf.out"
    out.mkdir()
    os.mkfifo(out / "manifest.json")
    with pytest.raises(InputError, match="is a folder of other files"):
        check_output_folder(out)


# --- a --out that is not UTF-8 ----------------------------------------------------------------------------


def test_a_non_utf8_out_is_one_line_and_leaves_nothing(tmp_path):
    out = str(tmp_path / "out") + "\udcff"  # the byte 0xff, as Python holds a file name that is not UTF-8
    done = run_mdpool("synth", "--config", str(EXAMPLE_CONFIG), "--out", out)
    assert done.returncode == 1
    assert done.stderr == f"{tmp_path}/out\\udcff: is not a UTF-8 path; --out needs a path in UTF-8, e.g. cdktf.out\n"
    assert list(tmp_path.iterdir()) == []  # no staging folder, no lock


# --- review --out: the same rules as synth --out --------------------------------------------------------


def _review(example_synth: Path, out: Path):
    return run_mdpool("review", "--base", str(example_synth), "--head", str(example_synth), "--out", str(out))


def test_review_out_never_replaces_a_file_it_did_not_write(example_synth, tmp_path):
    config = tmp_path / "example.yaml"
    config.write_text(EXAMPLE_CONFIG.read_text())
    done = _review(example_synth, config)
    assert done.returncode == 1
    assert done.stderr == f"{config}: exists and was not written by mdpool review; move it, or choose another --out\n"
    assert config.read_text() == EXAMPLE_CONFIG.read_text()


def test_review_out_replaces_its_own_review(example_synth, tmp_path):
    review = tmp_path / "review.md"
    assert _review(example_synth, review).returncode == 0
    review.write_text(review.read_text() + "an older run\n")  # still a review mdpool wrote
    done = _review(example_synth, review)
    assert done.returncode == 0, done.stderr
    assert "an older run" not in review.read_text()


def test_review_out_refuses_a_look_alike_that_is_not_a_review(example_synth, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# mdpool review notes\n\nmine\n")
    assert _review(example_synth, notes).returncode == 1
    assert notes.read_text() == "# mdpool review notes\n\nmine\n"


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_review_out_refuses_a_link_or_a_special_file(example_synth, tmp_path, kind):
    out = tmp_path / "review.md"
    if kind == "link":
        out.symlink_to(tmp_path / "target.md")
    else:
        os.mkfifo(out)
    done = run_mdpool("review", "--base", str(example_synth), "--head", str(example_synth), "--out", str(out), timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert ("is a symbolic link" if kind == "link" else "is a named pipe (FIFO), not a regular file") in done.stderr
    assert not (tmp_path / "target.md").exists()


# --- reading: special files, for every kind mdpool reads -----------------------------------------------


def test_a_fifo_as_an_image_definition_is_one_line(tmp_path):
    (tmp_path / "config").mkdir()
    images = tmp_path / "images"
    shutil.copytree(EXAMPLE_CONFIG.parent.parent / "images", images)
    (images / "ubuntu-buildagent.json.j2").unlink()
    os.mkfifo(images / "ubuntu-buildagent.json.j2")
    config = tmp_path / "config" / "example.yaml"
    config.write_text(EXAMPLE_CONFIG.read_text())
    done = run_mdpool("validate", "--config", str(config), timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr  # the config's check: no regular file there
    assert all(".build.definition: file" in line for line in done.stderr.splitlines())  # one line per image using it
    from mdpool.imagebuild.render import render_definition

    with pytest.raises(InputError, match=r"cannot read the image definition: it is a named pipe \(FIFO\), not a regular file"):
        render_definition(images / "ubuntu-buildagent.json.j2", {})  # the reader itself, as images render/build use it


def test_a_fifo_as_a_review_input_is_one_line(example_synth, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(example_synth, base)
    stack = base / "stacks" / "pool-dev" / "cdk.tf.json"
    stack.unlink()
    os.mkfifo(stack)
    done = run_mdpool("review", "--base", str(base), "--head", str(example_synth), timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"{stack}: cannot read stack pool-dev: it is a named pipe (FIFO), not a regular file\n"


def test_a_review_input_naming_a_stack_outside_its_folder_is_refused(example_synth, tmp_path):
    import json

    base = tmp_path / "base"
    shutil.copytree(example_synth, base)
    manifest = json.loads((base / "manifest.json").read_text())
    manifest["stacks"]["pool-dev"]["synthesizedStackPath"] = str(example_synth / "stacks" / "pool-dev" / "cdk.tf.json")
    (base / "manifest.json").write_text(json.dumps(manifest))
    done = run_mdpool("review", "--base", str(base), "--head", str(example_synth))
    assert done.returncode == 1
    assert "stacks.pool-dev.synthesizedStackPath: the path" in done.stderr and "is not a relative path inside" in done.stderr
