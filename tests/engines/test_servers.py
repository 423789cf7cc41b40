"""The engine matrix's servers: each starts from its root with the premises the suite relies
on, takes the logins the tests make, and leaves nothing behind."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import mysql.connector
import pytest

from tests.engines.servers import BUILD_ROOTS, ENGINES, ChrootServer, build_root, remove_stale_runs

# The release line each engine of the matrix must be (sid moves the patch level).
LINES = {"mysql-9.7": r"9\.7\.\d+", "mariadb-11.8": r"11\.8\.\d+-MariaDB"}


@pytest.fixture(scope="module", params=sorted(ENGINES))
def server(request: pytest.FixtureRequest) -> Iterator[ChrootServer]:
    """One server per engine for this module's read-mostly tests."""
    engine = ENGINES[request.param]
    build_root(engine)
    with ChrootServer(engine) as started:
        yield started


def connect(server: ChrootServer, user: str = "root", password: str | None = None) -> mysql.connector.MySQLConnection:
    conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user=user,
                                   password=server.password if password is None else password,
                                   connection_timeout=5, use_pure=True, autocommit=True)
    assert isinstance(conn, mysql.connector.MySQLConnection)
    return conn


def variables(server: ChrootServer, *names: str) -> dict[str, str]:
    conn = connect(server)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT " + ", ".join(f"@@{name}" for name in names))
        row = cursor.fetchone()
        assert isinstance(row, tuple)
        return {name: str(value) for name, value in zip(names, row, strict=True)}
    finally:
        conn.close()


def test_the_matrix_runs_every_engine_build_roots_builds() -> None:
    declared = set(re.findall(r"\[([a-z0-9.-]+)\]=", BUILD_ROOTS.read_text()))
    assert declared == set(ENGINES)


def test_a_server_starts_on_its_line_with_the_premises_of_the_suite(server: ChrootServer) -> None:
    assert re.match(LINES[server.engine.name], server.version), server.version
    found = variables(server, "event_scheduler", "bind_address", "port", "secure_file_priv", "tmpdir", "datadir")
    assert found["event_scheduler"] == "ON"
    assert found["bind_address"] == "127.0.0.1"
    assert found["port"] == str(server.port)
    inside = server.inside.as_posix()
    assert found["secure_file_priv"].rstrip("/") == f"{inside}/files"
    assert found["tmpdir"].rstrip("/") == f"{inside}/tmp"
    assert found["datadir"].rstrip("/") == f"{inside}/data"
    assert "ready for connections" in server.log_path.read_text()
    if server.engine.flavour == "mysql":  # the X Protocol is off: no second port
        conn = connect(server)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'mysqlx'"
                           " AND plugin_status = 'ACTIVE'")
            assert cursor.fetchall() == [(0,)]
        finally:
            conn.close()


def test_root_needs_the_random_password(server: ChrootServer) -> None:
    assert len(server.password) >= 16
    with pytest.raises(mysql.connector.Error) as refused:
        connect(server, password="")
    assert refused.value.errno == 1045


def test_an_account_made_for_any_host_logs_in_from_this_machine(server: ChrootServer) -> None:
    # What the grants tests do. On a server fresh from mariadb-install-db, the anonymous
    # ''@'localhost' account ranks first for a local login, and this one gets 1045.
    conn = connect(server)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User = ''")
        assert cursor.fetchall() == [(0,)]
        cursor.execute("CREATE USER 'matrix_app'@'%' IDENTIFIED BY 'app-secret-1'")
    finally:
        conn.close()
    app = connect(server, user="matrix_app", password="app-secret-1")
    try:
        cursor = app.cursor()
        cursor.execute("SELECT CURRENT_USER()")
        assert cursor.fetchall() == [("matrix_app@%",)]
    finally:
        app.close()


def test_stop_ends_the_server_and_removes_its_folder() -> None:
    engine = ENGINES["mariadb-11.8"]
    build_root(engine)
    server = ChrootServer(engine)
    server.start()
    process = server.process
    assert process is not None and server.folder.is_dir()
    server.stop()
    assert process.returncode == 0  # a clean shutdown, not a kill
    assert not server.folder.exists()
    with pytest.raises(mysql.connector.Error):
        connect(server)


def test_a_run_that_died_without_stopping_its_server_is_cleaned_up_by_the_next() -> None:
    engine = ENGINES["mysql-9.7"]
    build_root(engine)
    orphan = ChrootServer(engine)
    orphan.start()
    try:
        finished = subprocess.Popen(["true"])  # a pid whose process has ended
        finished.wait()
        (orphan.folder / "owner").write_text(f"{finished.pid} 0\n")
        remove_stale_runs(engine)
        assert orphan.process is not None
        orphan.process.wait(10)
        assert orphan.process.returncode == -signal.SIGKILL
        assert not orphan.folder.exists()
    finally:
        orphan.stop()


def test_a_live_run_is_left_alone() -> None:
    engine = ENGINES["mariadb-11.8"]
    build_root(engine)
    with ChrootServer(engine) as live:
        remove_stale_runs(engine)
        time.sleep(0.5)
        assert live.process is not None and live.process.poll() is None
        assert Path(live.folder).is_dir()
        connect(live).close()
