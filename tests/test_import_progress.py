"""``seguimiento import`` shows its progress on stderr when that is a terminal, through tqdm,
and writes nothing there otherwise (a pipe, a log file, cron's mail)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import termios

from gateway.commands.importer import ProgressBar


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, and keeps what was drawn on it."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_lines_done_out_of_the_total() -> None:
    stream = Terminal()
    with ProgressBar(stream) as progress:
        progress(5000, 12000)
        progress(10000, 12000)
        progress(12000, 12000)
    drawn = stream.getvalue()
    assert "12000/12000 lines" in drawn and "100%" in drawn, drawn
    assert drawn.endswith("\n"), "the bar's line is ended, so what follows starts on a line of its own"


def test_a_real_pseudo_terminal_counts_as_a_terminal() -> None:
    leader, follower = pty.openpty()
    # 24 rows, 80 columns: a fresh pseudo-terminal has no size, and a bar 0 columns wide.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        with os.fdopen(follower, "w", closefd=False) as stream, ProgressBar(stream) as progress:
            progress(3, 3)
        # The bar draws several times (0/3 first); a read returns whatever has arrived, so
        # read until the closing draw is in (a pseudo-terminal's buffer holds all of it).
        drawn = b""
        while b"3/3 lines" not in drawn and select.select([leader], [], [], 5)[0]:
            drawn += os.read(leader, 4096)
        assert b"3/3 lines" in drawn, drawn
    finally:
        os.close(leader)
        os.close(follower)


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressBar(stream) as progress:
        progress(5000, 12000)
        progress(12000, 12000)
    assert stream.getvalue() == ""


def test_a_failed_import_still_ends_the_line() -> None:
    stream = Terminal()
    try:
        with ProgressBar(stream) as progress:
            progress(10, 100)
            raise RuntimeError("the database went away")
    except RuntimeError:
        pass
    assert stream.getvalue().endswith("\n")
