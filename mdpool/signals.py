"""SIGTERM and SIGHUP are handled as Ctrl-C is: a CI cancel, `timeout` or `docker stop` must not orphan
Terraform mid-apply (it runs in a session of its own, so a signal to us never reaches it directly).

Inside `stop_signals()`, the first SIGTERM or SIGHUP raises `Stopped`, a KeyboardInterrupt, exactly
where a Ctrl-C would: the code that forwards one interrupt to terraform and waits for it to write its
state and release its lock runs unchanged. Later SIGTERMs and SIGHUPs are ignored (terraform got its
one interrupt; a second would make it exit at once, mid-write); a second Ctrl-C still insists, as
before. The exit code is the shell's convention, 128 + the signal's number: 130 after SIGINT, 143
after SIGTERM, 129 after SIGHUP.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

# Inside `deferred()`, an interruption caught by stop_signals() waits for the block to end.
_deferring = 0
_pending: list[KeyboardInterrupt] = []


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class CaughtSignals:
    first: int | None = None  # the signal that began the stop, if any

    @property
    def exit_code(self) -> int:
        """128 + the first signal's number; 130 (SIGINT) when the interruption came another way."""
        return 128 + int(self.first or signal.SIGINT)


@contextmanager
def stop_signals() -> Iterator[CaughtSignals]:
    """Handle SIGTERM and SIGHUP as Ctrl-C while the block runs; say which signal came first."""
    caught = CaughtSignals()
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield caught
        return

    def interrupt(error: KeyboardInterrupt) -> None:
        if _deferring:
            _pending.append(error)
            return
        raise error

    def on_interrupt(signum: int, frame) -> None:
        if caught.first is None:
            caught.first = signum
        interrupt(KeyboardInterrupt())  # as Python's own handler: every Ctrl-C interrupts

    def on_stop(signum: int, frame) -> None:
        if caught.first is None:
            caught.first = signum
            interrupt(Stopped(signum))
        # already stopping: terraform has its one interrupt and is writing its state

    handlers: dict[int, Any] = {signal.SIGINT: on_interrupt, **dict.fromkeys(STOP_SIGNALS, on_stop)}
    previous: dict[int, Any] = {}
    for number, handler in handlers.items():
        if signal.getsignal(number) is not signal.SIG_IGN:  # ignored on purpose (nohup, a background job): kept
            previous[number] = signal.signal(number, handler)
    try:
        yield caught
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _pending.clear()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold an interruption that stop_signals() catches until the block ends, then raise it.

    For work a child process does on our behalf that cannot be cut short cleanly: jsii's Node
    process keeps writing a synth into its folder after Python stops waiting for it, so the folder
    could not be removed; waiting the few seconds a synth takes lets it be discarded whole.
    """
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _pending:
        error = _pending[0]
        _pending.clear()
        raise error
