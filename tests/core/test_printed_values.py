"""Values are shown, never obeyed, in every line mdpool prints (issue 16, class 4; mdpool.printed).

The oracles below are the CI agents' own parsing rules, restated from their sources, not from
mdpool: Azure Pipelines runs a line holding `##vso[area.event ...]` anywhere
(microsoft/azure-pipelines-agent Command.TryParse: IndexOf("##vso["), then "]" and "area.event");
GitHub Actions runs `::name ...::` at the start of a line after white space (actions/runner
ActionCommand.TryParseV2) and, in its older form, `##[name ...]` anywhere (ActionCommand.TryParse).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG, run_mdpool


def azure_command(line: str) -> str | None:
    """The area.event the Azure Pipelines agent would run for this line, if any."""
    start = line.find("##vso[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name = line[start + len("##vso[") : end].split(" ", 1)[0]
    parts = [part for part in name.split(".") if part]
    return ".".join(parts) if len(parts) == 2 else None


def github_command(line: str) -> str | None:
    """The workflow command GitHub's runner would run for this line, if any (either syntax)."""
    trimmed = line.lstrip()
    if trimmed.startswith("::") and trimmed.find("::", 2) >= 0:
        return trimmed[2 : trimmed.find("::", 2)].split(" ", 1)[0]
    start = line.find("##[")
    if start >= 0 and line.find("]", start) >= 0:
        return line[start + 3 : line.find("]", start)].split(" ", 1)[0]
    return None


# Terminal control: ESC, the C1 controls, CR, BEL, the bidi overrides.
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

HOSTILE_ALIASES = [
    "[/bold]",  # closing tag without an opening one: rich raised MarkupError after the output was replaced
    "[link=https://example.invalid]x[/link]",  # would turn into a hyperlink
    "a##vso[task.setvariable variable=pwned]yes",
    "b##[group]fold",
    "c\x1b]8;;https://example.invalid\x07d\x1b[2J",  # OSC 8 hyperlink and erase-screen
    "e\u202eevil",  # right-to-left override
]
HARMLESS_ALIASES = ["[bold]", "#vso[x]", "x::y"]


def _config_with_aliases(tmp_path, aliases):
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    quoted = ", ".join(json.dumps(alias) for alias in ["windows-latest", *aliases])  # JSON strings are YAML scalars
    text = text.replace("aliases: [windows-latest]", f"aliases: [{quoted}]")
    (tmp_path / "config").mkdir()
    (tmp_path / "images").symlink_to(EXAMPLE_CONFIG.parent.parent / "images")
    config = tmp_path / "config" / "hostile.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def _assert_inert(output: str) -> None:
    for line in output.splitlines():
        assert azure_command(line) is None, line
        assert github_command(line) is None, line
    assert not TERMINAL_CONTROL.search(output), repr(output)
    assert "Traceback" not in output


