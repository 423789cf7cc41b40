"""A private MariaDB/MySQL server for one test, which the test may stop, kill and restart.

Tests that take the database away under a running gateway cannot use the shared server
on 127.0.0.1:3306. This starts a server of their own from the machine's ``mariadbd`` (or
``mysqld``): its own data folder under the test's tmp dir (initialised with
``mariadb-install-db --no-defaults --auth-root-authentication-method=normal``, then
secured), its own unix socket there, a free loopback port that stays the same across
restarts, and ``--user`` the current user (root on these machines). It does not skip grant
tables, so accounts and passwords work as in production. Like ``seguimiento run``'s, it has
no account without a password (root's is in the folder's ``secrets/``) and it has the three
accounts of ``seguimiento grants``: a test gateway given ``server.url`` logs in as the app
account (``tests.gateway.harness.serving_url``), while the test itself uses root.

It is a thin layer over :class:`gateway.db.embedded.EmbeddedServer`, the same code that
``seguimiento run`` uses for its embedded default database, so both keep working together.
Use it as a context manager::

    with private_server(tmp_path) as server:      # started and migrated
        url = server.url                          # mysql://root:<pw>@127.0.0.1:<port>/seguimiento
        server.kill()                             # SIGKILL: a crash
        server.start()                            # same data, same port
        server.stop()                             # SIGTERM: a clean shutdown

The server is always stopped (killed if it will not stop) when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gateway.db.embedded import EmbeddedServer
from gateway.db.migrate import migrate


@contextmanager
def private_server(folder: Path, database: str = "seguimiento") -> Iterator[EmbeddedServer]:
    """A started server with ``database`` migrated and the app account made; stopped when the block ends."""
    from tests.gateway.harness import forget_app_login, register_app_login

    server = EmbeddedServer(folder / "mariadb", database=database)
    try:
        server.start()
        migrate(server.url)
        register_app_login(server.url, server.provision())
        yield server
    finally:
        forget_app_login(server.url)
        try:
            server.stop(timeout=20)
        finally:
            server.kill()
