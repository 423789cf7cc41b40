"""A private MariaDB/MySQL server for one user, started from the binary on the machine.

``seguimiento run`` uses it when no database is configured, and tests that stop and kill
a server use it too. The server runs as the current user, listens only on 127.0.0.1 on a
free port, keeps its data in the folder it is given (kept between runs), and has the event
scheduler on, so the sweep runs as in production.

It is private to the user who starts it, even on a shared machine:

- Every account has a password. On first use (or on a folder from before this rule) the
  server is started once with ``--skip-networking``, reachable only through its socket, and
  root gets a random password and the anonymous accounts are dropped; only then does it
  listen on TCP. Passwords live in ``secrets/`` (files 0600, created so).
- TCP stays, with passwords, rather than a socket alone: every tool here (the gateway's
  asyncio driver, yoyo, the TLS tests, a DBA's client) takes a ``host:port`` URL.
- The folder and its ``run/`` (the socket), ``secrets/``, ``files/`` and ``tmp/`` are 0700,
  so other users cannot reach the socket or read a password, token or data file.
- ``--secure-file-priv`` is ``files/``: ``SELECT ... INTO OUTFILE`` and ``LOAD DATA``
  cannot touch any other path, even as root.
- :meth:`EmbeddedServer.provision` creates the three accounts of ``seguimiento grants``;
  the gateway logs in as the app account, which may only EXECUTE its procedures.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mysql.connector

from gateway.db import grants
from gateway.db.dburl import DatabaseUrl
from gateway.db.privatefiles import private_dir, read_or_create_secret

SERVER_BINARIES = ("mariadbd", "mysqld")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"])

NO_BINARY_HELP = """no MariaDB or MySQL server binary (mariadbd or mysqld) on this machine.
Either install one:
    apt-get install mariadb-server        (Debian/Ubuntu)
or run the full deployment with Docker:
    docker compose up
or point seguimiento at a server you have:
    SEGUIMIENTO_DATABASE_URL=mysql://user:password@host:3306/seguimiento"""


