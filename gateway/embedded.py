"""A private MariaDB/MySQL server for one user, started from the binary on the machine.

``seguimiento run`` uses it when no database is configured, and tests that stop and kill
a server use it too. The server runs as the current user, listens only on 127.0.0.1 on a
free port, keeps its data in the folder it is given (kept between runs), and has the event
scheduler on, so the sweep runs as in production.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import mysql.connector

from gateway.dburl import DatabaseUrl

SERVER_BINARIES = ("mariadbd", "mysqld")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"])

NO_BINARY_HELP = """no MariaDB or MySQL server binary (mariadbd or mysqld) on this machine.
Either install one:
    apt-get install mariadb-server        (Debian/Ubuntu)
or run the full deployment with Docker:
    docker compose up
or point seguimiento at a server you have:
    SEGUIMIENTO_DATABASE_URL=mysql://user:password@host:3306/seguimiento"""


class EmbeddedServerError(RuntimeError):
    """The private server could not be started."""


def find_server_binary(search_path: str = SEARCH_PATH) -> Path:
    for name in SERVER_BINARIES:
        found = shutil.which(name, path=search_path)
        if found:
            return Path(found)
    raise EmbeddedServerError(NO_BINARY_HELP)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedServer:
    """One private server process over a data folder.

    ``start()`` initialises the folder on first use, starts the server and waits until it
    answers; ``stop()`` shuts it down cleanly (SIGTERM, the server's normal shutdown);
    ``kill()`` is SIGKILL, for tests of a crashing database.
    """

    def __init__(self, datadir: Path, *, port: int | None = None, database: str = "seguimiento",
                 options: tuple[str, ...] = ()) -> None:
        self.datadir = datadir.resolve()
        self.options = options  # more server options, e.g. --ssl-cert=... in a test
        self.port = port or free_port()
        self.database = database
        self.binary = find_server_binary()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> DatabaseUrl:
        return DatabaseUrl(user="root", password="", host="127.0.0.1", port=self.port, database=self.database)

    @property
    def log_path(self) -> Path:
        return self.datadir / "server.log"

    def _initialise(self) -> None:
        data = self.datadir / "data"
        if (data / "mysql").is_dir():
            return
        data.mkdir(parents=True, exist_ok=True)
        if self.binary.name == "mariadbd":
            install = shutil.which("mariadb-install-db", path=SEARCH_PATH) or shutil.which(
                "mysql_install_db", path=SEARCH_PATH)
            if not install:
                raise EmbeddedServerError("mariadb-install-db is missing: apt-get install mariadb-server")
            command = [install, "--no-defaults", f"--datadir={data}", f"--user={getpass.getuser()}",
                       "--auth-root-authentication-method=normal", "--skip-test-db"]
        else:
            command = [str(self.binary), "--no-defaults", "--initialize-insecure", f"--datadir={data}",
                       f"--user={getpass.getuser()}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            raise EmbeddedServerError(f"initialising {data} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60.0) -> DatabaseUrl:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self._initialise()
        # Its own tmpdir: a server starting up deletes the #sql* files it finds in its
        # tmpdir, and in a shared /tmp those can be another server's live temporary tables.
        tmpdir = self.datadir / "tmp"
        tmpdir.mkdir(exist_ok=True)
        command = [
            str(self.binary), "--no-defaults",
            f"--datadir={self.datadir / 'data'}",
            f"--tmpdir={tmpdir}",
            f"--socket={self.datadir / 'server.sock'}",
            f"--pid-file={self.datadir / 'server.pid'}",
            f"--log-error={self.log_path}",
            f"--port={self.port}", "--bind-address=127.0.0.1",
            f"--user={getpass.getuser()}",
            "--event-scheduler=ON",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=128M",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            *self.options,
        ]
        # Its own session, so a Ctrl-C in the terminal reaches our shutdown path first and
        # the server is then stopped cleanly rather than killed mid-write.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"{self.binary.name} exited with {self.process.returncode}; see {self.log_path}")
            if self.answers():
                return self.url
            time.sleep(0.2)
        self.kill()
        raise EmbeddedServerError(f"{self.binary.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def answers(self) -> bool:
        try:
            conn = mysql.connector.connect(host="127.0.0.1", port=self.port, user="root", password="",
                                           connection_timeout=2, use_pure=True)
        except mysql.connector.Error:
            return False
        conn.close()
        return True

    def stop(self, timeout: float = 60.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
