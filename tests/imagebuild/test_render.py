"""jinja2 definitions: strict variables, problems at the template's line, the shipped template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mdpool.loader import load_config
from mdpool.imagebuild import check_image_definitions, image_specs, load_definition
from mdpool.imagebuild.render import render_definition
from mdpool.problems import InputError
from tests.imagebuild.conftest import REPO, make_spec

TEMPLATE = """{
  "TargetRegion": [{"Name": "{{ Location }}"}],
  "Customizers": [
    {"ShellCustomizer": true, "Name": "Hello", "Inline": ["echo '{{ BaseName }}' '{{ ImageName }}'"]}
  ]
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_variables_from_the_config_and_the_matrix_columns(tmp_path):
    spec = make_spec(write(tmp_path, "img.json.j2", TEMPLATE), variables={"BaseName": "jhp-ubuntu-buildagent"})
    definition = load_definition(spec)
    assert definition.customizers[0].inline == ("echo 'jhp-ubuntu-buildagent' 'ubuntu-22.04'",)
    assert definition.target_regions[0].name == "westeurope"


def test_an_undefined_variable_is_a_problem_at_its_line(tmp_path):
    spec = make_spec(write(tmp_path, "img.json.j2", TEMPLATE))  # no BaseName
    with pytest.raises(InputError) as error:
        load_definition(spec)
    (problem,) = error.value.problems
    assert problem.line == 4 and problem.file.endswith("img.json.j2")
    assert "'BaseName' is undefined; define it under build.variables in the config" in problem.message


def test_template_syntax_errors_name_their_line(tmp_path):
    path = write(tmp_path, "bad.json.j2", '{\n  "TargetRegion": [],\n  {% if %}\n}\n')
    with pytest.raises(InputError) as error:
        render_definition(path, {})
    (problem,) = error.value.problems
    assert problem.line == 3 and "template syntax error" in problem.message


def test_includes_are_found_beside_the_template(tmp_path):
    write(tmp_path, "steps.j2", '{"ShellCustomizer": true, "Name": "Shared", "Inline": ["echo {{ BaseName }}"]}')
    path = write(
        tmp_path, "img.json.j2", '{"TargetRegion": [{"Name": "westeurope"}],\n "Customizers": [{% include "steps.j2" %}]}\n'
    )
    definition = load_definition(make_spec(path, variables={"BaseName": "b"}))
    assert definition.customizers[0].name == "Shared"
    missing = write(tmp_path, "missing.json.j2", '{\n{% include "nope.j2" %}\n}\n')
    with pytest.raises(InputError) as error:
        render_definition(missing, {})
    assert "included template 'nope.j2' not found" in error.value.problems[0].message


def test_line_numbers_after_rendering_are_marked_when_rendering_moved_lines(tmp_path):
    text = (
        '{"TargetRegion": [{"Name": "westeurope"}],\n "Customizers": [\n'
        '{% for n in ["a", "b"] %}\n{"ShellCustomizer": true, "Name": "{{ n }}", "Inline": ["x"], "Bad": 1}'
        "{% if not loop.last %},{% endif %}\n{% endfor %}\n]}\n"
    )
    with pytest.raises(InputError) as error:
        load_definition(make_spec(write(tmp_path, "loop.json.j2", text)))
    assert all(p.file.endswith("loop.json.j2 (rendered)") for p in error.value.problems)
    assert len(error.value.problems) == 2


def test_a_missing_file_is_one_problem(tmp_path):
    with pytest.raises(InputError) as error:
        load_definition(make_spec(tmp_path / "nope.json"))
    assert "image definition file not found" in error.value.problems[0].message


def test_the_shipped_template_renders_for_both_images_of_the_example():
    cfg = load_config(REPO / "config" / "example.yaml")
    assert check_image_definitions(cfg) == []
    specs = image_specs(cfg)
    assert [s.name for s in specs] == ["ubuntu-22.04", "ubuntu-24.04"]
    names = [step.name for step in load_definition(specs[0]).customizers]
    for expected in (
        "WaitForCloudInit",
        "UpdateAndUpgradeUbuntu",
        "InstallBuildEssentials",
        "InstallGit",
        "InstallPwsh",
        "InstallAzPowerShellModule",
        "InstallAzureCli",
        "InstallDocker",
        "CleanUp",
    ):
        assert expected in names
    assert names[0] == "WaitForCloudInit"  # before any apt call
    assert "jhp-ubuntu-buildagent" in load_definition(specs[1]).customizers[0].inline[0]


def test_check_image_definitions_reports_a_broken_definition(tmp_path):
    import yaml

    data = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "ubuntu-buildagent.json.j2").write_text(TEMPLATE.replace('"Inline"', '"Inlien"'))
    data["gallery"]["images"][0]["build"]["definition"] = "images/ubuntu-buildagent.json.j2"
    (tmp_path / "images" / "windows.json").write_text(
        '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [{"PowerShellCustomizer": true, "Inline": ["x"]}]}'
    )
    data["gallery"]["images"][1]["build"]["definition"] = "images/windows.json"
    config = tmp_path / "env.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    problems = check_image_definitions(load_config(config))
    text = [str(p) for p in problems]
    assert any(
        "ubuntu-buildagent.json.j2:4: Customizers[0].Inlien: unknown key 'Inlien' (did you mean 'Inline'?)" in t for t in text
    ), text
    assert any(
        "windows.json:1: Customizers[0].PowerShellCustomizer: PowerShellCustomizer runs on Windows only" in t for t in text
    ), text


