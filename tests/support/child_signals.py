"""Signal dispositions for the mdpool processes a test starts and then signals.

A signal ignored by the process that starts a program stays ignored in it (POSIX exec), and mdpool
keeps an ignored SIGHUP ignored on purpose (nohup, a background job: mdpool.signals). A test that
sends SIGHUP must therefore give its child the default disposition, or it passes or fails depending
on how pytest itself was started (`nohup make test` made the SIGHUP tests fail).
"""

from __future__ import annotations

import signal


def hangup_by_default() -> None:
    """A subprocess `preexec_fn`: SIGHUP and SIGTERM as a terminal session delivers them."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
