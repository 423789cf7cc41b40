"""MySQL 9.7 and MariaDB 11.8 servers for the engine matrix, run with ``chroot`` from the
Debian sid roots that ``tests/engines/build-roots`` caches outside the clone.

Each :class:`ChrootServer` is a fresh server for one run: its own folder inside the root
(data, tmpdir, ``--secure-file-priv`` folder, log, socket), a free loopback port, the
engine's own defaults otherwise (``--no-defaults``: its default collation is part of what the
matrix tests), the event scheduler on, and a random root password, handed out as a
:class:`DatabaseUrl`. The server is stopped (SIGTERM, then SIGKILL after a bound) and its
folder removed when the block ends, whatever ended it::

    with ChrootServer(ENGINES["mysql-9.7"]) as server:
        os.environ["SEGUIMIENTO_TEST_DSN"] = server.url.secret_url()

A run that was SIGKILLed cannot clean up after itself; the next run on the same root does it
(:func:`remove_stale_runs`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import mysql.connector

from gateway.db.dburl import DatabaseUrl
from gateway.db.embedded import free_port

CACHE = Path(os.environ.get("SEGUIMIENTO_ENGINE_CACHE", "/var/cache/seguimiento/engines"))
BUILD_ROOTS = Path(__file__).resolve().with_name("build-roots")
# Inside each root: one folder per run, named after the run.
RUNS = Path("srv/seguimiento-test")
# Limits, each a setting: how long a server may take to answer, and to shut down cleanly.
START_SECONDS = float(os.environ.get("SEGUIMIENTO_ENGINE_START_SECONDS", "120"))
STOP_SECONDS = float(os.environ.get("SEGUIMIENTO_ENGINE_STOP_SECONDS", "60"))
# A free port can be taken by someone else between our probe and the server's bind.
PORT_ATTEMPTS = 3


class EngineError(RuntimeError):
    """An engine of the matrix could not be built or started."""


@dataclass(frozen=True)
class Engine:
    """One engine of the matrix: the name build-roots knows it by, and its server binary."""

    name: str
    flavour: str  # "mysql" or "mariadb": how to initialise it and which options it takes
    server: str  # the server binary, inside the root
    client: str  # its command-line client, inside the root: what a DBA of this engine types

    @property
    def root(self) -> Path:
        return CACHE / self.name

    @property
    def built(self) -> bool:
        return (self.root / ".complete").is_file()


ENGINES = {engine.name: engine for engine in (
    Engine("mysql-9.7", "mysql", "/usr/sbin/mysqld", "/usr/bin/mysql"),
    Engine("mariadb-11.8", "mariadb", "/usr/sbin/mariadbd", "/usr/bin/mariadb"),
)}


def build_root(engine: Engine) -> None:
    """Builds the engine's root unless it is cached; says why when it cannot (no mirror, ...)."""
    if engine.built:
        return
    result = subprocess.run([str(BUILD_ROOTS), engine.name], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not engine.built:
        raise EngineError(f"the {engine.name} root could not be built by {BUILD_ROOTS} "
                          f"(exit {result.returncode}):\n{result.stderr.strip()}")


def _alive(pid: int, start_time: str) -> bool:
    """Whether process ``pid`` is still the one that started at ``start_time`` (not a reuse)."""
    try:
        return _start_time(pid) == start_time
    except OSError:
        return False


def _start_time(pid: int) -> str:
    # Field 22 of /proc/PID/stat, counted after the command name (which may hold spaces).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def remove_stale_runs(engine: Engine) -> None:
    """Stops the servers of runs whose runner died without stopping them (SIGKILL, a crash)
    and removes their folders. A server is only signalled when it really is that run's:
    its pid file names it, its root is this root and its command line names its folder."""
    runs = engine.root / RUNS
    if not runs.is_dir():
        return
    for folder in runs.iterdir():
        try:
            pid, start = (folder / "owner").read_text().split()
        except (OSError, ValueError):
            continue  # a run being set up this very moment: not ours to judge yet
        if _alive(int(pid), start):
            continue
        try:
            server_pid = int((folder / "server.pid").read_text())
            proc = Path(f"/proc/{server_pid}")
            if (proc / "root").resolve() == engine.root.resolve() and \
                    str(Path("/") / RUNS / folder.name).encode() in (proc / "cmdline").read_bytes():
                os.kill(server_pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass  # no server left, or not one we started
        shutil.rmtree(folder, ignore_errors=True)


class Started:
    """A context manager for things that start and stop (a server, a group of them): started
    on entry, stopped on exit, and stopped too when starting fails half-way."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class ChrootServer(Started):
    """A fresh server of ``engine``, started from its root with chroot; see the module doc."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.folder = engine.root / RUNS / self.name  # on the host
        self.inside = Path("/") / RUNS / self.name  # the same folder, seen from the chroot
        self.password = secrets.token_hex(16)
        self.port = 0
        self.version = ""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> DatabaseUrl:
        return DatabaseUrl(user="root", password=self.password, host="127.0.0.1", port=self.port, database="test")

    @property
    def log_path(self) -> Path:
        """The server's error log, on the host."""
        return self.folder / "server.log"

    def _chroot(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["chroot", str(self.engine.root), *command], capture_output=True, text=True,
                              check=False)

    def _prepare(self) -> None:
        remove_stale_runs(self.engine)
        for sub in ("data", "tmp", "files"):
            (self.folder / sub).mkdir(parents=True)
        (self.folder / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
        init = self.folder / "init.sql"
        init.write_text(self._init_sql())
        init.chmod(0o600)
        self.log_path.touch()
        # The server runs as the root's own mysql user: its uid is only known inside the root.
        chown = self._chroot("chown", "-R", "mysql:mysql", str(self.inside))
        if chown.returncode != 0:
            raise EngineError(f"chown inside {self.engine.root} failed: {chown.stderr.strip()}")
        if self.engine.flavour == "mysql":
            command = [self.engine.server, "--no-defaults", "--initialize-insecure", "--user=mysql",
                       f"--datadir={self.inside / 'data'}", f"--tmpdir={self.inside / 'tmp'}"]
        else:
            # --force --skip-name-resolve: without them it stops, half done, on the host name.
            command = ["mariadb-install-db", "--no-defaults", "--force", "--skip-name-resolve", "--user=mysql",
                       f"--datadir={self.inside / 'data'}", "--auth-root-authentication-method=normal"]
        result = self._chroot(*command)
        if result.returncode != 0:
            raise EngineError(f"initialising {self.engine.name}'s data folder failed:\n"
                              f"{result.stdout}\n{result.stderr}")

    def _init_sql(self) -> str:
        """What the server runs at start-up, before it takes any connection: root gets its
        password, so no login ever finds it open."""
        if self.engine.flavour == "mysql":
            # --initialize-insecure makes root@localhost only, without a password.
            return f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{self.password}';\n"
        # mariadb-install-db also makes anonymous accounts (''@'localhost', ''@'<host name>').
        # For a login from this machine they rank before any 'user'@'%' (the more specific host
        # wins), so an account the tests create as 'x'@'%' would get 1045 Access denied. A DBA
        # removes them with mariadb-secure-installation; this does what it does: drop the
        # anonymous accounts and root's remote ones (root@'<host name>'), and give the local
        # roots a password. A TCP login from 127.0.0.1 is root@localhost (loopback is localhost).
        return "".join(line + "\n" for line in (
            "DELETE FROM mysql.global_priv WHERE User = '';",
            "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');",
            "FLUSH PRIVILEGES;",
            *(f"ALTER USER IF EXISTS 'root'@'{host}' IDENTIFIED BY '{self.password}';"
              for host in ("localhost", "127.0.0.1", "::1")),
        ))

    def _command(self) -> list[str]:
        inside = self.inside
        command = [
            "chroot", str(self.engine.root), self.engine.server, "--no-defaults", "--user=mysql",
            f"--datadir={inside / 'data'}",
            # its own tmpdir: a starting server deletes the #sql* files it finds there
            f"--tmpdir={inside / 'tmp'}",
            # never empty: an empty value lets LOAD DATA and SELECT ... INTO OUTFILE reach any path
            f"--secure-file-priv={inside / 'files'}",
            f"--socket={inside / 'server.sock'}",
            f"--pid-file={inside / 'server.pid'}",
            f"--log-error={inside / 'server.log'}",
            f"--init-file={inside / 'init.sql'}",
            f"--port={self.port}", "--bind-address=127.0.0.1",
            # MariaDB starts with it off; the sweep is an EVENT
            "--event-scheduler=ON",
            # A throwaway server: flush the redo log once a second rather than at every
            # commit, which only matters if the machine itself crashes. The binary log stays
            # on (MySQL's default), as users run it.
            "--innodb-flush-log-at-trx-commit=2",
        ]
        if self.engine.flavour == "mysql":
            command.append("--mysqlx=OFF")  # X Protocol: another port, which nothing here uses
            command.append("--sync-binlog=0")  # the same for the binary log: no fsync per commit
        return command

    def start(self) -> DatabaseUrl:
        """Initialises, starts and checks the server; returns the URL the tests use."""
        if not self.engine.built:
            raise EngineError(f"the {self.engine.name} root is not built: run {BUILD_ROOTS} {self.engine.name}")
        self._prepare()
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            if self._launch():
                break
            if "already in use" not in self.log_tail():
                raise EngineError(f"{self.engine.name} exited with {self._returncode()}; its log "
                                  f"({self.log_path}) ends:\n{self.log_tail()}")
        else:
            raise EngineError(f"{self.engine.name} found no free port in {PORT_ATTEMPTS} attempts")
        self._check()
        return self.url

    def _returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def _launch(self) -> bool:
        """Starts the server; True once it answers, False if it exited."""
        console = (self.folder / "console.log").open("ab")
        # Its own session: a Ctrl-C in the terminal reaches the runner, which then stops the
        # server cleanly, rather than the server dying mid-write.
        self.process = subprocess.Popen(self._command(), stdin=subprocess.DEVNULL, stdout=console,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        console.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self.version = str(self._query("SELECT VERSION()")[0][0])
                return True
            except mysql.connector.Error:
                time.sleep(0.2)
        self.stop()
        raise EngineError(f"{self.engine.name} did not answer within {START_SECONDS:.0f} s "
                          f"(SEGUIMIENTO_ENGINE_START_SECONDS); its log ends:\n{self.log_tail()}")

    def _query(self, sql: str, password: str | None = None) -> list[tuple[object, ...]]:
        conn = mysql.connector.connect(host="127.0.0.1", port=self.port, user="root",
                                       password=self.password if password is None else password,
                                       connection_timeout=3, use_pure=True)
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            conn.close()

    def _check(self) -> None:
        """The premises the tests rely on, checked once, so a wrong one fails here by name."""
        anonymous = self._query("SELECT CONCAT(\"''@'\", Host, \"'\") FROM mysql.user WHERE User = ''")
        if anonymous:
            raise EngineError(f"{self.engine.name} still has anonymous accounts: {anonymous}")
        try:
            self._query("SELECT 1", password="")
        except mysql.connector.Error:
            pass
        else:
            raise EngineError(f"{self.engine.name}'s root logs in without a password")
        scheduler = self._query("SELECT @@event_scheduler")[0][0]
        if scheduler != "ON":
            raise EngineError(f"{self.engine.name}'s event scheduler is {scheduler}, not ON")

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for path in (self.log_path, self.folder / "console.log"):
            if path.is_file():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after STOP_SECONDS; then the folder goes."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def keep_log(self, path: Path) -> bool:
        """Copies the server's log out of the root before stop() removes it; False if it has none."""
        if not self.log_path.is_file():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.log_path, path)
        return True