def test_the_validate_hook_imports_without_the_azure_sdk():
    code = (
        "import sys, mdpool.imagebuild as m; m.check_image_definitions; "
        "print(sorted(n for n in sys.modules if n.startswith(('azure', 'rich', 'cdktn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# --- the sandbox: a definition template is data, never code ----------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].system('touch PWNED') }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ ''.format.__self__ }}",
    "{% set x = namespace() %}{{ x.__class__.__base__ }}",
    "{{ range.__self__ }}",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_reaching_python_internals_is_refused_with_one_line(tmp_path, expression):
    path = write(tmp_path, "evil.json.j2", '{\n  "TargetRegion": [],\n  "x": "' + expression + '"\n}\n')
    with pytest.raises(InputError) as error:
        render_definition(path, {})
    (problem,) = error.value.problems
    assert problem.line == 3 and problem.file.endswith("evil.json.j2")
    assert problem.message.startswith("refused: ") and "never Python internals" in problem.message
    assert "\n" not in str(problem)
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("{{ 'x' * 100000000 }}", "'*' would build a sequence of 100000000 items"),
        ("{{ [0] * 100000000 }}", "'*' would build a sequence"),
        ("{{ 9 ** 99999999 }}", "'**' would compute a number"),
        ("{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}", "exceeds 4194304 characters"),
        ("{{ range(10000000) | list }}", "Range too big"),
    ],
)
def test_templates_cannot_exhaust_memory(tmp_path, expression, expected):
    path = write(tmp_path, "big.json.j2", "{\n" + expression + "\n}\n")
    with pytest.raises(InputError) as error:
        render_definition(path, {})
    assert expected in error.value.problems[0].message


# One call that allocates gigabytes at once: before the memory bound each of these took 10 to 45 s
# and 2.4 GB (validate on the hostile-user pass). Each runs in a child process with a hard ceiling of
# its own, so a regression fails the test instead of exhausting the machine.
@pytest.mark.parametrize(
    "expression",
    [
        "{{ 'a'.ljust(400000000) }}",
        "{{ '%0400000000d' % 1 }}",  # folded while compiling
        "{{ 'a' | center(400000000) }}",
        "{{ 'a\\na' | indent(400000000) }}",
        "{{ '%400000000s' | format(1) }}",
        "{{ '{:>400000000}'.format(1) }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    ],
)
def test_one_call_cannot_allocate_gigabytes(tmp_path, expression):
    import time

    path = write(tmp_path, "huge.json.j2", "{\n" + expression + "\n}\n")
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.getrlimit(resource.RLIMIT_AS)[1]))\n"
        "from pathlib import Path\n"
        "from mdpool.imagebuild.render import render_definition\n"
        "from mdpool.problems import InputError\n"
        "try:\n"
        "    render_definition(Path(sys.argv[1]), {})\n"
        "except InputError as error:\n"
        "    print(error)\n"
    )
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("the render was not stopped")
    assert done.stdout.strip().endswith("refused: rendering needed more than 256 MiB of memory (allowed: at most that)"), (
        done.stdout + done.stderr
    )
    assert time.monotonic() - started < 10


def test_the_memory_bound_is_lifted_after_a_render(tmp_path):
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(InputError):
        render_definition(write(tmp_path, "huge.json.j2", "{{ 'a'.ljust(400000000) }}\n"), {})
    assert render_definition(write(tmp_path, "ok.json.j2", '{"a": "{{ 2 * 3 }}"}\n'), {}).text == '{"a": "6"}\n'
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_a_template_that_loops_without_end_is_stopped(tmp_path):
    import time

    path = write(
        tmp_path, "spin.json.j2", "{\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n}\n"
    )
    started = time.monotonic()
    with pytest.raises(InputError) as error:
        render_definition(path, {})
    assert time.monotonic() - started < 10
    (problem,) = error.value.problems
    assert problem.line == 2 and "rendering took longer than 3 seconds" in problem.message
    assert "out_of_time" not in repr(sys.gettrace())  # the caller's trace function is restored


def test_multiplying_within_the_bounds_still_works(tmp_path):
    path = write(tmp_path, "ok.json.j2", '{"x": "{{ "-" * 3 }}{{ 2 ** 10 }}"}\n')
    assert render_definition(path, {}).text == '{"x": "---1024"}\n'


