"""``seguimiento migrate``: from empty, again, concurrently, after edits and accidents, and
compared with what a DBA gets by piping the same files through the ``mariadb`` client."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mysql.connector
import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import MigrationReport, migrate
from gateway.db.sqlfiles import SQL_DIR, load_objects
from tests.dbserver import drop_database, throwaway_name
from tests.support import Db, connect

REPO = Path(__file__).resolve().parent.parent
MIGRATION_IDS = sorted(p.stem for p in (SQL_DIR / "migrations").glob("*.sql"))
OBJECTS = load_objects()
OBJECT_NAMES = sorted(o.name for o in OBJECTS)
TABLES = {"asesores", "clientes", "clientes_historial", "outbox", "outbox_secuencia", "seguimiento_config",
          "api_tokens", "objetos_instalados"}


@pytest.fixture
def fresh(server: DatabaseUrl) -> Iterator[Callable[[], DatabaseUrl]]:
    """Names of databases that do not exist yet; each is dropped after the test."""
    made: list[DatabaseUrl] = []

    def make() -> DatabaseUrl:
        url = server.with_database(throwaway_name("seg_migrate"))
        made.append(url)
        return url

    try:
        yield make
    finally:
        for url in made:
            drop_database(url)


def query(url: DatabaseUrl, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    db = Db(url)
    try:
        return db.query(sql, params)
    finally:
        db.close()


def execute(url: DatabaseUrl, *statements: str) -> None:
    db = Db(url)
    try:
        for statement in statements:
            db.execute(statement)
    finally:
        db.close()


def schema_dump(url: DatabaseUrl) -> dict[str, str]:
    """Every table, procedure, view and event as SHOW CREATE prints it, normalised: no
    definers, counters, event start times or database name, so two databases compare."""
    conn = connect(url)
    try:
        cur = conn.cursor()
        objects: list[tuple[str, str]] = []
        cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        objects += [("VIEW" if kind == "VIEW" else "TABLE", name) for name, kind in cur.fetchall()]
        cur.execute("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                    "WHERE ROUTINE_SCHEMA = DATABASE()")
        objects += list(cur.fetchall())
        cur.execute("SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
        objects += list(cur.fetchall())
        dump = {}
        for kind, name in objects:
            cur.execute(f"SHOW CREATE {kind} `{name}`")
            row = cur.fetchone()
            text = next(v for v in row if isinstance(v, str) and v.upper().lstrip().startswith("CREATE"))
            text = re.sub(r" AUTO_INCREMENT=\d+", "", text)
            text = re.sub(r"DEFINER=`[^`]*`@`[^`]*`\s*", "", text)
            text = re.sub(r"STARTS '[^']*'\s*", "", text)
            text = text.replace(f"`{url.database}`.", "")
            dump[f"{kind} {name}"] = text
        return dump
    finally:
        conn.close()


def assert_complete(url: DatabaseUrl) -> None:
    """Every table, object and default row is there, and the procedures work."""
    tables = {r["TABLE_NAME"] for r in query(url, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")}
    assert tables >= TABLES
    dump = schema_dump(url)
    for obj in OBJECTS:
        assert f"{obj.kind} {obj.name}" in dump, obj.name
    config = {r["clave"]: r["valor"] for r in query(url, "SELECT clave, valor FROM seguimiento_config")}
    assert config["timeout_segundos"] == 300
    assert query(url, "SELECT id, ultimo_id FROM outbox_secuencia") == [{"id": 1, "ultimo_id": 0}]
    events = query(url, "SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
    assert {e["STATUS"] for e in events} == {"ENABLED"}


# --- the Python API ----------------------------------------------------------------------------------


def test_from_empty(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    assert not query(url.with_database("information_schema"),
                     "SELECT 1 FROM SCHEMATA WHERE SCHEMA_NAME = %s", (url.database,))
    report = migrate(url)
    assert report.applied == MIGRATION_IDS
    assert sorted(report.installed) == OBJECT_NAMES and report.unchanged == []
    assert report.changed
    assert_complete(url)
    charset = query(url, "SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co "
                         "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")
    assert charset == [{"cs": "utf8mb4", "co": "utf8mb4_unicode_ci"}]

    db = Db(url)
    try:
        asesor = db.asesor()
        cliente_id, token = db.en_gestion(asesor)
        db.call("sp_completar_wizard", cliente_id, asesor, token)
        assert db.cliente(cliente_id)["seguimiento_status"] == "terminado"
    finally:
        db.close()


def test_twice_in_a_row_changes_nothing(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    migrate(url)
    dump = schema_dump(url)
    installed = query(url, "SELECT * FROM objetos_instalados ORDER BY tipo, nombre")

    again = migrate(url)
    assert again.changed is False
    assert (again.applied, again.installed, again.events_enabled) == ([], [], [])
    assert sorted(again.unchanged) == OBJECT_NAMES
    assert schema_dump(url) == dump
    assert query(url, "SELECT * FROM objetos_instalados ORDER BY tipo, nombre") == installed


def test_concurrent_runs_all_succeed_with_one_result(fresh: Callable[[], DatabaseUrl]) -> None:
    url, reference = fresh(), fresh()
    migrate(reference)
    barrier = threading.Barrier(4)
    reports: list[MigrationReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(migrate(url))
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(reports) == 4
    # The runs queue on the migration lock: one does the work, the others find it done.
    assert sorted(m for r in reports for m in r.applied) == MIGRATION_IDS
    assert sorted(o for r in reports for o in r.installed) == OBJECT_NAMES
    assert sum(r.changed for r in reports) == 1
    assert schema_dump(url) == schema_dump(reference)
    assert_complete(url)


@pytest.mark.parametrize(("file", "old", "new", "check"), [
    ("procedures/sp_listar_asesores.sql", "ORDER BY id;", "ORDER BY id DESC;",
     "SELECT ROUTINE_DEFINITION AS d FROM information_schema.ROUTINES "
     "WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'sp_listar_asesores'"),
    ("views/v_clientes.sql", "\n  FROM clientes c;", ", 'editado' AS marca\n  FROM clientes c;",
     "SELECT VIEW_DEFINITION AS d FROM information_schema.VIEWS "
     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'v_clientes'"),
    ("events/ev_purgar_outbox.sql", "EVERY 1 HOUR", "EVERY 2 HOUR",
     "SELECT CONCAT(INTERVAL_VALUE, ' ', INTERVAL_FIELD) AS d FROM information_schema.EVENTS "
     "WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_purgar_outbox'"),
], ids=["procedure", "view", "event"])
def test_an_edited_file_is_installed_again(fresh: Callable[[], DatabaseUrl], tmp_path: Path,
                                           file: str, old: str, new: str, check: str) -> None:
    url = fresh()
    migrate(url)
    before = query(url, check)[0]["d"]
    edited = tmp_path / "sql"
    shutil.copytree(SQL_DIR, edited)
    path = edited / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{file} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new), encoding="utf-8")

    report = migrate(url, sql_dir=edited)
    assert report.installed == [path.stem] and report.applied == []
    after = query(url, check)[0]["d"]
    assert after != before and ("2 HOUR" in after or "DESC" in after or "editado" in after)
    assert migrate(url, sql_dir=edited).changed is False

    # Back to the committed files: installed back.
    assert migrate(url).installed == [path.stem]
    assert query(url, check)[0]["d"] == before


def test_a_dropped_object_is_installed_again(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    migrate(url)
    dump = schema_dump(url)
    execute(url, "DROP PROCEDURE sp_tomar_cliente", "DROP PROCEDURE _registrar_cambio", "DROP VIEW v_clientes",
            "DROP EVENT ev_barrido_seguimiento")
    report = migrate(url)
    assert sorted(report.installed) == sorted(
        ["sp_tomar_cliente", "_registrar_cambio", "v_clientes", "ev_barrido_seguimiento"])
    assert schema_dump(url) == dump
    assert migrate(url).changed is False


def disable_on_replica(url: DatabaseUrl, event: str) -> None:
    """What a replica's copy of an event looks like (MySQL 8.4 says REPLICA, MariaDB SLAVE)."""
    try:
        execute(url, f"ALTER EVENT {event} DISABLE ON REPLICA")
    except mysql.connector.Error:
        execute(url, f"ALTER EVENT {event} DISABLE ON SLAVE")


