"""Phases timed and failures explained, on the loopback ARM stand-in through the real SDK clients.

The sub-states are the Image Builder 2025-10-01 spec's RunSubState enum; the log's telemetry lines and
its place (staging storage account, container packerlogs, customization.log) are from Learn,
"Troubleshoot Azure VM Image Builder".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.imagebuild.builder import BUILT, FAILED, describe_result
from mdpool.imagebuild.phases import SUB_STATES, PhaseClock, describe_phases, slowest
from tests.imagebuild.conftest import QUICK_IMAGE, RG, make_spec
from tests.imagebuild.test_builder import OPTIONS, TEMPLATE, build
from tests.imagebuild.test_spec_parity import SPEC

SPEC_SUB_STATES = json.loads(SPEC.read_text())["definitions"]["ImageTemplateLastRunStatus"]["properties"]["runSubState"]["enum"]


def test_mdpool_knows_the_sub_states_of_the_spec():
    assert list(SUB_STATES) == SPEC_SUB_STATES


def test_a_phase_lasts_from_the_first_poll_that_saw_it_to_the_first_that_saw_the_next():
    clock = PhaseClock()
    for at, sub_state in [(0, "Queued"), (30, "Queued"), (60, "Building"), (90, "Customizing"), (600, "Customizing")]:
        clock.observe(sub_state, at)
    clock.observe(None, 610)  # no sub-state: ignored
    assert [(p.phase, p.seconds) for p in clock.times(630)] == [("Queued", 60), ("Building", 30), ("Customizing", 540)]
    clock.end(700)
    assert clock.times(9999)[-1].seconds == 610  # ended: the clock stops at the end, not at "now"
    assert slowest(clock.times(0)).phase == "Customizing"
    assert describe_phases(clock.times(0)) == "Queued 01:00, Building 00:30, Customizing 10:10"


@pytest.fixture
def spec(tmp_path: Path):
    path = tmp_path / "two.json"
    doc = dict(QUICK_IMAGE)
    doc["Customizers"] = [
        {"ShellCustomizer": True, "Name": "Hello", "Inline": ["echo hello"]},
        {"ShellCustomizer": True, "Name": "InstallTools", "Inline": ["apt-get install -y nosuchpackage"]},
    ]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return make_spec(path)


def test_a_build_reports_how_long_it_spent_in_every_phase(arm, spec):
    arm.script_build(TEMPLATE, duration=3.0)  # 0.5 s per sub-state; polls every 0.02 s
    seen = []
    (result,) = build(arm, [spec], on_progress=seen.append)
    assert result.status == BUILT
    assert [p.phase for p in result.phases] == SPEC_SUB_STATES
    for phase in result.phases:
        assert 0.2 <= phase.seconds <= 1.5, phase  # 0.5 s each, give or take a poll on a busy machine
    assert sum(p.seconds for p in result.phases) <= result.duration
    running = [p for p in seen if p.phase == "running"]
    assert [p.phase for p in running[-1].phases] == SPEC_SUB_STATES  # the live rows carry them too
    (phases_line,) = [line for line in describe_result(result) if ": phases: " in line]
    assert all(name in phases_line for name in SPEC_SUB_STATES)


def test_a_failed_build_names_the_failing_customizer_and_prints_the_end_of_its_log(arm, spec):
    arm.script_build(TEMPLATE, outcome="Failed", duration=0.1)
    (result,) = build(arm, [spec])
    assert result.status == FAILED
    assert result.failed_step == "step 2 'InstallTools' (Shell)"
    assert result.log_tail[-1] == "PACKER ERR Script exited with non-zero exit status: 100"
    assert result.log_problem is None
    (read,) = arm.requests_matching("GET", r"/customization\.log$")
    assert read.status == 200  # read with the storage-scoped token and x-ms-version (the stand-in insists)
    lines = describe_result(result)
    assert any("failed in step 2 'InstallTools' (Shell)" in line for line in lines)
    assert any(line.startswith("  | ") and "nosuchpackage" in line for line in lines)


def test_a_log_mdpool_may_not_read_says_which_role_it_needs_and_where_the_log_is(arm, spec):
    arm.script_build(TEMPLATE, outcome="Failed", duration=0.1)
    arm.fail(
        "GET",
        r"/customization\.log$",
        403,
        code="AuthorizationPermissionMismatch",
        headers={"x-ms-error-code": "AuthorizationPermissionMismatch"},
    )
    (result,) = build(arm, [spec])
    assert result.status == FAILED and result.failed_step is None and result.log_tail == ()
    account = arm.log_url(RG, TEMPLATE).split("/")[3]
    assert "HTTP 403 AuthorizationPermissionMismatch" in result.log_problem
    assert f"Storage Blob Data Reader on the staging storage account {account} in IT_{RG}_{TEMPLATE}_" in result.log_problem
    assert result.log_problem.endswith(f"the log is at {arm.log_url(RG, TEMPLATE)}")


def test_log_lines_are_printed_as_data(arm, spec):
    arm.script_build(TEMPLATE, outcome="Failed", duration=0.1)
    arm.set_customization_log(
        RG, TEMPLATE, "(telemetry) Starting provisioner shell\n\x1b]0;owned\x07 ##vso[task.setvariable variable=x]1\n"
    )
    (result,) = build(arm, [spec])
    assert result.failed_step == "step 1 'Hello' (Shell)"
    (line,) = result.log_tail[1:]
    assert "\x1b" not in line and "\x07" not in line and "##vso[" not in line


def test_a_canceled_build_reads_no_log(arm, spec):
    arm.script_build(TEMPLATE, outcome="Canceled", duration=0.1)
    (result,) = build(arm, [spec], options=OPTIONS)
    assert result.status == FAILED and arm.requests_matching("GET", r"customization\.log") == []
    assert result.log_problem is None and result.failed_step is None  # nothing failed in the log


def test_a_log_whose_steps_all_ended_names_no_step_and_one_left_open_is_named():
    from mdpool.imagebuild.build_log import Step, failed_step

    steps = [Step("Shell", "Hello"), Step("File", "Copy"), Step("Shell", "Tools")]
    ended = "\n".join(
        f"(telemetry) Starting provisioner {kind}\n(telemetry) ending {kind}" for kind in ("shell", "file", "shell")
    )
    assert failed_step(ended, steps) is None
    open_file = "(telemetry) Starting provisioner shell\n(telemetry) ending shell\n(telemetry) Starting provisioner file\n"
    assert failed_step(open_file, steps) == "step 2 'Copy' (File)"
    # a provisioner the template does not have at that position: named by the log, not guessed
    assert failed_step("(telemetry) Starting provisioner powershell\n", steps) == (
        "provisioner powershell (step 1 by the log; the template has 3)"
    )
