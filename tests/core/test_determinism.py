"""The same input gives byte-identical output, wherever it is synthesized and from wherever."""

from __future__ import annotations

import filecmp
import os
import shutil

from mdpool.loader import load_config
from mdpool.synth import synthesize
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool


def same_tree(a, b) -> bool:
    compare = filecmp.dircmp(a, b)
    if compare.left_only or compare.right_only or compare.diff_files or compare.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compare.common_files, shallow=False)
    return not mismatch and not errors and all(same_tree(a / d, b / d) for d in compare.common_dirs)


def test_second_synth_elsewhere_is_identical(example_synth, tmp_path):
    other = tmp_path / "deeper" / "place" / "out"
    synthesize(load_config(EXAMPLE_CONFIG), other)
    assert same_tree(example_synth, other)


def test_cli_synth_from_another_directory_and_copy_of_repo(example_synth, tmp_path):
    # A copy of the project somewhere else, synthesized by the CLI from yet another working directory.
    copy = tmp_path / "clone"
    shutil.copytree(REPO / "config", copy / "config")
    shutil.copytree(REPO / "images", copy / "images")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = run_mdpool("synth", "--config", str(copy / "config" / "example.yaml"), "--out", "../out", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "gallery-dev" in result.stdout and "pool-dev" in result.stdout
    assert same_tree(example_synth, tmp_path / "out")


def test_resynth_keeps_terraform_working_files_and_leaves_no_staging(tmp_path):
    out = tmp_path / "cdktf.out"
    config = load_config(EXAMPLE_CONFIG)
    synthesize(config, out)
    (out / "stacks" / "gallery-dev" / ".terraform").mkdir()
    (out / "stacks" / "gallery-dev" / ".terraform.lock.hcl").write_text("# lock")
    (out / "stacks" / "gallery-dev" / "cdk.tf.json").write_text("{}")  # stale: the new synth replaces it
    synthesize(config, out)
    assert (out / "stacks" / "gallery-dev" / ".terraform").is_dir()
    assert (out / "stacks" / "gallery-dev" / ".terraform.lock.hcl").read_text() == "# lock"
    assert (out / "stacks" / "gallery-dev" / "cdk.tf.json").read_text() != "{}"  # the output is replaced whole
    assert sorted(os.listdir(tmp_path)) == ["cdktf.out"]
