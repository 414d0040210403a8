"""`mdpool images build` stopped by SIGTERM or SIGHUP (a CI cancel, `timeout`, a closed terminal): as Ctrl-C,
it stops watching, starts nothing new, cancels nothing in Azure, and exits 128 + the signal's number."""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.child_signals import hangup_by_default
from tests.imagebuild.test_cli import BUILD, RG, cli_env, example_arm, mdpool  # noqa: F401 - fixtures


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_detaches_like_ctrl_c(signum, code, example_arm, cli_env):  # noqa: F811
    example_arm.build_duration = 30
    proc = mdpool(
        cli_env, *BUILD, "--parallel", "1", preexec_fn=hangup_by_default
    )  # two images, one at a time: the second waits its turn
    deadline = time.monotonic() + 30
    while len(example_arm.requests_matching("POST", r"/run$")) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "stopped watching; the build goes on in Azure. Reattach with: mdpool images build" in err
    assert "Traceback" not in err
    assert not example_arm.requests_matching("POST", r"/cancel$")  # nothing cancelled
    assert not example_arm.requests_matching("DELETE", r"imageTemplates/")
    assert len(example_arm.requests_matching("POST", r"/run$")) == 1  # the waiting build was not started
    template = example_arm.template(RG, "jhp-ubuntu-2204-buildagent")
    assert template["properties"]["lastRunStatus"]["runState"] == "Running"  # the build goes on
