"""Least privilege: each account logs in and is refused everything beyond its job."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mysql.connector
import pytest

from gateway.db import grants
from gateway.db.dburl import DatabaseUrl
from gateway.db.embedded import EmbeddedServer
from gateway.db.migrate import migrate
from gateway.db.sqlfiles import SQL_DIR
from tests.dbserver import create_database, drop_database, throwaway_name
from tests.privateserver import private_server
from tests.support import Db, call, connect

DENIED_TABLE = 1142  # ER_TABLEACCESS_DENIED_ERROR
DENIED_ROUTINE = 1370  # ER_PROCACCESS_DENIED_ERROR
ACCESS_DENIED = 1045  # ER_ACCESS_DENIED_ERROR: login refused


class Granted:
    def __init__(self, admin: DatabaseUrl, prefix: str) -> None:
        self.admin = admin
        self.accounts = grants.accounts_for(prefix)
        self.passwords = {"app": secrets.token_urlsafe(12), "reporting": secrets.token_urlsafe(12)}

    def login(self, role: str) -> DatabaseUrl:
        return self.admin.model_copy(update={"user": self.accounts[role].user, "password": self.passwords[role]})


@pytest.fixture(scope="module")
def granted(server: DatabaseUrl) -> Iterator[Granted]:
    """A fresh database with the three accounts (names unique to this run)."""
    url = create_database(server.with_database(throwaway_name("seg_grants")))
    g = Granted(url, "sg" + secrets.token_hex(3))
    migrate(url)
    grants.apply(url, g.accounts, g.passwords)
    migrate(url)
    try:
        yield g
    finally:
        admin = connect(server.with_database("mysql"))
        for account in g.accounts.values():
            admin.cursor().execute(f"DROP USER IF EXISTS {account.sql()}")
        admin.close()
        drop_database(url)


def test_the_committed_script_is_what_the_command_prints() -> None:
    script = SQL_DIR / "grants.sql"
    assert script.read_text() == grants.render_script("seguimiento", grants.accounts_for("seguimiento"))


def test_objects_are_owned_by_the_owner_account(granted: Granted) -> None:
    admin = Db(granted.admin)
    definers = admin.query(
        "SELECT DEFINER AS d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
        "UNION SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
        "UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
    admin.close()
    assert {r["d"] for r in definers} == {granted.accounts["owner"].definer()}


def test_the_owner_cannot_log_in(granted: Granted) -> None:
    owner = granted.admin.model_copy(update={"user": granted.accounts["owner"].user, "password": "anything"})
    with pytest.raises(mysql.connector.Error) as info:
        connect(owner)
    assert info.value.errno in (ACCESS_DENIED, 4151, 3118)  # 3118/4151: account is locked (MySQL/MariaDB)


def test_the_app_account_works_only_through_procedures(granted: Granted) -> None:
    app = connect(granted.login("app"))
    admin = Db(granted.admin)  # the gateway creates asesores through sp_gtr_crear_asesor, with a GTR token
    asesor = admin.asesor("Ana")
    admin.close()
    cliente = call(app, "sp_cargar_cliente_en_campana", "Juan", "999111222", None, None, None)[0][0]["cliente_id"]
    call(app, "sp_derivar_cliente", cliente, asesor, "gtr")
    token = call(app, "sp_tomar_cliente", cliente, asesor)[0][0]["lock_token"]
    call(app, "sp_abrir_wizard", cliente, asesor, token)
    assert call(app, "sp_obtener_cliente", cliente)[0][0]["seguimiento_status"] == "en_gestion"
    for statement in ("SELECT * FROM clientes", "UPDATE clientes SET nombre = 'x'", "DELETE FROM clientes",
                      "SELECT * FROM api_tokens", "SELECT * FROM outbox", "INSERT INTO asesores (nombre) VALUES ('x')"):
        with pytest.raises(mysql.connector.Error) as info:
            app.cursor().execute(statement)
        assert info.value.errno == DENIED_TABLE, statement
    for procedure, args in (("sp_purgar_outbox", ()), ("sp_revocar_token", (1,)), ("sp_crear_asesor", ("x",))):
        with pytest.raises(mysql.connector.Error) as info:
            call(app, procedure, *args)
        assert info.value.errno == DENIED_ROUTINE, procedure
    app.close()


def test_the_reporting_account_reads_views_and_history_only(granted: Granted) -> None:
    reporting = connect(granted.login("reporting"))
    cur = reporting.cursor()
    for name in grants.REPORTING_OBJECTS:
        cur.execute(f"SELECT COUNT(*) FROM {name}")
        cur.fetchall()
    for statement in ("SELECT * FROM clientes", "SELECT * FROM api_tokens", "SELECT * FROM outbox",
                      "UPDATE clientes_historial SET motivo = 'x'"):
        with pytest.raises(mysql.connector.Error) as info:
            cur.execute(statement)
        assert info.value.errno == DENIED_TABLE, statement
    with pytest.raises(mysql.connector.Error) as info:
        call(reporting, "sp_listar_asesores")
    assert info.value.errno == DENIED_ROUTINE
    reporting.close()


def test_grants_survive_a_procedure_being_reinstalled(granted: Granted) -> None:
    admin = Db(granted.admin)
    admin.execute("DROP PROCEDURE sp_listar_asesores")  # as if its file changed
    admin.close()
    report = migrate(granted.admin)
    assert report.installed == ["sp_listar_asesores"]
    app = connect(granted.login("app"))
    call(app, "sp_listar_asesores")
    app.close()


def _login_over_socket(server: EmbeddedServer, user: str, password: str) -> None:
    """Log in through the server's socket (host localhost), as a local client does by default."""
    conn = mysql.connector.connect(unix_socket=str(server.socket_path), user=user, password=password,
                                   database=server.database, use_pure=True)
    conn.close()


