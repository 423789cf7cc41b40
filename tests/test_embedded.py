"""The private server secures itself: a folder from before passwords, and a copied data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import mysql.connector
import pytest

from gateway.db.embedded import ADMIN_USER, EmbeddedServer, EmbeddedServerError
from tests.support import Db

ACCESS_DENIED = 1045


def passwordless_login(server: EmbeddedServer) -> bool:
    try:
        conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user=ADMIN_USER, password="",
                                       connection_timeout=3, use_pure=True)
    except mysql.connector.Error as exc:
        assert exc.errno == ACCESS_DENIED, exc
        return False
    conn.close()
    return True


def test_a_folder_from_before_passwords_is_secured_when_it_starts(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "db")
    try:
        server.start()
        assert not passwordless_login(server)
        # Back to how an older seguimiento left var/db: root without a password, no secrets/.
        admin = Db(server.url.with_database("mysql"))
        for host in ("localhost", "127.0.0.1"):
            admin.execute("ALTER USER %s@%s IDENTIFIED BY ''", (ADMIN_USER, host))
        admin.close()
        server.stop()
        server.password_file(ADMIN_USER).unlink()
        assert server.start()  # secured again, then serving
        assert not passwordless_login(server)
        Db(server.url.with_database("mysql")).close()
    finally:
        server.stop()
        server.kill()


def test_a_copied_data_folder_without_its_secrets_is_refused_saying_so(tmp_path: Path) -> None:
    original = EmbeddedServer(tmp_path / "original")
    original.start()
    original.stop()
    shutil.copytree(original.datadir / "data", tmp_path / "copy" / "data")
    copy = EmbeddedServer(tmp_path / "copy")
    try:
        with pytest.raises(EmbeddedServerError, match="needs its secrets/ folder too"):
            copy.start(timeout=30)
        assert copy.process is not None and copy.process.poll() is not None, "the server was left running"
    finally:
        copy.kill()
