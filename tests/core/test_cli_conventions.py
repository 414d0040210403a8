"""What every command shares: --version, shell completion, MDPOOL_CONFIG, -q and -v. Run as a user
runs them, in a separate process. (--json: tests/core/test_json_output.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from mdpool.config_file import SEARCH_ORDER
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool


def one_json_document(result: subprocess.CompletedProcess[str]) -> dict:
    """stdout holds exactly one JSON document (json.loads refuses anything after it)."""
    return json.loads(result.stdout)


# --- --version ------------------------------------------------------------------------------------


def test_version_names_mdpool_the_bindings_and_terraform():
    result = run_mdpool("--version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    from mdpool import __version__

    assert lines[0] == f"mdpool {__version__}"
    assert f"python {'.'.join(map(str, sys.version_info[:3]))} (CPython)" in lines
    assert f"cdktn {metadata.version('cdktn')}" in lines
    # expected provider versions: what each binding's own package description says it was built from
    for package, provider in (("cdktn-provider-azurerm", "hashicorp/azurerm"), ("cdktn-provider-azapi", "Azure/azapi")):
        built_from = re.search(rf"{provider} provider version (\S+)", metadata.metadata(package).get_payload())[1]
        assert f"{package} {metadata.version(package)} ({provider} {built_from})" in lines
    terraform = shutil.which("terraform")
    if terraform:
        told = json.loads(subprocess.run([terraform, "version", "-json"], capture_output=True, text=True).stdout)
        assert f"terraform {told['terraform_version']} ({terraform})" in lines


def test_version_says_when_terraform_is_missing(tmp_path):
    result = run_mdpool("--version", env={"MDPOOL_TERRAFORM": str(tmp_path / "no-terraform")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{tmp_path / 'no-terraform'} not found on PATH (plan and deploy need it)"


@pytest.mark.parametrize("answers_after", [0.5, 30])
def test_version_waits_on_terraform_for_at_most_a_second(tmp_path, answers_after):
    """A terraform wrapper that hangs (here: a child that sleeps) costs --version a second, not more."""
    import time

    slow = tmp_path / "terraform"
    slow.write_text(f'#!/bin/sh\nsleep {answers_after}\necho \'{{"terraform_version": "1.9.8"}}\'\n')
    slow.chmod(0o755)
    started = time.monotonic()
    result = run_mdpool("--version", env={"MDPOOL_TERRAFORM": str(slow)})
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    if answers_after < 1:  # within the second: its answer is shown
        assert result.stdout.splitlines()[-1] == f"terraform 1.9.8 ({slow})"
    else:
        assert result.stdout.splitlines()[-1] == f"terraform: unknown (timed out after 1 s; {slow})"
        assert took < 10  # not the 30 s the wrapper's child sleeps (its pipe is not waited on)


def test_version_loads_no_provider_bindings():
    code = (
        "import sys\nfrom mdpool.cli import app\n"
        "try:\n    app(['--version'])\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in "
        "('cdktn', 'cdktn_provider_azurerm', 'cdktn_provider_azapi', 'jsii', 'constructs', 'azure')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


# --- completion -----------------------------------------------------------------------------------


def test_shell_completion_completes_commands_and_subcommands():
    words = run_mdpool(env={"_MDPOOL_COMPLETE": "complete_bash", "COMP_WORDS": "mdpool val", "COMP_CWORD": "1"})
    assert words.stdout.split() == ["validate"]
    words = run_mdpool(env={"_MDPOOL_COMPLETE": "complete_bash", "COMP_WORDS": "mdpool images ", "COMP_CWORD": "2"})
    assert words.stdout.split() == ["render", "lint", "build", "exclude"]
    script = run_mdpool("--show-completion", "bash")
    assert script.returncode == 0 and "_mdpool_completion" in script.stdout


def complete(words: str, **env: str) -> subprocess.CompletedProcess[str]:
    """What bash completion offers for the last word of `words` (typer's complete_bash protocol)."""
    return run_mdpool(env={"_MDPOOL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1), **env})


def _yaml_names(path, *keys) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text())
    for key in keys:
        data = data[key]
    return [entry["name"] for entry in data]


EXAMPLE_IMAGES = _yaml_names(EXAMPLE_CONFIG, "gallery", "images")
FLEET_POOLS = _yaml_names(REPO / "config" / "fleet.yaml", "pools")


@pytest.mark.parametrize("words", ["mdpool images build ", "mdpool images render ", "mdpool images lint ", "mdpool rollout "])
def test_completion_offers_the_configs_image_names(words):
    assert len(EXAMPLE_IMAGES) >= 2
    assert complete(words).stdout.split() == EXAMPLE_IMAGES
    assert complete(words + EXAMPLE_IMAGES[1][:-1]).stdout.split() == [EXAMPLE_IMAGES[1]]  # what was typed so far
    assert complete(words + "no-such-prefix").stdout.split() == []


def test_completion_does_not_offer_an_image_named_already():
    done = complete(f"mdpool images build {EXAMPLE_IMAGES[0]} ")
    assert done.stdout.split() == EXAMPLE_IMAGES[1:]


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_completion_offers_the_fleets_pool_names(command):
    fleet = REPO / "config" / "fleet.yaml"
    assert complete(f"mdpool {command} --config {fleet} --pool ").stdout.split() == FLEET_POOLS
    assert complete(f"mdpool {command} --pool ", MDPOOL_CONFIG=str(fleet)).stdout.split() == FLEET_POOLS
    picked = FLEET_POOLS[0]
    assert complete(f"mdpool {command} --config {fleet} --pool {picked} --pool ").stdout.split() == FLEET_POOLS[1:]
    assert complete(f"mdpool {command} --pool ").stdout.split() == []  # the example has one `pool:`, no names


@pytest.mark.parametrize("content", [None, "gallery: [\n", "gallery: {images: 7}\n", "- just\n- a list\n", "a: &a [*a]\n"])
def test_completion_of_a_missing_or_broken_config_offers_nothing(tmp_path, content):
    config = tmp_path / "mdpool.yaml"
    if content is not None:
        config.write_text(content)
    for words in (f"mdpool images build --config {config} ", f"mdpool deploy --config {config} --pool "):
        done = complete(words)
        assert (done.returncode, done.stdout.split(), done.stderr) == (0, [], "")


# --- MDPOOL_CONFIG --------------------------------------------------------------------------------


def test_every_config_option_reads_mdpool_config():
    import typer.main

    from mdpool.cli import app

    def commands(group, prefix=()):
        for name, command in getattr(group, "commands", {}).items():
            yield from commands(command, prefix + (name,))
        if not getattr(group, "commands", None):
            yield prefix, group

    with_config = {
        " ".join(path): [p for p in command.params if p.name == "config"]
        for path, command in commands(typer.main.get_command(app))
    }
    assert {"validate", "synth", "images lint", "plan", "deploy", "review", "pipeline render"} <= {
        path for path, params in with_config.items() if params
    }
    for path, params in with_config.items():
        for param in params:
            assert param.envvar == "MDPOOL_CONFIG", path
            assert param.show_default == SEARCH_ORDER, path  # no --config: discovered where mdpool runs


@pytest.mark.parametrize(
    "command", [["validate"], ["synth", "--out", "OUT"], ["images", "lint"], ["pipeline", "render", "--check"]]
)
def test_mdpool_config_is_the_default_config(command, tmp_path):
    missing = tmp_path / "from-env.yaml"
    args = [str(tmp_path / "out") if part == "OUT" else part for part in command]
    result = run_mdpool(*args, env={"MDPOOL_CONFIG": str(missing)})
    assert result.returncode == 1
    assert f"{missing}: file not found" in result.stderr.splitlines()


def _user_repository(folder, *configs: str):
    """A folder holding the example as each of `configs` (relative paths), its images beside it."""
    import shutil

    shutil.copytree(REPO / "images", folder / "images")
    for config in configs:
        (folder / config).parent.mkdir(parents=True, exist_ok=True)
        text = EXAMPLE_CONFIG.read_text().replace("../images/", str(folder / "images") + "/")
        (folder / config).write_text(text.replace("environment: dev", f"environment: {config.split('/')[0][:3]}"))


def test_without_config_mdpool_yaml_in_the_folder_comes_first(tmp_path):
    _user_repository(tmp_path, "mdpool.yaml", "config/example.yaml")
    result = run_mdpool("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mdpool.yaml: valid (environment mdp,")


def test_without_config_or_mdpool_yaml_the_clone_example_is_read(tmp_path):
    _user_repository(tmp_path, "config/example.yaml")
    result = run_mdpool("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("config/example.yaml: valid (environment con,")


def test_mdpool_config_wins_over_the_files_in_the_folder(tmp_path):
    _user_repository(tmp_path, "mdpool.yaml", "elsewhere/prod.yaml")
    result = run_mdpool("validate", cwd=tmp_path, env={"MDPOOL_CONFIG": "elsewhere/prod.yaml"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("elsewhere/prod.yaml: valid (environment els,")


@pytest.mark.parametrize("command", [["validate"], ["synth"], ["images", "lint"], ["pipeline", "render"], ["doctor"]])
def test_no_config_anywhere_names_the_three_places_and_init(command, tmp_path):
    result = run_mdpool(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "no configuration file: $MDPOOL_CONFIG is not set, and there is neither ./mdpool.yaml nor "
        "./config/example.yaml; start one with `mdpool init`, or pass --config FILE"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_an_explicit_config_wins_over_mdpool_config(tmp_path):
    result = run_mdpool("validate", "--config", str(EXAMPLE_CONFIG), env={"MDPOOL_CONFIG": str(tmp_path / "x.yaml")})
    assert result.returncode == 0, result.stderr


# --- -q / -v --------------------------------------------------------------------------------------


def test_quiet_prints_problems_only(tmp_path):
    assert run_mdpool("-q", "validate").stdout == ""
    failed = run_mdpool("-q", "validate", "--config", str(tmp_path / "nope.yaml"))
    assert failed.returncode == 1 and failed.stderr.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_verbose_says_what_it_reads_on_stderr():
    result = run_mdpool("-v", "validate")
    assert result.returncode == 0
    assert result.stdout.startswith("config/example.yaml: valid")
    assert "reading config/example.yaml" in result.stderr.splitlines()


def test_quiet_and_verbose_together_is_a_usage_error():
    assert run_mdpool("-q", "-v", "validate").returncode == 2