ADMIN_USER = "root"
ADMIN_HOSTS = ("localhost", "127.0.0.1")
ACCESS_DENIED = 1045
# The account names of `seguimiento grants` on the private server: seguimiento_app, ...
ACCOUNT_PREFIX = "seguimiento"


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

    ``start()`` initialises and secures the folder on first use, starts the server and
    waits until it answers; ``stop()`` shuts it down cleanly (SIGTERM, the server's normal
    shutdown); ``kill()`` is SIGKILL, for tests of a crashing database. ``url`` is the
    administrator's login (root, with the password kept in ``secrets/``).
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
        """The administrator's login over TCP (for migrate, the demo loader and tests)."""
        return DatabaseUrl(user=ADMIN_USER, password=self._root_password(), host="127.0.0.1", port=self.port,
                           database=self.database)

    @property
    def log_path(self) -> Path:
        return self.datadir / "server.log"

    @property
    def socket_path(self) -> Path:
        return self.datadir / "run" / "server.sock"

    @property
    def files_dir(self) -> Path:
        """The only folder the server may read or write files in (``secure_file_priv``)."""
        return self.datadir / "files"

    @property
    def secrets_dir(self) -> Path:
        return self.datadir / "secrets"

    def password_file(self, user: str) -> Path:
        return self.secrets_dir / f"{user}.password"

    def _root_password(self) -> str:
        try:
            return self.password_file(ADMIN_USER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise EmbeddedServerError(f"{self.datadir} has not been secured yet: start() the server first") from None

    def _initialise(self) -> None:
        data = self.datadir / "data"
        if (data / "mysql").is_dir():
            return
        private_dir(data)
        if self.binary.name == "mariadbd":
            install = shutil.which("mariadb-install-db", path=SEARCH_PATH) or shutil.which(
                "mysql_install_db", path=SEARCH_PATH)
            if not install:
                raise EmbeddedServerError("mariadb-install-db is missing: apt-get install mariadb-server")
            # --skip-test-db: no `test` database and no anonymous accounts.
            command = [install, "--no-defaults", f"--datadir={data}", f"--user={getpass.getuser()}",
                       "--auth-root-authentication-method=normal", "--skip-test-db"]
        else:
            command = [str(self.binary), "--no-defaults", "--initialize-insecure", f"--datadir={data}",
                       f"--user={getpass.getuser()}", f"--secure-file-priv={self.files_dir}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            raise EmbeddedServerError(f"initialising {data} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60.0) -> DatabaseUrl:
        private_dir(self.datadir)
        for folder in ("run", "secrets", "files", "tmp"):
            private_dir(self.datadir / folder)
        self._initialise()
        if not self.password_file(ADMIN_USER).is_file():
            self._secure(timeout)
        self._launch(networking=True)
        self._wait(self.answers, timeout)
        return self.url

    def _launch(self, *, networking: bool) -> None:
        command = [
            str(self.binary), "--no-defaults",
            f"--datadir={self.datadir / 'data'}",
            # Its own tmpdir: a server starting up deletes the #sql* files it finds in its
            # tmpdir, and in a shared /tmp those can be another server's live temporary tables.
            f"--tmpdir={self.datadir / 'tmp'}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.datadir / 'server.pid'}",
            f"--log-error={self.log_path}",
            f"--secure-file-priv={self.files_dir}",
            f"--port={self.port}", "--bind-address=127.0.0.1",
            *(() if networking else ("--skip-networking",)),
            # MySQL's X Protocol plugin would listen on every interface (port 33060).
            *(("--mysqlx=OFF",) if self.binary.name == "mysqld" else ()),
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

    def _wait(self, ready: Callable[[], bool], timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"{self.binary.name} exited with {self.process.returncode}; see {self.log_path}")
            if ready():
                return
            time.sleep(0.2)
        self.kill()
        raise EmbeddedServerError(f"{self.binary.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def _secure(self, timeout: float) -> None:
        """Give root a password and drop every account without one, with no TCP listening.

        The password goes first to ``root.password.new``, and is renamed ``root.password``
        only once the server has it: a run interrupted in between finds it again next time.
        """
        pending = self.secrets_dir / f"{ADMIN_USER}.password.new"
        password = read_or_create_secret(pending)
        self._launch(networking=False)
        conn: list[Any] = []

        def connected() -> bool:
            refused = 0
            for candidate in (password, ""):  # "" : a fresh folder, or one from before this rule
                try:
                    conn.append(mysql.connector.connect(unix_socket=str(self.socket_path), user=ADMIN_USER,
                                                        password=candidate, connection_timeout=2,
                                                        use_pure=True, autocommit=True))
                    return True
                except mysql.connector.Error as exc:
                    refused += exc.errno == ACCESS_DENIED
            if refused == 2:  # it answers, and knows another root password
                raise EmbeddedServerError(
                    f"{self.datadir / 'data'} has a root password that {self.secrets_dir} does not hold: "
                    "a copy of a data folder needs its secrets/ folder too")
            return False

        try:
            self._wait(connected, timeout)
            cur = conn[0].cursor()
            # Root keeps two doors, both with the password: the socket (localhost) and TCP
            # from 127.0.0.1 (MySQL's --initialize makes only the first). Its other hosts
            # (::1, the machine's name) and the anonymous accounts, which let anyone in
            # without a password and shadow '<user>'@'%', are dropped.
            cur.execute("SELECT User, Host FROM mysql.user WHERE User IN ('', %s)", (ADMIN_USER,))
            for user, host in list(cur.fetchall()):
                if user == ADMIN_USER and host in ADMIN_HOSTS:
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, password))
                else:
                    cur.execute("DROP USER %s@%s", (user, host))
            for host in ADMIN_HOSTS:
                cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (ADMIN_USER, host, password))
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'{host}' WITH GRANT OPTION")
            conn[0].close()
        finally:
            self.stop()
        os.replace(pending, self.password_file(ADMIN_USER))

    def provision(self, prefix: str = ACCOUNT_PREFIX) -> DatabaseUrl:
        """The three accounts of ``seguimiento grants`` on the (migrated) database, objects
        re-created under the owner; the app account's login, for the gateway.

        Idempotent: each run sets the passwords kept in ``secrets/`` again.
        """
        from gateway.db.migrate import migrate

        admin = self.url
        accounts = grants.accounts_for(prefix)
        passwords = {role: read_or_create_secret(self.password_file(accounts[role].user))
                     for role in ("app", "reporting")}
        grants.apply(admin, accounts, passwords)
        migrate(admin)
        return admin.model_copy(update={"user": accounts["app"].user, "password": passwords["app"]})

    def answers(self) -> bool:
        """Whether the administrator can log in over TCP."""
        try:
            conn = mysql.connector.connect(host="127.0.0.1", port=self.port, user=ADMIN_USER,
                                           password=self._root_password(), connection_timeout=2, use_pure=True)
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
