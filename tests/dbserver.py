"""Finding a real MySQL/MariaDB server for the tests, and throwaway databases on it.

Where the server comes from, first match wins:
1. ``SEGUIMIENTO_TEST_DSN`` (``mysql://user:password@host:port/any``): that server.
2. The local server on 127.0.0.1:3306, user root, empty password (every machine of this
   project's kind runs MariaDB there).
3. Docker, when an engine answers: a testcontainers MySQL of the tested line
   (:data:`MYSQL_IMAGE`) with the event scheduler on.
Otherwise the run fails and says how to get one. Database tests never skip.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import mysql.connector

from gateway.db.dburl import DatabaseUrl

DSN_ENV = "SEGUIMIENTO_TEST_DSN"
# The command-line client for that server (the engine matrix gives each engine's own);
# otherwise the machine's mariadb or mysql.
CLIENT_ENV = "SEGUIMIENTO_TEST_CLIENT"
# The engine matrix (tests/engines/matrix.py) names the engine of each run here.
ENGINE_ENV = "SEGUIMIENTO_TEST_ENGINE"
LOCAL = DatabaseUrl(user="root", password="", host="127.0.0.1", port=3306, database="test")

# The MySQL line the suite tests, declared once: the engine matrix runs it, the Docker
# fallback below starts it, and docker-compose.yml pins its image to it (tests/test_compose.py
# compares them).
MYSQL_LINE = "9.7"
MYSQL_IMAGE = f"mysql:{MYSQL_LINE}"

NO_SERVER_HELP = f"""no MySQL/MariaDB server for the tests.
Give one of:
  - {DSN_ENV}=mysql://root:password@host:3306/test (any server you may create databases on);
  - a local server on 127.0.0.1:3306 with user root and an empty password, e.g.
      apt-get install mariadb-server
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  - a running Docker engine (the tests then start {MYSQL_IMAGE} with testcontainers)."""


class NoServerError(RuntimeError):
    pass


def _refusal(url: DatabaseUrl) -> str | None:
    """Why ``url``'s server cannot be used (its error), or None when it answers."""
    try:
        args = url.connect_args()
        args.pop("database")
        conn = mysql.connector.connect(**args, connection_timeout=3, use_pure=True)
    except mysql.connector.Error as exc:
        return f"{url}: {exc}"
    conn.close()
    return None


def server_version() -> tuple[str, str]:
    """The VERSION() of the server this run's tests will use, and where it is, for the run's
    header; ("", where) when it does not answer. Never starts one (no Docker here)."""
    dsn = os.environ.get(DSN_ENV)
    try:
        url = DatabaseUrl.parse(dsn) if dsn else LOCAL
    except ValueError as exc:
        return "", f"{DSN_ENV} ({exc})"
    where = f"{url.host}:{url.port}" + (f" ({DSN_ENV})" if dsn else "")
    try:
        args = url.connect_args()
        args.pop("database")
        conn = mysql.connector.connect(**args, connection_timeout=3, use_pure=True)
    except mysql.connector.Error:
        return "", where
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT VERSION()")
        row = cursor.fetchone()
    finally:
        conn.close()
    return (str(row[0]) if isinstance(row, tuple) else ""), where


def _docker_available() -> bool:
    try:
        import docker  # testcontainers depends on it

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextmanager
def test_server() -> Iterator[DatabaseUrl]:
    """A server the tests may create and drop databases on."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        url = DatabaseUrl.parse(dsn)
        refusal = _refusal(url)
        if refusal:
            raise NoServerError(f"{DSN_ENV} is set but {refusal}.\n{NO_SERVER_HELP}")
        yield url
        return
    local_refusal = _refusal(LOCAL)
    if local_refusal is None:
        yield LOCAL
        return
    if _docker_available():
        try:
            from testcontainers.community.mysql import MySqlContainer
        except ImportError:  # testcontainers before 4.9 kept it here
            from testcontainers.mysql import MySqlContainer  # type: ignore[no-redef]

        container = MySqlContainer(MYSQL_IMAGE, username="root", password="test", dbname="test")
        container.with_command("--event-scheduler=ON")
        with container:
            yield DatabaseUrl(
                user="root",
                password="test",
                host=container.get_container_host_ip(),
                port=int(container.get_exposed_port(3306)),
                database="test",
            )
        return
    raise NoServerError(f"{NO_SERVER_HELP}\n(the local server said: {local_refusal}; no Docker engine answered)")


def throwaway_name(prefix: str = "seg_test") -> str:
    """A database name no other run (a CI clone beside this checkout, say) will use."""
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"


def create_database(url: DatabaseUrl, options: str = "") -> DatabaseUrl:
    """Create ``url``'s database the way a DBA does, ``CREATE DATABASE name``: with the
    server's default character set and collation unless ``options`` (say ``CHARACTER SET
    latin1``) gives others. The schema must work whatever those defaults are, so the tests
    never let ``migrate`` create their databases with the collation it would choose."""
    _on_server(url, f"CREATE DATABASE `{url.database}` {options}")
    return url


def drop_database(url: DatabaseUrl) -> None:
    _on_server(url, f"DROP DATABASE IF EXISTS `{url.database}`")


def _on_server(url: DatabaseUrl, statement: str) -> None:
    """One statement on ``url``'s server, outside any database."""
    args = url.connect_args()
    args.pop("database")
    conn = mysql.connector.connect(**args, use_pure=True, autocommit=True)
    try:
        conn.cursor().execute(statement)
    finally:
        conn.close()


def client_command() -> list[str]:
    """The command-line client a DBA would use on this server: SEGUIMIENTO_TEST_CLIENT (the
    engine matrix sets it, e.g. MySQL's own ``mysql`` inside its root), else the machine's."""
    configured = os.environ.get(CLIENT_ENV)
    if configured:
        return shlex.split(configured)
    for name in ("mariadb", "mysql"):
        if shutil.which(name):
            return [name]
    raise NoServerError("no mysql/mariadb command-line client: apt-get install mariadb-client")
