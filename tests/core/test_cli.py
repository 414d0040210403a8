"""The CLI contract: exit codes, one line per problem on stderr, no traceback, no partial output."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import EXAMPLE_CONFIG, REPO, run_mdpool


def test_validate_example_succeeds():
    result = run_mdpool("validate")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and result.stderr == ""


def bad_config(tmp_path):
    text = EXAMPLE_CONFIG.read_text().replace("../images/", str(REPO / "images") + "/")
    text = text.replace("maximum_concurrency: 10", "maximum_concurency: 10").replace("buffer: 100", "buffer: 90")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def test_validate_reports_each_problem_on_one_line(tmp_path):
    path = bad_config(tmp_path)
    result = run_mdpool("validate", "--config", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 2
    for line in lines:
        assert re.match(rf"^{re.escape(str(path))}:\d+: [\w.\[\]\"-]+: .+", line), line
    assert any("pool.maximum_concurency: unknown key" in line and "did you mean 'maximum_concurrency'" in line for line in lines)
    assert any(": pool.maximum_concurrency: required setting is missing" in line for line in lines)


def test_synth_with_bad_input_writes_nothing(tmp_path):
    result = run_mdpool("synth", "--config", str(bad_config(tmp_path)), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_missing_config_file_is_one_line(tmp_path):
    result = run_mdpool("validate", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_usage_error_exits_2():
    result = run_mdpool("synth", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_validate_does_not_load_provider_bindings():
    # The fast path must never import the provider bindings, cdktn or jsii (seconds and ~450 MB).
    code = (
        "import sys\n"
        "from mdpool.cli import app\n"
        "try:\n"
        "    app(['validate', '--config', sys.argv[1]])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktn', 'cdktn_provider_azurerm', 'cdktn_provider_azapi', 'jsii', 'constructs', 'azure'))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE_CONFIG)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout


# What `validate` may import of mdpool: the config layers (docs/development.md), the image definition
# checks and the CLI itself; not the other commands (deploy, doctor, review, pipelines, rollout,
# verify, init, schema: mdpool.cli_lazy imports each when its command runs).
VALIDATE_MAY_IMPORT = re.compile(
    r"mdpool(\.(cli|cli_lazy|cli_support|config|config_file|files|loader|naming|output_folder|printed|problems|"
    r"timespan|timezones|yamlsource|validate(\..*)?|rules(\..*)?|"
    r"imagebuild(\.(definition|fit|images|jsonlines|render|render_child|sandbox|template))?))?"
)


def test_validate_imports_only_what_it_uses():
    code = (
        "import sys\n"
        "from mdpool.cli import app\n"
        "try:\n"
        "    app(['validate', '--config', sys.argv[1]])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE_CONFIG)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    modules = result.stdout.split("MODULES ", 1)[1].split()
    ours = [m for m in modules if m.split(".")[0] == "mdpool"]
    assert "mdpool.loader" in ours  # it did validate
    assert [m for m in ours if not VALIDATE_MAY_IMPORT.fullmatch(m)] == []
    assert not {"jinja2", "rich"} & {m.split(".")[0] for m in modules}  # jinja2 runs in the render child


def test_half_a_surrogate_pair_in_a_tag_is_one_line_not_a_traceback(tmp_path):
    config = tmp_path / "env.yaml"
    text = (REPO / "config" / "example.yaml").read_text().replace("workload: build-agents", 'workload: "\\ud800"')
    config.write_text(text.replace("../images/", str(REPO / "images") + "/"))
    done = run_mdpool("validate", "--config", str(config))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{config}:10: tags.workload: \\ud800 holds half of a surrogate pair (\\ud800 to \\udfff) on its own, which is "
        "not a character; allowed: characters, written as they are or escaped (\\u00e9, \\U0001F680)"
    ]
