"""The gateway under test: ``seguimiento serve`` in its own process, and tokens for it.

``seguimiento`` runs as ``python -m gateway`` (the same entry point as the console script)
with the checkout under test as its working directory.

The gateway runs as a separate process (as in production), so its CPU time and memory
are its own and the load generator never shares its event loop. Tokens are made the way
``seguimiento token create`` makes them (``gateway.web.auth.new_token`` + ``sp_crear_token``);
the GTR token goes through the CLI itself once, to exercise it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import ROOT, call
from gateway.db.dburl import DatabaseUrl
from gateway.web.auth import new_token, token_sha256

LISTENING = re.compile(r"listening on (http://\S+)")


def url_text(url: DatabaseUrl) -> str:
    auth = url.user + (f":{url.password}" if url.password else "")
    return f"mysql://{auth}@{url.host}:{url.port}/{url.database}"


def seguimiento() -> list[str]:
    """The ``seguimiento`` command as ``python -m gateway`` from the checkout being
    benchmarked (the installed console script could import another checkout's gateway)."""
    return [sys.executable, "-m", "gateway"]


def cli_token(url: DatabaseUrl, *args: str) -> str:
    """``seguimiento token create ...``: the token it prints on its last line."""
    out = subprocess.run([*seguimiento(), "token", "create", "--database-url", url_text(url), *args],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return out.strip().splitlines()[-1].strip()


def asesor_token(conn: Any, asesor_id: int) -> str:
    token = new_token()
    call(conn, "sp_crear_token", token_sha256(token), "asesor", asesor_id, "bench")
    return token


class GatewayProcess:
    """A running ``seguimiento serve``: base URL, pid, CPU seconds and RSS."""

    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process = process
        self.base = base
        self.ws_base = base.replace("http://", "ws://")
        self.output: list[str] = []

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def rss_mib(self) -> float:
        return process_rss_mib(self.pid)


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process (from /proc), NaN where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return float("nan")


def process_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@contextmanager
def running_gateway(url: DatabaseUrl, *, wake_route: bool = False, **settings: Any) -> Iterator[GatewayProcess]:
    """``seguimiento serve --port 0`` on ``url`` with ``SEGUIMIENTO_<KEY>`` settings; stopped
    with SIGTERM afterwards (killed if it does not stop within 20 s). ``wake_route``: the
    same app run by bench/gateway_app.py, with its bench-only ``POST /bench/wake``."""
    env = dict(os.environ)
    env.update({f"SEGUIMIENTO_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    if wake_route:
        command = [sys.executable, "-m", "bench.gateway_app", "--database-url", url_text(url)]
    else:
        command = [*seguimiento(), "serve", "--database-url", url_text(url), "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
        start_new_session=True)
    assert process.stdout is not None
    base = None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = LISTENING.search(line)
        if match:
            base = match.group(1)
            break
    if base is None:
        process.kill()
        process.wait()
        raise RuntimeError("seguimiento serve did not start:\n" + "".join(lines))
    gw = GatewayProcess(process, base)
    gw.output = lines

    def drain() -> None:  # keep reading its log so a full pipe never blocks it
        assert process.stdout is not None
        for line in process.stdout:
            gw.output.append(line)
            del gw.output[:-200]

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield gw
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