def test_disabled_events_are_enabled_again(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    migrate(url)
    execute(url, "ALTER EVENT ev_barrido_seguimiento DISABLE")
    disable_on_replica(url, "ev_purgar_outbox")
    statuses = {r["EVENT_NAME"]: r["STATUS"] for r in query(
        url, "SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")}
    assert statuses["ev_barrido_seguimiento"] == "DISABLED"
    assert statuses["ev_purgar_outbox"] in ("SLAVESIDE_DISABLED", "REPLICA_SIDE_DISABLED")

    report = migrate(url)
    assert sorted(report.events_enabled) == ["ev_barrido_seguimiento", "ev_purgar_outbox"]
    assert report.changed and report.installed == []
    statuses = {r["EVENT_NAME"]: r["STATUS"] for r in query(
        url, "SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")}
    assert statuses == {"ev_barrido_seguimiento": "ENABLED", "ev_purgar_outbox": "ENABLED",
                        "ev_caducar_tokens": "ENABLED", "ev_distribuir": "ENABLED",
                        "ev_resumir_historial": "ENABLED"}
    assert migrate(url).changed is False


def test_a_foreign_event_is_left_alone(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    migrate(url)
    execute(url, "CREATE EVENT ev_de_otro ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1")
    assert migrate(url).events_enabled == []
    assert query(url, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
                      "AND EVENT_NAME = 'ev_de_otro'") == [{"STATUS": "DISABLED"}]


# --- the DBA's way: the same files through the mariadb/mysql client ------------------------------------


def client_binary() -> str:
    found = shutil.which("mariadb") or shutil.which("mysql")
    assert found, "the DBA path needs the mariadb (or mysql) client: apt-get install mariadb-client"
    return found


def pipe_through_client(url: DatabaseUrl, path: Path) -> None:
    env = {**os.environ, "MYSQL_PWD": url.password}
    with path.open("rb") as stdin:
        done = subprocess.run(
            [client_binary(), f"--host={url.host}", f"--port={url.port}", f"--user={url.user}", url.database],
            stdin=stdin, capture_output=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, f"{path.name}: {done.stderr.decode()}"


def without_comments(text: str) -> str:
    """The client strips -- comments before sending a statement; compare the code only."""
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def installed_definitions(url: DatabaseUrl) -> dict[str, Any]:
    routines = query(url, "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, SECURITY_TYPE, IS_DETERMINISTIC, "
                          "SQL_DATA_ACCESS FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()")
    parameters = query(url, "SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, "
                            "DTD_IDENTIFIER FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = DATABASE() "
                            "ORDER BY SPECIFIC_NAME, ORDINAL_POSITION")
    views = query(url, "SELECT TABLE_NAME, VIEW_DEFINITION, SECURITY_TYPE, CHECK_OPTION FROM information_schema.VIEWS "
                       "WHERE TABLE_SCHEMA = DATABASE()")
    events = query(url, "SELECT EVENT_NAME, EVENT_DEFINITION, EVENT_TYPE, INTERVAL_VALUE, INTERVAL_FIELD, STATUS, "
                        "ON_COMPLETION, EVENT_COMMENT FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
    for r in routines:
        r["ROUTINE_DEFINITION"] = without_comments(r["ROUTINE_DEFINITION"])
    for v in views:
        v["VIEW_DEFINITION"] = v["VIEW_DEFINITION"].replace(f"`{url.database}`.", "")
    for e in events:
        e["EVENT_DEFINITION"] = without_comments(e["EVENT_DEFINITION"])
    return {
        "routines": sorted(routines, key=lambda r: r["ROUTINE_NAME"]),
        "parameters": parameters,
        "views": sorted(views, key=lambda v: v["TABLE_NAME"]),
        "events": sorted(events, key=lambda e: e["EVENT_NAME"]),
    }


def test_the_dba_gets_the_same_objects_from_the_client(fresh: Callable[[], DatabaseUrl]) -> None:
    by_migrate, by_client = fresh(), fresh()
    migrate(by_migrate)
    # The DBA's database: the same tables, none of the objects, then every file piped through
    # the client in migrate's order (procedures, views, events).
    migrate(by_client)
    execute(by_client, *[f"DROP {o.kind} `{o.name}`" for o in reversed(OBJECTS)])
    assert not query(by_client, "SELECT 1 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()")
    for obj in OBJECTS:
        pipe_through_client(by_client, obj.path)

    # Not compared: SQL_MODE. migrate creates every object under one fixed sql_mode, while the
    # client uses the server's default (on MariaDB 10.11 it lacks ONLY_FULL_GROUP_BY and
    # NO_ZERO_DATE); a routine keeps the sql_mode it was created under.
    expected, got = installed_definitions(by_migrate), installed_definitions(by_client)
    for part in ("routines", "parameters", "views", "events"):
        assert got[part] == expected[part], part

    # And the DBA's objects work.
    db = Db(by_client)
    try:
        asesor = db.asesor()
        cliente_id, token = db.en_gestion(asesor)
        db.call("sp_completar_wizard", cliente_id, asesor, token)
        assert [e["event_type"] for e in db.outbox()][-1] == "CLIENT_COMPLETED"
        assert db.call_one("sp_barrido_seguimiento") == {"devueltos": 0, "omitido": 0}
    finally:
        db.close()


def test_each_file_runs_twice_through_the_client(fresh: Callable[[], DatabaseUrl]) -> None:
    # A DBA re-running a file (DROP ... IF EXISTS first) gets no error and the same object.
    url = fresh()
    migrate(url)
    expected = installed_definitions(url)
    for obj in OBJECTS:
        pipe_through_client(url, obj.path)
    assert installed_definitions(url) == expected


# --- the commands -------------------------------------------------------------------------------------


def run_command(args: list[str], url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEGUIMIENTO_DATABASE_URL"}
    if url is not None:
        env["SEGUIMIENTO_DATABASE_URL"] = url
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def console_script() -> str:
    script = Path(sys.executable).parent / "seguimiento"
    assert script.exists(), f"{script} missing: install the package (pip install -e .)"
    return str(script)


def test_python_dash_m_gateway_migrate(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    done = run_command([sys.executable, "-m", "gateway", "migrate", "--database-url", url.secret_url()], None)
    assert done.returncode == 0, done.stderr
    assert f"{len(MIGRATION_IDS)} migration(s) applied" in done.stdout
    assert "Traceback" not in done.stderr
    assert_complete(url)


def test_the_seguimiento_console_script_reads_the_environment(fresh: Callable[[], DatabaseUrl]) -> None:
    url = fresh()
    first = run_command([console_script(), "migrate"], url.secret_url())
    assert first.returncode == 0, first.stderr
    second = run_command([console_script(), "migrate"], url.secret_url())
    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied, 0 object(s) installed" in second.stdout
    if url.password:
        assert url.password not in first.stdout + first.stderr


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://root@127.0.0.1/seguimiento", "mysql://"),
    ("mysql://root@127.0.0.1:3306/", "names no database"),
    ("mysql://root@127.0.0.1:99999/x", "port"),
    ("mysql://root@127.0.0.1:1/seguimiento", "127.0.0.1:1"),
    (None, "SEGUIMIENTO_DATABASE_URL"),
])
@pytest.mark.parametrize("how", ["module", "script"])
def test_a_bad_url_exits_2_with_a_message(url: str | None, says: str, how: str) -> None:
    command = [sys.executable, "-m", "gateway"] if how == "module" else [console_script()]
    done = run_command([*command, "migrate"], url)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("seguimiento migrate: "), done.stderr
    assert says in done.stderr, done.stderr
