"""What every command shares: --version, shell completion, MDPOOL_CONFIG, --json (failures included,
however early), -q and -v. Run as a user runs them, in a separate process."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from mdpool.cli_support import JsonOption
from mdpool.problems import Problem
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
    assert words.stdout.split() == ["render", "lint", "build"]
    script = run_mdpool("--show-completion", "bash")
    assert script.returncode == 0 and "_mdpool_completion" in script.stdout


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
            assert str(param.default) == "config/example.yaml", path


@pytest.mark.parametrize(
    "command", [["validate"], ["synth", "--out", "OUT"], ["images", "lint"], ["pipeline", "render", "--check"]]
)
def test_mdpool_config_is_the_default_config(command, tmp_path):
    missing = tmp_path / "from-env.yaml"
    args = [str(tmp_path / "out") if part == "OUT" else part for part in command]
    result = run_mdpool(*args, env={"MDPOOL_CONFIG": str(missing)})
    assert result.returncode == 1
    assert f"{missing}: file not found" in result.stderr.splitlines()


def test_an_explicit_config_wins_over_mdpool_config(tmp_path):
    result = run_mdpool("validate", "--config", str(EXAMPLE_CONFIG), env={"MDPOOL_CONFIG": str(tmp_path / "x.yaml")})
    assert result.returncode == 0, result.stderr


# --- --json ---------------------------------------------------------------------------------------


def test_validate_json_on_success():
    result = run_mdpool("validate", "--json")
    assert result.returncode == 0, result.stderr
    assert one_json_document(result) == {
        "ok": True,
        "config": "config/example.yaml",
        "environment": "dev",
        "gallery_images": 2,
        "pool": "mdp-jhp-dev-weu",
        "problems": [],
        "warnings": [],
    }


def _assert_failure_document(result, code):
    assert result.returncode == code
    document = one_json_document(result)
    assert document["ok"] is False and document["exit_code"] == code
    assert [p["text"] for p in document["problems"]] == [
        line for line in result.stderr.splitlines() if not line.startswith(("Usage:", "Try "))
    ][: len(document["problems"])]
    return document


def test_json_failure_for_a_missing_config(tmp_path):
    result = run_mdpool("validate", "--json", "--config", str(tmp_path / "nope.yaml"))
    document = _assert_failure_document(result, 1)
    assert document["problems"] == [
        {
            "file": str(tmp_path / "nope.yaml"),
            "line": None,
            "path": "",
            "message": "file not found",
            "severity": "error",
            "text": f"{tmp_path / 'nope.yaml'}: file not found",
        }
    ]


def test_json_failure_for_yaml_that_does_not_parse(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: dev\ngallery: [\n")
    document = _assert_failure_document(run_mdpool("validate", "--config", str(bad), "--json"), 1)
    (problem,) = document["problems"]
    assert problem["file"] == str(bad) and problem["line"] == 3 and "not valid YAML" in problem["message"]


def test_json_failure_for_a_wrong_setting(tmp_path):
    text = EXAMPLE_CONFIG.read_text().replace("../images/", str(REPO / "images") + "/")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("location: westeurope", "locaton: westeurope"))
    document = _assert_failure_document(run_mdpool("validate", "--json", "-c", str(bad)), 1)
    unknown = [p for p in document["problems"] if p["path"] == "locaton"]
    line = bad.read_text().splitlines().index("locaton: westeurope") + 1
    assert len(unknown) == 1 and unknown[0]["line"] == line and "did you mean 'location'" in unknown[0]["message"]


def test_json_failure_for_a_usage_error():
    result = run_mdpool("validate", "--json", "--no-such-flag")
    assert result.returncode == 2
    assert one_json_document(result) == {"ok": False, "exit_code": 2, "problems": [{"text": "No such option: --no-such-flag"}]}
    # on a command without --json too: a script that passes it gets a document, not a wall of help
    assert one_json_document(run_mdpool("synth", "--json"))["exit_code"] == 2


def test_images_lint_json(tmp_path):
    ok = run_mdpool("images", "lint", "--json")
    assert ok.returncode == 0, ok.stderr
    assert one_json_document(ok) == {"ok": True, "images": 2, "errors": 0, "warnings": 0, "findings": []}
    # a script whose `if` is never closed: bash -n refuses it
    definition = tmp_path / "agent.json.j2"
    definition.write_text(
        (REPO / "images" / "ubuntu-buildagent.json.j2")
        .read_text()
        .replace('"sudo systemctl disable --now apt-daily.timer apt-daily-upgrade.timer",', '"if true; then echo unclosed",', 1)
    )
    config = tmp_path / "config.yaml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("../images/ubuntu-buildagent.json.j2", str(definition)))
    bad = run_mdpool("images", "lint", "--json", "--config", str(config))
    assert bad.returncode == 1
    document = one_json_document(bad)
    assert document["ok"] is False and document["errors"] >= 1
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert errors and all(f["file"] == str(definition) and f["line"] and f["text"] for f in errors)
    # an early failure of the same command (the config cannot be read) is a document too
    _assert_failure_document(run_mdpool("images", "lint", "--json", "--config", str(tmp_path / "nope.yaml")), 1)


def test_review_json(tmp_path):
    base = tmp_path / "base"
    assert run_mdpool("-q", "synth", "--out", str(base)).returncode == 0
    result = run_mdpool("review", "--base", str(base), "--json")
    assert result.returncode == 0, result.stderr
    document = one_json_document(result)
    assert document["has_changes"] is False and document["markdown"].startswith("# mdpool review")
    assert [s["name"] for s in document["stacks"]] == ["gallery-dev", "pool-dev"]
    missing = run_mdpool("review", "--base", str(tmp_path / "nothing"), "--json")
    _assert_failure_document(missing, 1)


def test_problem_fields_all_reach_the_json():
    from mdpool.cli_support import as_json

    problem = Problem("a.yaml", 3, "pool.sku", "wrong; allowed: x")
    assert set(as_json(problem)) == {field.name for field in dataclasses.fields(Problem)} | {"text"}
    assert as_json("plain line") == {"text": "plain line"}


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


def test_validate_json_carries_the_warnings():
    # the provider's complete acceptance pool puts drive letter F on Ubuntu images: a warning, not an error
    config = REPO / "tests" / "core" / "configs" / "provider" / "complete.yaml"
    result = run_mdpool("validate", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    document = one_json_document(result)
    assert document["ok"] is True and document["problems"] == []
    assert [(w["path"], w["severity"]) for w in document["warnings"]] == [("pool.data_disk.drive_letter", "warning")]


def test_end_of_input_with_json_is_a_failure_document_and_exit_1(capsys):
    # click turns end of input (EOFError, e.g. at a prompt) into Abort, which click's own main exits 1
    # on ("Aborted!"); with --json mdpool's run() ends it the same way, with the failure document
    import typer

    from mdpool.cli_support import reset_output, run

    reads_stdin = typer.Typer()

    @reads_stdin.command()
    def ask(json_summary: JsonOption = False) -> None:
        raise EOFError  # what input() raises when standard input is at its end

    reset_output()
    try:
        with pytest.raises(SystemExit) as stopped:
            run(reads_stdin, ["--json"])
    finally:
        reset_output()
    assert stopped.value.code == 1
    assert json.loads(capsys.readouterr().out) == {"ok": False, "exit_code": 1, "problems": [{"text": "aborted"}]}


def test_ctrl_c_that_no_command_catches_with_json_is_a_document_and_exit_130(capsys):
    # click turns KeyboardInterrupt into Abort; with --json, run() ends it as the commands that catch
    # Ctrl-C themselves do (exit 130), with the failure document on stdout
    import typer

    from mdpool.cli_support import reset_output, run

    slow = typer.Typer()

    @slow.command()
    def wait(json_summary: JsonOption = False) -> None:
        raise KeyboardInterrupt  # what Python raises on SIGINT

    reset_output()
    try:
        with pytest.raises(SystemExit) as stopped:
            run(slow, ["--json"])
    finally:
        reset_output()
    assert stopped.value.code == 130
    assert json.loads(capsys.readouterr().out) == {"ok": False, "exit_code": 130, "problems": [{"text": "interrupted"}]}
