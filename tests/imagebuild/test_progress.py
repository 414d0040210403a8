"""The build display: a live table on a terminal, one line per change in a log."""

from __future__ import annotations

import io

from rich.console import Console

from mdpool.imagebuild.builder import Progress
from mdpool.imagebuild.progress import BuildBoard


def test_plain_logs_get_one_line_per_change_not_per_poll():
    out = io.StringIO()
    board = BuildBoard(["a", "b"], Console(file=out, force_terminal=False, width=200))
    with board:
        board(Progress("a", "running", "Running", "Queued", 5))
        board(Progress("a", "running", "Running", "Queued", 35))  # same state, later poll: no line
        board(Progress("b", "creating", elapsed=1))
        board(Progress("a", "running", "Running", "Customizing", 65))
        board(Progress("a", "built", "Succeeded", None, 3725, "/subscriptions/x/versions/1.0.0"))
    assert out.getvalue().splitlines() == [
        "[00:05] a: running Running/Queued",
        "[00:01] b: creating",
        "[01:05] a: running Running/Customizing",
        "[62:05] a: built Succeeded /subscriptions/x/versions/1.0.0",
    ]


def test_a_terminal_gets_a_live_table_with_every_image():
    out = io.StringIO()
    board = BuildBoard(["ubuntu-22.04", "ubuntu-24.04"], Console(file=out, force_terminal=True, width=160))
    with board:
        board(Progress("ubuntu-22.04", "running", "Running", "Customizing", 754))
    text = out.getvalue()
    assert "Image builds" in text and "ubuntu-24.04" in text and "queued" in text
    assert "Customizing" in text and "12:34" in text


def test_the_clock_keeps_running_between_updates():
    import time

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    board = BuildBoard(["a", "b"], console)
    board(Progress("a", "deleting", elapsed=10))  # a long delete: no update for a while
    board(Progress("b", "built", "Succeeded", elapsed=20))
    time.sleep(1.1)
    with console.capture() as capture:
        console.print(board.table())
    text = capture.get()
    assert "00:11" in text  # a's clock ran on
    assert "00:20" in text  # b's is finished and stays
