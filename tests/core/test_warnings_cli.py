"""The warning channel, as a user meets it: `mdpool validate` prints warnings as
`FILE:LINE: path: warning: ...` on stderr and exits 0; errors still exit 1, with the warnings beside them."""

from __future__ import annotations

import re

from mdpool.problems import InputError, Problem
from tests.conftest import run_mdpool
from tests.core.test_provider_configs import PROVIDER_CONFIGS


def write(tmp_path, changes: dict[str, object]):
    """The provider's basic pool (no image builds to check) with `changes` (pool.<key>: value) applied."""
    import yaml

    data = yaml.safe_load((PROVIDER_CONFIGS / "basic.yaml").read_text())
    for key, value in changes.items():
        data["pool"][key.removeprefix("pool.")] = value
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_problem_keeps_its_error_form_and_adds_a_warning_form():
    error = Problem("c.yaml", 3, "pool.sku", "must not be empty")
    assert str(error) == "c.yaml:3: pool.sku: must not be empty" and error.severity == "error"
    warning = Problem("c.yaml", 3, "pool.sku", "odd", "warning")
    assert str(warning) == "c.yaml:3: pool.sku: warning: odd"
    raised = InputError([error, warning])
    assert raised.problems == [error] and raised.warnings == [warning]
    assert str(raised) == str(error)


def test_a_warning_is_printed_and_validate_succeeds(tmp_path):
    config = write(tmp_path, {"pool.sku": "D2"})
    result = run_mdpool("validate", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(rf"{re.escape(str(config))}:\d+: pool\.sku: warning: 'D2' does not look like a VM size.*", line)


def test_errors_fail_and_warnings_are_printed_beside_them(tmp_path):
    config = write(tmp_path, {"pool.sku": "D2", "pool.data_disk": {"size_gb": 8, "drive_letter": "C"}})
    result = run_mdpool("validate", "--config", str(config))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(": pool.data_disk.drive_letter: 'C' is not allowed" in line for line in lines), lines
    assert any(": pool.sku: warning: " in line for line in lines), lines
    assert "Traceback" not in result.stderr


def test_hostile_yaml_is_one_line_not_a_traceback(tmp_path):
    config = tmp_path / "env.yaml"
    config.write_text("environment: !!python/object/apply:os.system [touch pwned]\n")
    result = run_mdpool("validate", "--config", str(config))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"{config}:1: explicit tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed; write the plain value"
    )
    assert not (tmp_path / "pwned").exists()