def test_a_server_with_anonymous_accounts_is_refused_with_what_to_run(tmp_path: Path) -> None:
    """mariadb-install-db without --skip-test-db makes ''@'localhost' and ''@'<hostname>'."""
    with private_server(tmp_path) as server:
        admin = Db(server.url)
        hostname = admin.query("SELECT @@hostname AS h")[0]["h"]
        for host in ("localhost", hostname):
            admin.execute("CREATE USER %s@%s", ("", host))
        app = grants.accounts_for("seguimiento")["app"]
        app_password = server.password_file(app.user).read_text().strip()
        # The pitfall itself: the anonymous account is picked first, whatever the password.
        with pytest.raises(mysql.connector.Error) as info:
            _login_over_socket(server, app.user, app_password)
        assert info.value.errno == ACCESS_DENIED

        before = admin.query("SELECT User, Host FROM mysql.user ORDER BY User, Host")
        recorded = admin.query("SELECT * FROM cuentas_bd ORDER BY rol")
        grant = [sys.executable, "-m", "gateway", "grants", "--prefix", "otra", "--app-password", "otra-clave-1",
                 "--database-url", server.url.secret_url()]
        result = subprocess.run(grant, capture_output=True, text=True, check=False)
        assert result.returncode != 0
        assert "anonymous accounts" in result.stderr and "1045" in result.stderr, result.stderr
        drops = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("DROP USER")]
        assert sorted(drops) == sorted(f"DROP USER ''@'{host}';" for host in ("localhost", hostname))
        assert admin.query("SELECT User, Host FROM mysql.user ORDER BY User, Host") == before
        assert admin.query("SELECT * FROM cuentas_bd ORDER BY rol") == recorded

        for statement in drops:  # what the message says to run
            admin.execute(statement.rstrip(";"))
        admin.close()
        _login_over_socket(server, app.user, app_password)  # no longer shadowed
        result = subprocess.run(grant, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        _login_over_socket(server, "otra_app", "otra-clave-1")
        tcp = connect(server.url.model_copy(update={"user": "otra_app", "password": "otra-clave-1"}))
        call(tcp, "sp_listar_asesores")
        tcp.close()
