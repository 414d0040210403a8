"""SIGTERM and SIGHUP during an apply: the real terraform on the stand-in stacks, mdpool as a user runs it.

A CI cancel, `timeout` or `docker stop` sends SIGTERM; a closed terminal sends SIGHUP. Either must
stop terraform as Ctrl-C does (one interrupt, then wait): a valid state file, no lock left, and a
rerun that converges; mdpool exits 128 + the signal's number.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import pytest

from tests.conftest import MDPOOL, REPO
from tests.support.child_signals import hangup_by_default
from tests.support.json_contract import json_report
from mdpool.deploy.output_check import STANDIN_ENV, STANDIN_WITH_LOCAL_EXEC
from tests.deploy.test_cli import config_without_builds  # noqa: F401 - the fixture

RERUN = "interrupted; nothing was cancelled: run `mdpool deploy --stage gallery` again to continue where it stopped"


def slow_gallery(workspace, once_marker) -> None:
    """Add a resource whose creation takes 30 s the first time: the apply is still running when the signal comes.

    A provisioner mdpool never writes: the test lets it in by name (mdpool.deploy.output_check)."""
    stack = workspace.out / "stacks" / "gallery-dev" / "cdk.tf.json"
    data = json.loads(stack.read_text())
    data["resource"]["terraform_data"]["slow"] = {
        "provisioner": [{"local-exec": {"command": f"[ -e {once_marker} ] || {{ touch {once_marker}; sleep 30; }}"}}]
    }
    stack.write_text(json.dumps(data))


class Run:
    """`mdpool deploy` in its own process, its stderr (the progress, with --json) read as it comes."""

    def __init__(self, args, env) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(MDPOOL), *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=hangup_by_default,  # as a terminal would, however pytest was started
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline and self.process.poll() is None, "\n".join(self.lines)
            time.sleep(0.05)

    def finish(self, seconds: float = 60) -> tuple[int, str]:
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        code = self.process.wait(timeout=seconds)
        self.reader.join(timeout=10)
        return code, stdout


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_apply_stops_terraform_cleanly_and_a_rerun_converges(
    signum, code, workspace, terraform_env, config_without_builds, tmp_path
):  # noqa: F811
    slow_gallery(workspace, tmp_path / "slow-once")
    terraform_env = {**terraform_env, STANDIN_ENV: STANDIN_WITH_LOCAL_EXEC}  # the slow provisioner, let in by name
    args = (
        "deploy",
        "--config",
        str(config_without_builds),
        "--out",
        str(workspace.out),
        "--no-synth",
        "--skip-checks",
        "--auto-approve",
        "--stage",
        "gallery",
        "--json",
    )
    run = Run(args, terraform_env)
    run.wait_for("Provisioning with 'local-exec'")  # terraform is inside the apply, running the slow provisioner
    started = time.monotonic()
    run.process.send_signal(signum)
    run.process.send_signal(signum)  # a second one (docker stop, an impatient CI) is not forwarded again
    exit_code, stdout = run.finish()
    stderr = "\n".join(run.lines)
    assert exit_code == code, stderr
    assert time.monotonic() - started < 25  # did not wait for the 30 s provisioner
    assert "Interrupt received." in stderr  # terraform got exactly the interrupt Ctrl-C gives it
    assert stderr.count("Interrupt received.") == 1
    assert RERUN in run.lines, stderr[-2000:]
    assert "Traceback" not in stderr
    assert json_report(stdout, command="deploy")["result"] == "interrupted"
    # the state is written and valid, and no lock is left behind
    state = workspace.state / "gallery-dev.tfstate"
    assert state.stat().st_size > 0
    assert json.loads(state.read_text())["serial"] >= 1
    assert not list(workspace.state.glob("*.lock.info"))
    assert not list(workspace.out.rglob(".terraform.tfstate.lock.info"))
    # the rerun continues where the first stopped, and a third finds nothing to do
    rerun = subprocess.run(
        [str(MDPOOL), *args], cwd=REPO, env=terraform_env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json_report(rerun.stdout, command="deploy")["result"] == "succeeded"
    assert "terraform_data.slow" in workspace.state_resources("gallery-dev")
    again = subprocess.run(
        [str(MDPOOL), *args], cwd=REPO, env=terraform_env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert again.returncode == 0, again.stderr
    assert json_report(again.stdout, command="deploy")["result"] == "nothing to do"


def test_a_signal_ignored_on_purpose_stays_ignored():
    # nohup (POSIX) starts a command with SIGHUP ignored: mdpool must not turn it back on
    import os

    from mdpool.signals import stop_signals

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)  # ignored: nothing is raised
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_second_stop_signal_while_stopping_does_not_interrupt_the_cleanup():
    # terraform already has its one interrupt and is writing its state: a second SIGTERM must not cut that short
    import os

    from mdpool.signals import Stopped, stop_signals

    with stop_signals() as caught:
        with pytest.raises(Stopped):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
        except KeyboardInterrupt:
            pytest.fail("the second SIGTERM interrupted the cleanup")
    assert caught.exit_code == 128 + signal.SIGTERM
