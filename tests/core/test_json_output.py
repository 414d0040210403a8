"""The one `--json` contract (mdpool.json_output): every command with --json prints one document,
on success and on failure however early, and the committed JSON Schema accepts each of them.

The commands that need Azure, Azure DevOps or terraform have their documents checked in their own
tests against the same schema (tests/support/json_contract.py): doctor in tests/doctor/test_cli.py,
plan and deploy in tests/deploy/test_cli.py, images build in tests/imagebuild/test_cli.py.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from mdpool.cli_support import JsonOption
from mdpool.json_output import document_schema
from mdpool.problems import Problem
from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool
from tests.support.json_contract import SCHEMA_FILE, json_document

JSON_COMMANDS = {
    "validate",
    "synth",
    "images lint",
    "images build",
    "images exclude",
    "doctor",
    "plan",
    "deploy",
    "review",
    "pipeline render",
    "rollout",
    "verify",
}


def _commands_with_json() -> set[str]:
    import typer.main

    from mdpool.cli import app

    def walk(group, prefix=()):
        for name, command in getattr(group, "commands", {}).items():
            yield from walk(command, prefix + (name,))
        if not getattr(group, "commands", None):
            yield " ".join(prefix), group

    return {path for path, command in walk(typer.main.get_command(app)) if any("--json" in p.opts for p in command.params)}


def test_these_commands_take_json():
    # a new command with --json joins the list, and so the failure documents below
    assert _commands_with_json() == JSON_COMMANDS


def test_the_committed_schema_is_the_contracts():
    assert json.loads(SCHEMA_FILE.read_text()) == document_schema()
    jsonschema.Draft202012Validator.check_schema(document_schema())


def _matches_stderr(document, stderr: str) -> None:
    """The problems are the lines printed on stderr, in order (a usage error adds click's hints)."""
    lines = [line for line in stderr.splitlines() if not line.startswith(("Usage:", "Try ", "Error: "))]
    assert [p["text"] for p in document["problems"] if p["severity"] == "error"] == [
        line for line in lines if ": warning: " not in line
    ][: len([p for p in document["problems"] if p["severity"] == "error"])]


# --- failure documents, every command -------------------------------------------------------------

REQUIRED = {"review": ["--base", "cdktf.out"], "rollout": ["ubuntu-22.04"], "images exclude": ["ubuntu-22.04", "0.1.1"]}


@pytest.mark.parametrize("command", sorted(JSON_COMMANDS))
def test_a_missing_config_is_a_failure_document(command, tmp_path):
    missing = tmp_path / "nope.yaml"
    extra = ["--out", str(tmp_path / "out")] if command in ("plan", "deploy", "synth") else []
    if command == "deploy":
        extra.append("--auto-approve")
    result = run_mdpool(*command.split(), *REQUIRED.get(command, []), *extra, "--config", str(missing), "--json")
    assert result.returncode == 1, result.stderr
    document = json_document(result.stdout, command=command)
    assert document["ok"] is False and document["exit_code"] == 1 and document["report"] is None
    _matches_stderr(document, result.stderr)
    # plan and deploy check terraform first, review its --base (here not a synth output)
    if command != "review" and "terraform executable not found" not in result.stderr:
        assert document["problems"] == [
            {
                "file": str(missing),
                "line": None,
                "path": None,
                "message": "file not found",
                "severity": "error",
                "text": f"{missing}: file not found",
            }
        ]


@pytest.mark.parametrize("command", sorted(JSON_COMMANDS))
def test_a_usage_error_is_a_failure_document(command):
    result = run_mdpool(*command.split(), "--json", "--no-such-flag")
    assert result.returncode == 2
    document = json_document(result.stdout, command=command)
    assert document["problems"] == [
        {
            "file": None,
            "line": None,
            "path": None,
            "message": "No such option: --no-such-flag",
            "severity": "error",
            "text": "No such option: --no-such-flag",
        }
    ]


def test_json_on_a_command_without_it_is_a_usage_error_document():
    # a script that passes --json gets a document, not a wall of help
    document = json_document(run_mdpool("images", "render", "ubuntu-22.04", "--json").stdout, command="images render")
    assert document["exit_code"] == 2 and document["report"] is None


def test_json_failure_for_yaml_that_does_not_parse(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: dev\ngallery: [\n")
    result = run_mdpool("validate", "--config", str(bad), "--json")
    document = json_document(result.stdout, command="validate")
    _matches_stderr(document, result.stderr)
    (problem,) = document["problems"]
    assert problem["file"] == str(bad) and problem["line"] == 3 and "not valid YAML" in problem["message"]


def test_json_failure_for_a_wrong_setting(tmp_path):
    text = EXAMPLE_CONFIG.read_text().replace("../images/", str(REPO / "images") + "/")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("location: westeurope", "locaton: westeurope"))
    result = run_mdpool("validate", "--json", "-c", str(bad))
    document = json_document(result.stdout, command="validate")
    _matches_stderr(document, result.stderr)
    unknown = [p for p in document["problems"] if p["path"] == "locaton"]
    line = bad.read_text().splitlines().index("locaton: westeurope") + 1
    assert len(unknown) == 1 and unknown[0]["line"] == line and "did you mean 'location'" in unknown[0]["message"]


# --- success documents, the commands that need no cloud -------------------------------------------


def test_validate_json_on_success():
    result = run_mdpool("validate", "--json")
    assert result.returncode == 0, result.stderr
    assert json_document(result.stdout) == {
        "ok": True,
        "exit_code": 0,
        "command": "validate",
        "problems": [],
        "report": {"config": "config/example.yaml", "environment": "dev", "gallery_images": 2, "pool": "mdp-jhp-dev-weu"},
    }


def test_validate_json_carries_the_warnings():
    # the provider's complete acceptance pool puts drive letter F on Ubuntu images: a warning, not an error
    config = REPO / "tests" / "core" / "configs" / "provider" / "complete.yaml"
    result = run_mdpool("validate", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    document = json_document(result.stdout, command="validate")
    assert document["ok"] is True
    assert [(w["path"], w["severity"]) for w in document["problems"]] == [("pool.data_disk.drive_letter", "warning")]
    assert [w["text"] for w in document["problems"]] == result.stderr.splitlines()


def test_synth_json(tmp_path):
    result = run_mdpool("synth", "--out", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    report = json_document(result.stdout, command="synth")["report"]
    assert [(s["name"], s["resources"]) for s in report["stacks"]] == [("gallery-dev", 8), ("pool-dev", 4)]
    assert report["out"] == str(tmp_path / "out") and (tmp_path / "out" / "manifest.json").is_file()
    # refused: an --out that is not mdpool's
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    refused = run_mdpool("synth", "--out", str(tmp_path / "mine"), "--json")
    document = json_document(refused.stdout, command="synth")
    assert refused.returncode == 1 and document["report"] is None
    _matches_stderr(document, refused.stderr)


def test_images_lint_json(tmp_path):
    ok = run_mdpool("images", "lint", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json_document(ok.stdout)["report"] == {"images": 2, "errors": 0, "warnings": 0, "findings": []}
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
    document = json_document(bad.stdout, command="images lint")
    assert document["ok"] is False and document["report"]["errors"] >= 1
    errors = [p for p in document["problems"] if p["severity"] == "error"]
    assert len(errors) == document["report"]["errors"]
    assert all(p["file"] == str(definition) and p["line"] and p["path"] and p["message"] for p in errors)
    findings = [f for f in document["report"]["findings"] if f["severity"] == "error"]
    assert [p["message"].split(":")[0] for p in errors] == [f["rule"] for f in findings]  # the rule leads the message


def test_pipeline_render_json(tmp_path):
    result = run_mdpool("pipeline", "render", "--out", str(tmp_path / "p"), "--json")
    assert result.returncode == 0, result.stderr
    report = json_document(result.stdout, command="pipeline render")["report"]
    assert report["files"] == [str(tmp_path / "p" / name) for name in ("pull-request.yml", "deploy.yml", "refresh-images.yml")]
    (tmp_path / "p" / "deploy.yml").write_text("# mine\n")
    stale = run_mdpool("pipeline", "render", "--out", str(tmp_path / "p"), "--check", "--json")
    document = json_document(stale.stdout, command="pipeline render")
    assert stale.returncode == 1 and document["report"]["check"] is True  # the failure keeps what it knew
    _matches_stderr(document, stale.stderr)


def test_review_json(tmp_path):
    base = tmp_path / "base"
    assert run_mdpool("-q", "synth", "--out", str(base)).returncode == 0
    result = run_mdpool("review", "--base", str(base), "--json")
    assert result.returncode == 0, result.stderr
    report = json_document(result.stdout, command="review")["report"]
    assert report["has_changes"] is False and report["markdown"].startswith("# mdpool review")
    assert [s["name"] for s in report["stacks"]] == ["gallery-dev", "pool-dev"]
    missing = run_mdpool("review", "--base", str(tmp_path / "nothing"), "--json")
    assert missing.returncode == 1
    _matches_stderr(json_document(missing.stdout, command="review"), missing.stderr)


# --- the document builder ---------------------------------------------------------------------------


def test_a_problem_keeps_its_place_and_a_plain_line_has_none():
    from mdpool.json_output import problem_json

    warning = Problem("a.yaml", 3, "pool.sku", "odd; allowed: x", "warning")
    assert problem_json(warning) == {
        "file": "a.yaml",
        "line": 3,
        "path": "pool.sku",
        "message": "odd; allowed: x",
        "severity": "warning",
        "text": "a.yaml:3: pool.sku: warning: odd; allowed: x",
    }
    assert problem_json("plain line") == {
        "file": None,
        "line": None,
        "path": None,
        "message": "plain line",
        "severity": "error",
        "text": "plain line",
    }


@pytest.mark.parametrize(
    "broken",
    [
        {"ok": True, "exit_code": 1},  # ok says the opposite of the exit code
        {"ok": False, "exit_code": 0},
        {"problems": [{"file": None, "line": None, "path": None, "message": "x", "severity": "error", "text": "x"}]},
        {"report": []},
        {"command": None},
        {"problems": [{"message": "x"}]},
        {"extra": 1},
    ],
)
def test_the_schema_refuses_a_document_that_breaks_the_contract(broken):
    from mdpool.json_output import document

    good = document("validate", 0, [], {"x": 1})
    jsonschema.validate(good, document_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, **broken}, document_schema())


# --- run(): failures no command catches ---------------------------------------------------------------


def _run_app(command_body, capsys) -> tuple[int, dict]:
    import typer

    from mdpool.cli_support import reset_output, run

    app = typer.Typer()

    @app.command()
    def act(json_summary: JsonOption = False) -> None:
        command_body()

    reset_output()
    try:
        with pytest.raises(SystemExit) as stopped:
            run(app, ["--json"])
    finally:
        reset_output()
    return stopped.value.code, json_document(capsys.readouterr().out)


def test_end_of_input_with_json_is_a_failure_document_and_exit_1(capsys):
    # click turns end of input (EOFError, e.g. at a prompt) into Abort, which click's own main exits 1
    # on ("Aborted!"); with --json mdpool's run() ends it the same way, with the failure document
    def reads_stdin():
        raise EOFError  # what input() raises when standard input is at its end

    code, document = _run_app(reads_stdin, capsys)
    assert (code, document["exit_code"], [p["text"] for p in document["problems"]]) == (1, 1, ["aborted"])


def test_ctrl_c_that_no_command_catches_with_json_is_a_document_and_exit_130(capsys):
    # click turns KeyboardInterrupt into Abort; with --json, run() ends it as the commands that catch
    # Ctrl-C themselves do (exit 130), with the failure document on stdout
    def waits():
        raise KeyboardInterrupt  # what Python raises on SIGINT

    code, document = _run_app(waits, capsys)
    assert (code, document["exit_code"], [p["text"] for p in document["problems"]]) == (130, 130, ["interrupted"])