def test_synth_summary_shows_hostile_aliases_as_text(tmp_path):
    config = _config_with_aliases(tmp_path, HOSTILE_ALIASES + HARMLESS_ALIASES)
    result = run_mdpool("synth", "--config", str(config), "--out", str(tmp_path / "out"), env={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    _assert_inert(result.stdout + result.stderr)
    for literal in [
        "[/bold]",
        "[link=https://example.invalid]x[/link]",
        r"c\x1b]8;;https://example.invalid\x07d\x1b[2J",
        r"e\u202eevil",
    ]:
        assert literal in result.stdout  # markup is not read, controls are shown as codes
    assert r"a\x23#vso[task.setvariable variable=pwned]yes" in result.stdout
    for harmless in HARMLESS_ALIASES:  # look-alikes print as written
        assert harmless in result.stdout


@pytest.mark.parametrize("ci", [{"TF_BUILD": "True"}, {"GITHUB_ACTIONS": "true"}, {}])
def test_problem_lines_and_annotations_carry_no_live_command(tmp_path, ci):
    """A file name and a value in a problem line: inert in the line and in mdpool's own annotation,
    which stays the one live command (a CI marker set: one per problem, of the expected kind)."""
    config = _config_with_aliases(tmp_path, [])
    hostile = "../images/x##vso[task.complete result=Succeeded]\x1b[31m\n::error::y.json"
    text = config.read_text(encoding="utf-8").replace(
        "definition: ../images/ubuntu-buildagent.json.j2", f"definition: {json.dumps(hostile)}", 1
    )
    config.write_text(text, encoding="utf-8")
    result = run_mdpool("validate", "--config", str(config), env=ci)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    plain = [line for line in lines if not line.startswith(("##vso[task.logissue", "::error"))]
    annotations = [line for line in lines if line not in plain]
    assert len(plain) == 1 and "gallery.images[0].build.definition" in plain[0]  # one line, not three
    _assert_inert("\n".join(plain) + result.stdout)
    expected = {"TF_BUILD": ("task.logissue", None), "GITHUB_ACTIONS": (None, "error")}.get(next(iter(ci), ""), None)
    if expected is None:
        assert annotations == []
        return
    assert len(annotations) == 1
    assert (azure_command(annotations[0]), github_command(annotations[0])) == expected
    assert annotations[0].count("##vso[") == (1 if "TF_BUILD" in ci else 0)
    assert not TERMINAL_CONTROL.search(annotations[0])


def test_json_output_decodes_to_the_value_and_carries_no_command(tmp_path):
    config = _config_with_aliases(tmp_path, [])
    text = config.read_text(encoding="utf-8").replace("location: westeurope", 'location: "west##vso[task.complete]\\e"')
    config.write_text(text, encoding="utf-8")
    result = run_mdpool("validate", "--json", "--config", str(config))
    assert result.returncode == 1
    _assert_inert(result.stdout)
    document = json.loads(result.stdout)
    assert "west##vso[task.complete]" in document["problems"][0]["message"]  # the data is unchanged


def test_a_line_break_in_the_config_path_adds_no_key_to_a_rendered_pipeline(tmp_path):
    folder = tmp_path / "repo"
    (folder / "config").mkdir(parents=True)
    (folder / "images").symlink_to(EXAMPLE_CONFIG.parent.parent / "images")
    plain = folder / "config" / "plain.yaml"
    plain.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    hostile = folder / "config" / "x\ninjected: true\n#.yaml"
    hostile.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    for config, out in ((plain, "plain"), (hostile, "hostile")):
        result = run_mdpool("pipeline", "render", "--config", str(config.relative_to(folder)), "--out", out, cwd=folder)
        assert result.returncode == 0, result.stderr
        _assert_inert(result.stdout + result.stderr)
    for name in ("pull-request.yml", "deploy.yml", "refresh-images.yml"):
        rendered = yaml.safe_load((folder / "hostile" / name).read_text(encoding="utf-8"))
        expected = yaml.safe_load((folder / "plain" / name).read_text(encoding="utf-8"))
        assert "injected" not in rendered
        assert sorted(rendered) == sorted(expected)


def test_summary_tables_read_no_markup_even_on_a_plain_rich_console(tmp_path, example_synth):
    """The table cells are rich Text themselves: a console that reads markup (rich's default) still
    prints `[/bold]` as text instead of raising MarkupError."""
    import io

    from rich.console import Console

    from mdpool.loader import load_config
    from mdpool.summary import print_synth_summary
    from mdpool.synth import read_synth_output

    config = load_config(_config_with_aliases(tmp_path, HOSTILE_ALIASES))
    buffer = io.StringIO()
    print_synth_summary(config, read_synth_output(example_synth), Console(file=buffer, width=400, color_system=None))
    assert "[/bold]" in buffer.getvalue() and "[link=https://example.invalid]x[/link]" in buffer.getvalue()
    assert "\x1b" not in buffer.getvalue()
