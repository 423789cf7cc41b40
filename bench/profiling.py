"""Where a process's CPU time goes: py-spy samples, summed by library and by function.

``Sampler(pid)`` runs ``py-spy record --nonblocking`` on a running process (the gateway)
while a benchmark drives it, in raw (collapsed stacks) format, idle samples excluded. The
leaf frame of each sample is charged to an *area* (the library its file belongs to) and
to its function. Without py-spy (``make bench`` installs it) profiles are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

AREAS = (
    ("mysql/connector", "mysql-connector (pure Python)"),
    ("aiohttp", "aiohttp (HTTP/WebSocket)"),
    ("multidict", "aiohttp (HTTP/WebSocket)"),
    ("yarl", "aiohttp (HTTP/WebSocket)"),
    ("pydantic", "pydantic (models)"),
    ("/gateway/", "gateway code"),
    ("json", "json"),
)
# Frames of the event loop itself: a sample whose leaf is one of these is charged to the
# nearest caller outside them ("socket I/O for mysql-connector"), or to the loop.
LOOP = ("asyncio/", "selectors.py", "socket.py", "contextlib.py", "ssl.py")
IDLE = "epoll wait (selectors)"  # the loop waiting for work: not CPU, left out of the shares


def py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


class Sampler:
    """``with Sampler(pid) as s: ...drive it...`` then ``s.summary()``."""

    def __init__(self, pid: int, rate: int = 200) -> None:
        self.pid = pid
        self.rate = rate
        self.exe = py_spy()
        self.process: subprocess.Popen[bytes] | None = None
        self.output = Path(tempfile.mkstemp(prefix="bench-pyspy-", suffix=".txt")[1])

    def __enter__(self) -> Sampler:
        if self.exe is not None:
            self.process = subprocess.Popen(
                [self.exe, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--format", "raw",
                 "--nonblocking", "--output", str(self.output)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(2)  # SIGINT: py-spy writes what it has and exits
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def summary(self, top: int = 12) -> dict[str, Any] | None:
        """Shares of CPU samples by area and the top functions by self time, or None."""
        try:
            text = self.output.read_text()
        except OSError:
            return None
        finally:
            self.output.unlink(missing_ok=True)
        areas: Counter[str] = Counter()
        functions: Counter[str] = Counter()
        total = 0
        for line in text.splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            leaf = frames[-1]
            total += n
            functions[_short(leaf)] += n
            areas[_charge(frames)] += n
        idle = areas.pop(IDLE, 0)
        busy = total - idle
        if not busy:
            return None
        for name in list(functions):
            if "EpollSelector.select" in name:
                del functions[name]
        return {
            "samples": total,
            "idle_share": idle / total,
            "areas": [[a, n / busy] for a, n in areas.most_common()],
            "functions": [[f, n / busy] for f, n in functions.most_common(top)],
        }


def _area(frame: str) -> str:
    for needle, area in AREAS:
        if needle in frame:
            return area
    return "other Python"


def _charge(frames: list[str]) -> str:
    leaf = frames[-1]
    if not any(x in leaf for x in LOOP):
        return _area(leaf)
    syscall = "select (selectors.py" not in leaf and "EpollSelector" not in leaf
    for frame in reversed(frames[:-1]):
        if not any(x in frame for x in LOOP):
            owner = _area(frame)
            return f"socket I/O and loop, for {owner}" if syscall else IDLE
    return "asyncio event loop" if syscall else IDLE


def _short(frame: str) -> str:
    """``func (/long/path/pkg/mod.py:12)`` -> ``func (pkg/mod.py:12)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    parts = where.split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if where else name
