"""The project stands on its own and says the same thing everywhere: no test reads outside the
checkout, the installable package and the development lock agree, one Python range, one version."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PIPFILE = tomllib.loads((REPO / "Pipfile").read_text(encoding="utf-8"))


def _code_files() -> list[Path]:
    files = [REPO / "Makefile", REPO / "pyproject.toml", *(REPO / ".ci").iterdir(), *(REPO / "bench").rglob("*.py")]
    files += [path for path in (REPO / "tests").rglob("*.py") if path != Path(__file__)]
    return [path for path in files if path.is_file()]


def test_nothing_reads_outside_the_checkout():
    # A user's clone has no ../shared beside it: every file a test or CI needs lives in the project.
    outside = re.compile(r"\.\./shared|shared/reference|parent\s*/\s*[\"']shared[\"']|parents\[\d\]\s*/\s*[\"']\.\.[\"']")
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _code_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert offenders == []


# mdpool's own recorded output (the round-1 azurerm pool, for the migration review): nothing vendored
OWN_DATA = {"review"}


def test_vendored_files_carry_their_licence():
    for data in (REPO / "tests" / "data").iterdir():
        if data.is_dir() and data.name not in OWN_DATA:
            assert list(data.glob("*LICENSE*")) or list(data.glob("*LICENCE*")), f"{data}: no licence file beside it"


def _pipfile_requirements() -> dict[str, SpecifierSet]:
    requirements = {}
    for name, spec in PIPFILE["packages"].items():
        if isinstance(spec, dict):
            assert name == "mdpool" and spec.get("editable"), f"Pipfile [packages] {name}: only mdpool itself is a path"
            continue
        requirements[_normal(name)] = SpecifierSet("" if spec == "*" else spec)
    return requirements


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pyproject_dependencies_are_the_pipfile_packages():
    # `pip install .` must get what the lock was resolved from: same names, same ranges.
    declared = {}
    for line in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(line)
        declared[_normal(requirement.name)] = requirement.specifier
    assert declared == _pipfile_requirements()


def test_pipfile_keeps_the_project_editable():
    assert PIPFILE["packages"]["mdpool"] == {"path": ".", "editable": True}


def test_one_python_range():
    # The lock is resolved for the Pipfile's Python, the oldest the package supports; the
    # pipelines run on it too. The package's range covers exactly the versions tested here.
    from mdpool.pipelines.settings import PipelineSettings

    lock_python = PIPFILE["requires"]["python_version"]
    supported = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert f">={lock_python}" in str(supported).split(",")
    assert [v for v in ("3.10", "3.11", "3.12", "3.13", "3.14") if f"{v}.0" in supported] == ["3.11", "3.12", "3.13"]
    assert {f.name: f.default for f in dataclasses.fields(PipelineSettings)}["python_version"] == lock_python
    classifiers = {
        c.rsplit(" :: ", 1)[1]
        for c in PYPROJECT["project"]["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert classifiers == {"3.11", "3.12", "3.13"}


def test_nothing_hard_codes_a_python_version_path():
    offenders = [
        f"{path.relative_to(REPO)}: {match}"
        for path in _code_files()
        if path.suffix != ".py"
        for match in re.findall(r"python3\.\d+/site-packages", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_version_lives_in_one_place():
    from mdpool import __version__

    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mdpool.__version__"}
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(__version__)}\b", changelog, re.M), "CHANGELOG.md has no entry for this version"


def test_licence_is_mit_and_declared():
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert PYPROJECT["project"]["license"] == "MIT"


def test_readme_fits_on_a_few_screens_and_its_links_resolve():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"^[a-z]+:|^#", t)]
    assert targets and [t for t in targets if not (REPO / t).exists()] == []


def test_docs_build_strictly(tmp_path):
    # mkdocs-material, strict: a broken link or anchor, or a page missing from the nav, fails
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]


# --- make synth: only what mdpool runs with -------------------------------------------------------


def _make_dry_run(folder: Path, target: str) -> list[str]:
    """The commands GNU make would run for `target` in `folder` (make -n runs none of them)."""
    import shutil
    import subprocess

    for name in ("Makefile", "Pipfile", "Pipfile.lock", "pyproject.toml", "package-lock.json"):
        if not (folder / name).exists():
            shutil.copy2(REPO / name, folder / name)
    # --no-print-directory: run under `make test` (CI), a nested make would add Entering/Leaving lines
    done = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _pipenv_syncs(lines: list[str]) -> list[str]:
    return [line.split("pipenv ", 1)[1] for line in lines if "bin/pipenv sync" in line]


def test_make_synth_installs_the_runtime_set_only(tmp_path):
    """A fresh clone: `make synth` syncs the Pipfile's [packages] without --dev (no pytest, ruff,
    mypy, mkdocs); `make setup` syncs the development set."""
    assert _pipenv_syncs(_make_dry_run(tmp_path, "synth")) == ["sync"]
    assert _pipenv_syncs(_make_dry_run(tmp_path, "validate")) == ["sync"]
    assert _pipenv_syncs(_make_dry_run(tmp_path, "setup")) == ["sync --dev"]


def test_make_synth_after_make_setup_installs_nothing(tmp_path):
    import os
    import time

    _make_dry_run(tmp_path, "synth")  # lays the project files down
    (tmp_path / ".venv").mkdir()
    later = time.time() + 10
    for marker in (".synced", ".synced-runtime"):  # as `make setup` leaves them, newer than the locks
        (tmp_path / ".venv" / marker).touch()
        os.utime(tmp_path / ".venv" / marker, (later, later))
    assert _make_dry_run(tmp_path, "synth") == [".venv/bin/mdpool synth"]
