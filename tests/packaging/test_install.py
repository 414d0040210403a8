"""`pip install` of the project gives a working `mdpool` on every Python it supports.

The wheel is built from only what a source checkout ships to pip (pyproject.toml, README.md,
LICENSE, mdpool/), installed into a fresh virtual environment of each Python, and run as a user
would: `--version`, then `validate` and `synth` on a copy of the example in a folder outside the
repository, with nothing of this project's .venv reachable (no PYTHONPATH, no JSII_NODE).

Slow (about a minute per Python, pip's cache makes the second run cheaper): marked `install`, run by
`make test` and CI, deselected with `-m "not install"`. A Python that is not installed is skipped,
unless MDPOOL_REQUIRE_PYTHONS names it (.ci/run does), then it fails.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.install

# CI runs the suite on the Pipfile's Python (3.11); the installed tool is checked on the others.
PYTHONS = ("3.12", "3.13")
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "mdpool")


def find_python(version: str) -> str | None:
    """An interpreter of this minor version: on PATH, in /usr/bin or /usr/local/bin, or under pyenv."""
    candidates = [
        shutil.which(f"python{version}"),
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
        *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))),
    ]
    for candidate in filter(None, candidates):
        try:
            answer = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, timeout=30
            )
        except OSError:
            continue  # a pyenv shim for a version that is not selected answers with an error, not a Python
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return candidate
    return None


def clean_environment() -> dict[str, str]:
    """The user's environment without anything that points into this checkout or its .venv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "JSII_NODE", "MDPOOL_CONFIG", "PYTHONHOME"}
    }
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SHIPPED:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = dist.glob("mdpool-*.whl")
    return path


def test_the_wheel_ships_every_file_the_package_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package_files = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "mdpool").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert package_files - names == set()
    assert {"mdpool/pipelines/templates/deploy.yml.j2", "mdpool/pipelines/templates/pull-request.yml.j2"} <= names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    from mdpool import __version__

    assert re.search(rf"^Version: {re.escape(__version__)}$", metadata, re.M)
    assert re.search(r"^Requires-Dist: cdktn-provider-azurerm==", metadata, re.M)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


@pytest.mark.parametrize("version", PYTHONS)
def test_installed_wheel_runs_outside_the_repository(version, wheel, tmp_path):
    python = find_python(version)
    if python is None:
        required = os.environ.get("MDPOOL_REQUIRE_PYTHONS", "").replace(",", " ").split()
        message = f"python{version} is not installed (looked on PATH, in /usr/bin, /usr/local/bin and ~/.pyenv)"
        if version in required:
            pytest.fail(message)
        pytest.skip(message)
    env = clean_environment()
    venv = tmp_path / f"venv-{version}"
    made = subprocess.run(
        [python, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True, timeout=300, env=env
    )
    assert made.returncode == 0, made.stderr
    # This project's pip installs into the new environment (as pipx does with its shared pip), from
    # the wheel and pip's cache / the package index; --no-compile skips byte-compiling 300 MB of bindings.
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile", str(wheel)],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    mdpool = str(venv / "bin" / "mdpool")

    user = tmp_path / "user"
    shutil.copytree(REPO / "config", user / "config")
    shutil.copytree(REPO / "images", user / "images")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [mdpool, *args], cwd=user, capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL
        )

    shown = run("--version")
    assert shown.returncode == 0, shown.stderr
    from mdpool import __version__

    assert shown.stdout.splitlines()[0] == f"mdpool {__version__}"
    assert re.search(rf"^python {re.escape(version)}\.\d+ ", shown.stdout, re.M), shown.stdout
    assert re.search(r"^cdktn-provider-azurerm \S+ \(hashicorp/azurerm \S+\)$", shown.stdout, re.M), shown.stdout

    valid = run("validate", "--json")
    assert valid.returncode == 0, valid.stderr
    assert json.loads(valid.stdout)["ok"] is True

    synthesized = run("-q", "synth", "--out", "out")
    assert synthesized.returncode == 0, synthesized.stderr
    # the same Terraform as the project's own synth (tests/snapshots/example, kept by test_snapshot.py)
    snapshot = REPO / "tests" / "snapshots" / "example"
    expected = {path.relative_to(snapshot).as_posix(): json.loads(path.read_text()) for path in snapshot.rglob("*.json")}
    written = {path.relative_to(user / "out").as_posix(): json.loads(path.read_text()) for path in (user / "out").rglob("*.json")}
    assert sorted(written) == sorted(expected)
    for name in expected:
        assert written[name] == expected[name], f"{name}: the installed mdpool synthesizes differently"


def test_the_tool_pipelines_install_step_runs_from_the_wheel(wheel, tmp_path):
    """A repository started by `mdpool init`, with the wheel committed in it as `pipelines.install`: the
    rendered pull-request pipeline's install step, run as the agent would (bash, the job's Python
    first on PATH, at the repository root), gives an `mdpool` on PATH that validates, lints,
    synthesizes and checks the pipelines there, with no file of this repository in reach."""
    from tests.conftest import run_mdpool
    from tests.pipelines.schema import load_pipeline

    user = tmp_path / "user"
    assert run_mdpool("init", str(user)).returncode == 0
    (user / "dist").mkdir()
    shutil.copy2(wheel, user / "dist" / wheel.name)
    config = (user / "mdpool.yaml").read_text()
    from mdpool import __version__

    pinned = f'  install: "mdpool=={__version__}"'
    assert pinned in config
    (user / "mdpool.yaml").write_text(config.replace(pinned, f'  install: "dist/{wheel.name}"'))
    rendered = run_mdpool("pipeline", "render", cwd=user)
    assert rendered.returncode == 0, rendered.stderr

    steps = load_pipeline((user / "pipelines" / "pull-request.yml").read_text())["stages"][0]["jobs"][0]["steps"]
    (install,) = [step["script"] for step in steps if "pip install" in step.get("script", "")]
    assert f"dist/{wheel.name}" in install

    env = clean_environment()
    job_python = tmp_path / "job-python"  # the agent's UsePythonVersion: a Python with pip, first on PATH
    made = subprocess.run([sys.executable, "-m", "venv", str(job_python)], capture_output=True, text=True, timeout=300, env=env)
    assert made.returncode == 0, made.stderr
    env["PATH"] = os.pathsep.join([str(job_python / "bin"), env["PATH"]])
    ran = subprocess.run(
        ["bash", "-c", install], cwd=user, capture_output=True, text=True, timeout=1800, env=env, stdin=subprocess.DEVNULL
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"mdpool {__version__}" in ran.stdout
    assert shutil.which("mdpool", path=env["PATH"]) == str(job_python / "bin" / "mdpool")

    def mdpool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["mdpool", *args], cwd=user, capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL
        )

    for args in (("validate",), ("images", "lint"), ("pipeline", "render", "--check"), ("-q", "synth")):
        result = mdpool(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert sorted(p.name for p in (user / "cdktf.out" / "stacks").iterdir()) == ["gallery-dev", "pool-dev"]
