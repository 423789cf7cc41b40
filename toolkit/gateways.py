"""``seguimiento serve`` as a real subprocess on a loopback port, for tests and benchmarks.

It runs as in production, a process of its own, so its CPU time and memory are its own and
a test or a load generator never shares its event loop.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO, Self

from gateway.db.dburl import DatabaseUrl
from gateway.db.embedded import free_port
from toolkit import resources

# ``seguimiento serve`` as ``python -m gateway`` (the console script's entry point) with this
# interpreter: the installed script could belong to another checkout or virtualenv.
SERVE = (sys.executable, "-m", "gateway", "serve")
# The lines of its output kept (older ones are dropped): a benchmark's gateway runs for
# minutes, a test's prints a few dozen lines.
OUTPUT_LINES = 10_000


class GatewayProcess:
    """``command --database-url URL --host 127.0.0.1 --port PORT`` in a subprocess.

    ``command`` serves the gateway: ``seguimiento serve`` by default, another virtualenv's
    script (the wheel test) or the benchmarks' gateway. ``port`` defaults to a free one and
    stays the same across restarts. ``env`` is the whole environment (``SEGUIMIENTO_*``
    settings). ``new_session``: the process gets a session of its own, so a Ctrl-C meant for
    a benchmark does not stop it mid-measurement.
    """

    def __init__(self, url: DatabaseUrl, port: int | None = None, env: Mapping[str, str] | None = None,
                 command: Sequence[str] = SERVE, cwd: str | None = None, *, new_session: bool = False) -> None:
        self.url = url
        self.port = port or free_port()
        self.env = dict(env) if env is not None else None
        self.command = list(command)
        self.cwd = cwd
        self.new_session = new_session
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._drainer: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def login(self) -> DatabaseUrl:
        """The database login the gateway is given (``url``; the tests' harness changes it)."""
        return self.url

    def start(self, timeout: float = 20.0) -> Self:
        """Start it and wait until it says it is listening; AssertionError with its output
        when it does not within ``timeout`` seconds."""
        self.output = []
        self.process = subprocess.Popen(
            [*self.command, "--database-url", self.login().secret_url(), "--host", "127.0.0.1", "--port",
             str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            env=self.env, cwd=self.cwd, start_new_session=self.new_session,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if "listening on" in line:
                # Keep draining its output, so a chatty server never blocks on a full pipe.
                self._drainer = threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True)
                self._drainer.start()
                return self
        self.stop()
        raise AssertionError(f"{' '.join(self.command)} did not start:\n" + "".join(self.output))

    def _drain(self, stream: IO[str]) -> None:
        with contextlib.suppress(ValueError, OSError):
            for line in stream:
                self.output.append(line)
                if len(self.output) > 2 * OUTPUT_LINES:
                    del self.output[:-OUTPUT_LINES]

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a process manager would (SIGKILL after ``timeout`` s); the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._drainer is not None:
            self._drainer.join(5)
            self._drainer = None
        elif self.process.stdout is not None and not self.process.stdout.closed:
            self.output.append(self.process.stdout.read())
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL, a crash: no graceful stop, sockets and requests cut mid-flight. The exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        return self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def cpu_seconds(self) -> float:
        """Its CPU time so far."""
        return resources.cpu_seconds(self.pid)

    def rss_mib(self) -> float:
        """Its resident memory, MiB."""
        return resources.rss_mib(self.pid)
