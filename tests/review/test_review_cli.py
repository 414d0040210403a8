"""`mdpool review` as a user runs it: folders, git refs (synthesized in a temporary worktree), errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MDPOOL, REPO, run_mdpool

GIT = ["git", "-c", "user.name=mdpool tests", "-c", "user.email=tests@example.invalid", "-c", "init.defaultBranch=main"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True, timeout=60).stdout


def project_repo(root: Path, config_text: str) -> Path:
    """A git repository holding this project's code and image files, with `config_text` committed
    as config/example.yaml: what a clone at some earlier commit looks like."""
    repo = root / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("mdpool", "images"):
        shutil.copytree(REPO / folder, repo / folder, ignore=ignore)
    (repo / "config").mkdir()
    (repo / "config" / "example.yaml").write_text(config_text, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def test_folder_base_with_out_file(tmp_path, example_synth, review_cases):
    out = tmp_path / "artifacts" / "review.md"
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(review_cases["sizing"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"review written to {out}\n"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# mdpool review\n")
    assert "- SKU: **Standard_DS3_v2 → Standard_D4s_v3**" in text
    assert list(out.parent.iterdir()) == [out]  # no temporary file left beside it


def test_identical_outputs_say_no_changes_on_stdout(example_synth, review_cases):
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(review_cases["unchanged"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("No changes: the synthesized stacks are identical.\n")


def test_git_ref_base_is_synthesized_with_its_own_code_and_compared_with_the_working_tree(tmp_path, review_case_configs):
    repo = project_repo(tmp_path, (REPO / "config" / "example.yaml").read_text(encoding="utf-8"))
    # the pull request: the working tree's config changes the pool's size
    config = repo / "config" / "example.yaml"
    config.write_text(review_case_configs["sizing"].read_text(encoding="utf-8"), encoding="utf-8")
    result = run_mdpool("review", "--base", "HEAD", "--config", "config/example.yaml", cwd=repo, timeout=300)
    assert result.returncode == 0, result.stderr
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert f"Base: `HEAD ({commit[:12]})` · compared with: `working tree (config/example.yaml)`" in result.stdout
    assert "- SKU: **Standard_DS3_v2 → Standard_D4s_v3**" in result.stdout
    assert "## Stack `gallery-dev`: no changes" in result.stdout
    # the temporary worktree is gone, and git no longer lists it
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_config_that_does_not_exist_at_the_ref_makes_everything_new(tmp_path, example_synth):
    repo = project_repo(tmp_path, "placeholder: true\n")
    git(repo, "mv", "config/example.yaml", "config/other.yaml")
    git(repo, "commit", "-q", "-m", "rename")
    shutil.copy(REPO / "config" / "example.yaml", repo / "config" / "example.yaml")
    result = run_mdpool("review", "--base", "HEAD", "--head", str(example_synth), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "config/example.yaml does not exist there" in result.stdout
    assert "## Stack `pool-dev`: new stack" in result.stdout


def test_a_ref_whose_config_does_not_validate_reports_its_own_errors(tmp_path, example_synth):
    broken = (
        (REPO / "config" / "example.yaml")
        .read_text(encoding="utf-8")
        .replace("maximum_concurrency: 10", "maximum_concurrency: ten")
    )
    repo = project_repo(tmp_path, broken)
    result = run_mdpool("review", "--base", "HEAD", "--head", str(example_synth), cwd=repo, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "--base: synthesizing config/example.yaml at HEAD failed (exit 1); its errors follow"
    assert any(line.startswith("HEAD: config/example.yaml:") and "pool.maximum_concurrency" in line for line in lines[1:])
    assert "Traceback" not in result.stderr
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_an_unknown_ref_is_one_line_and_exit_1(tmp_path, example_synth):
    repo = project_repo(tmp_path, "x: 1\n")
    result = run_mdpool("review", "--base", "origin/no-such-branch", "--head", str(example_synth), cwd=repo)
    assert result.returncode == 1
    assert result.stderr == (
        "--base: no folder 'origin/no-such-branch' exists, and no git ref of that name is known here "
        "(a remote branch must be fetched first, e.g. git fetch origin)\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("given", ["./base-out", "../base-out", "build/.out", "ABSOLUTE", "base-out/"])
def test_a_missing_base_folder_says_the_folder_is_missing(tmp_path, example_synth, given):
    """A --base that can only be a path (git-check-ref-format: no ref part starts with a dot or ends with a
    slash; no revision starts with /) is a missing folder, also outside a git repository."""
    where = tmp_path / "work"
    where.mkdir()
    given = str(tmp_path / "base-out") if given == "ABSOLUTE" else given
    result = run_mdpool("review", "--base", given, "--head", str(example_synth), cwd=where)
    assert result.returncode == 1
    assert result.stderr == (
        f"--base: folder {given} does not exist; give a folder of synthesized output (mdpool synth --out DIR) or a git ref\n"
    )


def test_a_base_that_may_be_a_folder_or_a_ref_outside_git_says_neither_exists(tmp_path, example_synth):
    where = tmp_path / "work"
    where.mkdir()  # not a git repository
    result = run_mdpool("review", "--base", "cdktf.out", "--head", str(example_synth), cwd=where)
    assert result.returncode == 1
    assert result.stderr == (
        f"--base: folder cdktf.out does not exist, and {where} is not inside a git repository, so it is no git ref "
        "either; give a folder of synthesized output (mdpool synth --out DIR)\n"
    )


def test_an_existing_base_folder_given_as_a_path_is_read(tmp_path, example_synth):
    shutil.copytree(example_synth, tmp_path / "base-out")
    result = run_mdpool("review", "--base", "./base-out", "--head", str(example_synth), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No changes: the synthesized stacks are identical." in result.stdout


def test_a_base_folder_without_manifest_is_one_line_and_writes_nothing(tmp_path, example_synth):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "review.md"
    result = run_mdpool("review", "--base", str(empty), "--head", str(example_synth), "--out", str(out))
    assert result.returncode == 1
    assert result.stderr == (
        f"{empty / 'manifest.json'}: no manifest.json here; expected the output of `mdpool synth --out DIR`\n"
    )
    assert not out.exists()


# --- paths a user types: one line, exit 1, nothing written ----------------------------------------------


def test_out_that_is_a_folder_or_under_a_file_is_one_line(tmp_path, example_synth):
    common = ("review", "--base", str(example_synth), "--head", str(example_synth))
    result = run_mdpool(*common, "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"{tmp_path}: is a folder; --out needs a file path, e.g. review.md\n"
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = run_mdpool(*common, "--out", str(blocker / "review.md"))
    assert result.returncode == 1
    assert result.stderr == (f"{blocker / 'review.md'}: {blocker} is a file, not a folder; --out needs a file path in a folder\n")
    assert blocker.read_text() == "mine"


def test_out_where_nothing_can_be_written_is_one_line(example_synth):
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(example_synth), "--out", "/proc/review.md")
    assert result.returncode == 1
    assert result.stderr.startswith("/proc/review.md: cannot write the review (")
    assert result.stderr.endswith("); --out needs a file path in a folder you can write\n")
    assert "Traceback" not in result.stderr


def test_review_file_gets_the_users_umask(tmp_path, example_synth):
    import os
    import stat

    out = tmp_path / "review.md"
    done = subprocess.run(
        [str(MDPOOL), "review", "--base", str(example_synth), "--head", str(example_synth), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # as any file the user writes, not mkstemp's 0600


def test_a_base_or_head_that_is_a_file_is_one_line(tmp_path, example_synth):
    file = tmp_path / "base.json"
    file.write_text("{}")
    result = run_mdpool("review", "--base", str(file), "--head", str(example_synth))
    assert result.returncode == 1
    assert result.stderr == (
        f"--base: {str(file)!r} is a file; give a folder of synthesized output (mdpool synth --out DIR) or a git ref\n"
    )
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(file))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