@pytest.mark.parametrize(
    "target",
    ["../outside.j2", "/etc/hostname", "sub/../../outside.j2", "link.j2", "linkdir/x.j2", "C:/Windows/win.ini", "./steps.j2"],
)
def test_includes_cannot_read_outside_the_templates_folder(tmp_path, target):
    folder = tmp_path / "images"
    folder.mkdir()
    write(tmp_path, "outside.j2", "SECRET")
    (folder / "link.j2").symlink_to(tmp_path / "outside.j2")
    (folder / "linkdir").symlink_to(tmp_path)
    write(tmp_path, "x.j2", "SECRET")
    path = write(folder, "img.json.j2", '{\n"x": "{% include "' + target + '" %}"\n}\n')
    with pytest.raises(InputError) as error:
        render_definition(path, {})
    (problem,) = error.value.problems
    assert "not found beside img.json.j2 (templates may include only files in their own folder" in problem.message
    assert "SECRET" not in str(problem)


@pytest.mark.parametrize(
    "tag", ['{% import "macros.j2" as m %}{{ m.step("a") }}', '{% from "macros.j2" import step %}{{ step("a") }}']
)
def test_imports_from_the_templates_folder_and_below_work(tmp_path, tag):
    (tmp_path / "parts").mkdir()
    write(tmp_path, "macros.j2", '{% macro step(n) %}{% include "parts/inline.j2" %}{% endmacro %}')
    write(tmp_path / "parts", "inline.j2", '{"ShellCustomizer": true, "Name": "{{ n }}", "Inline": ["x"]}')
    path = write(tmp_path, "img.json.j2", '{"TargetRegion": [{"Name": "westeurope"}], "Customizers": [' + tag + "]}\n")
    definition = load_definition(make_spec(path))
    assert definition.customizers[0].name == "a"


def test_validate_lint_and_render_refuse_an_escape_with_exit_1_and_no_traceback(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from mdpool.cli import app

    data = yaml.safe_load((REPO / "config" / "example.yaml").read_text())
    write(tmp_path, "evil.json.j2", '{\n  "TargetRegion": [{"Name": "{{ cycler.__init__.__globals__.os }}"}]\n}\n')
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = "evil.json.j2"
    config = write(tmp_path, "env.yaml", yaml.safe_dump(data, sort_keys=False))
    for command in (["validate"], ["images", "lint"], ["images", "render", "ubuntu-22.04"]):
        result = CliRunner().invoke(app, [*command, "--config", str(config)])
        assert result.exit_code == 1, (command, result.output)
        refused = [line for line in result.stderr.splitlines() if "refused:" in line]
        assert refused and all(line.split(":")[1] == "2" for line in refused), result.stderr
        assert "Traceback" not in result.output and "<module 'os'" not in result.output


def test_the_template_the_config_names_may_be_a_link_but_what_it_includes_stays_in_its_folder(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    write(shared, "base.json.j2", '{"TargetRegion": [{"Name": "{{ Location }}"}],\n "Customizers": [{% include "s.j2" %}]}\n')
    write(shared, "s.j2", '{"ShellCustomizer": true, "Name": "outside", "Inline": ["x"]}')
    images = tmp_path / "images"
    images.mkdir()
    (images / "img.json.j2").symlink_to(shared / "base.json.j2")
    with pytest.raises(InputError) as error:  # s.j2 is beside the link's target, not beside the link
        load_definition(make_spec(images / "img.json.j2"))
    assert "included template 's.j2' not found beside img.json.j2" in error.value.problems[0].message
    write(images, "s.j2", '{"ShellCustomizer": true, "Name": "inside", "Inline": ["x"]}')
    assert load_definition(make_spec(images / "img.json.j2")).customizers[0].name == "inside"


# The bounds written out (render.py's documented limits), so a changed limit fails a test.
ONE_MEBIBYTE, FOUR_MEBIBYTES = 1_048_576, 4_194_304


def test_a_sequence_of_one_mebibyte_is_built_one_more_is_refused(tmp_path):
    at_limit = write(tmp_path, "edge.json.j2", "{{ 'x' * " + str(ONE_MEBIBYTE) + " }}")
    assert len(render_definition(at_limit, {}).text) == ONE_MEBIBYTE
    beyond = write(tmp_path, "over.json.j2", "{{ " + str(ONE_MEBIBYTE + 1) + " * 'x' }}")
    with pytest.raises(InputError) as error:
        render_definition(beyond, {})
    assert f"'*' would build a sequence of {ONE_MEBIBYTE + 1} items" in error.value.problems[0].message


def test_four_mebibytes_of_output_are_rendered_one_more_character_is_refused(tmp_path):
    four = "{% for i in range(4) %}{{ 'y' * " + str(ONE_MEBIBYTE) + " }}{% endfor %}"
    assert len(render_definition(write(tmp_path, "edge.json.j2", four), {}).text) == FOUR_MEBIBYTES
    with pytest.raises(InputError) as error:
        render_definition(write(tmp_path, "over.json.j2", four + "z"), {})
    assert f"exceeds {FOUR_MEBIBYTES} characters" in error.value.problems[0].message
