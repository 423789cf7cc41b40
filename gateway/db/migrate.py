"""``seguimiento migrate``: bring a database to the current schema and objects.

1. Creates the database if it is missing (when the account may).
2. Applies the numbered table migrations in ``sql/migrations/`` with yoyo-migrations.
3. (Re)installs every procedure, view and event under ``sql/`` whose file changed since it
   was installed, or which is missing; an unchanged object is left alone, so a second run
   changes nothing and running procedures are never dropped under a live gateway.
4. Where ``seguimiento grants`` recorded accounts (``cuentas_bd``), creates objects with the
   owner account as DEFINER (re-creating any that another definer owns) and grants the
   application and reporting accounts again, since a re-installed procedure lost its grants.
5. Enables the events (a replica promoted to primary has them disabled) and turns the event
   scheduler on where the account may; otherwise it says what to do.

Two runs at once are safe: the whole migration holds a named server lock.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mysql.connector
from mysql.connector.abstracts import MySQLConnectionAbstract
from yoyo import get_backend, read_migrations

from gateway.db import grants
from gateway.db.dburl import DatabaseUrl
from gateway.db.sqlfiles import SQL_DIR, SqlFilesMissingError, SqlObject, load_objects

LOCK_TIMEOUT_S = 300

# The objects are created under this sql_mode whatever the server's default, so they behave
# the same on MySQL 8.4 and MariaDB (a routine keeps the sql_mode it was created with).
SQL_MODE = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.commands.cli import add_database_url

    add_database_url(parser)


def main(args: argparse.Namespace) -> int:
    """``seguimiento migrate``."""
    from gateway.commands.cli import CommandError

    url = DatabaseUrl.from_args_or_env(args.database_url)
    try:
        report = migrate(url, log=print)
    except (MigrationError, SqlFilesMissingError, mysql.connector.Error) as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{url}: {len(report.applied)} migration(s) applied, {len(report.installed)} object(s) "
        f"installed, {len(report.unchanged)} unchanged; event scheduler {report.event_scheduler}"
    )
    return 0


class MigrationError(RuntimeError):
    """The migration could not be completed."""


@dataclass
class MigrationReport:
    applied: list[str] = field(default_factory=list)
    installed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    events_enabled: list[str] = field(default_factory=list)
    event_scheduler: str = "OFF"
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.installed or self.events_enabled)


def connect(url: DatabaseUrl, *, database: bool = True) -> MySQLConnectionAbstract:
    """An autocommit connection in UTC, the way every seguimiento tool talks to the server."""
    args = url.connect_args()
    if not database:
        args.pop("database")
    conn = mysql.connector.connect(**args, autocommit=True, time_zone="+00:00", use_pure=True)
    return conn  # type: ignore[return-value]


def migrate(url: DatabaseUrl, log: Callable[[str], None] = lambda _msg: None,
            sql_dir: Path = SQL_DIR) -> MigrationReport:
    """Apply migrations and install objects into ``url``'s database. Idempotent.

    ``sql_dir`` holds ``migrations/`` and the object folders; only tests point it elsewhere
    (at an edited copy, to see a changed file re-installed).
    """
    report = MigrationReport()
    objects = load_objects(sql_dir)
    _create_database(url, report)
    conn = connect(url)
    try:
        cur = conn.cursor()
        lock_name = f"seguimiento.migrate.{url.database}"
        cur.execute("SELECT GET_LOCK(%s, %s)", (lock_name, LOCK_TIMEOUT_S))
        (got,) = cur.fetchone()  # type: ignore[misc]
        if got != 1:
            raise MigrationError(f"another migrate still holds {lock_name!r} after {LOCK_TIMEOUT_S} s")
        try:
            report.applied = _apply_table_migrations(url, sql_dir / "migrations")
            for name in report.applied:
                log(f"applied migration {name}")
            cur.execute(f"SET SESSION sql_mode = '{SQL_MODE}'")
            accounts = grants.recorded_accounts(conn)
            owner = accounts.get("owner")
            _install_objects(conn, objects, report, log, owner)
            if owner is not None:
                for statement in grants.privilege_statements(url.database, accounts):
                    cur.execute(statement)
            _enable_events(conn, objects, report, log)
            _ensure_event_scheduler(conn, report)
        finally:
            cur.execute("DO RELEASE_LOCK(%s)", (lock_name,))
    finally:
        conn.close()
    for warning in report.warnings:
        log(f"warning: {warning}")
    return report


def _create_database(url: DatabaseUrl, report: MigrationReport) -> None:
    conn = connect(url, database=False)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (url.database,))
        if cur.fetchone():
            return
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{url.database}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        conn.close()


def _apply_table_migrations(url: DatabaseUrl, migrations_dir: Path) -> list[str]:
    backend = get_backend(url.secret_url())  # yoyo's mysql:// backend uses PyMySQL
    try:
        migrations = read_migrations(str(migrations_dir))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def _install_objects(conn: MySQLConnectionAbstract, objects: list[SqlObject], report: MigrationReport,
                     log: Callable[[str], None], owner: grants.Account | None) -> None:
    cur = conn.cursor()
    cur.execute("SELECT tipo, nombre, sha256 FROM objetos_instalados")
    recorded = {(kind, name): sha for kind, name, sha in cur.fetchall()}  # type: ignore[misc]
    present = _present_objects(conn)
    for obj in objects:
        key = (obj.kind, obj.name)
        unchanged = recorded.get(key) == obj.sha256 and key in present
        if unchanged and (owner is None or present[key] == owner.definer()):
            report.unchanged.append(obj.name)
            continue
        _install(conn, obj, owner)
        report.installed.append(obj.name)
        log(f"installed {obj.kind.lower()} {obj.name}")


_CREATE = re.compile(r"^CREATE\s+(OR\s+REPLACE\s+)?(PROCEDURE|VIEW|EVENT)\b", re.IGNORECASE)


def _with_definer(statement: str, owner: grants.Account | None) -> str:
    """``CREATE PROCEDURE ...`` as ``CREATE DEFINER = owner PROCEDURE ...``."""
    if owner is None:
        return statement
    return _CREATE.sub(lambda m: f"CREATE {m.group(1) or ''}DEFINER = {owner.sql()} {m.group(2)}", statement, count=1)


def _install(conn: MySQLConnectionAbstract, obj: SqlObject, owner: grants.Account | None) -> None:
    cur = conn.cursor()
    try:
        for statement in obj.statements:
            cur.execute(_with_definer(statement, owner))
    except mysql.connector.Error as exc:
        raise MigrationError(f"{obj.path.name}: {exc}") from exc
    cur.execute(
        "INSERT INTO objetos_instalados (nombre, tipo, sha256, instalado_at) "
        "VALUES (%s, %s, %s, UTC_TIMESTAMP(6)) "
        "ON DUPLICATE KEY UPDATE sha256 = VALUES(sha256), instalado_at = VALUES(instalado_at)",
        (obj.name, obj.kind, obj.sha256),
    )


def _present_objects(conn: MySQLConnectionAbstract) -> dict[tuple[str, str], str]:
    """Every procedure, view and event in the database, with its definer."""
    cur = conn.cursor()
    cur.execute(
        "SELECT 'PROCEDURE', ROUTINE_NAME, DEFINER FROM information_schema.ROUTINES "
        " WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE' "
        "UNION ALL SELECT 'VIEW', TABLE_NAME, DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT 'EVENT', EVENT_NAME, DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"
    )
    return {(str(kind), str(name)): str(definer) for kind, name, definer in cur.fetchall()}  # type: ignore[misc]


def _enable_events(conn: MySQLConnectionAbstract, objects: list[SqlObject], report: MigrationReport,
                   log: Callable[[str], None]) -> None:
    """Re-enable our events where they are disabled, e.g. on a replica promoted to primary."""
    names = [o.name for o in objects if o.kind == "EVENT"]
    cur = conn.cursor()
    cur.execute(
        "SELECT EVENT_NAME FROM information_schema.EVENTS "
        " WHERE EVENT_SCHEMA = DATABASE() AND STATUS <> 'ENABLED'"
    )
    for (found,) in cur.fetchall():  # type: ignore[misc]
        name = str(found)
        if name in names:
            cur.execute(f"ALTER EVENT `{name}` ENABLE")
            report.events_enabled.append(name)
            log(f"enabled event {name}")


def _ensure_event_scheduler(conn: MySQLConnectionAbstract, report: MigrationReport) -> None:
    cur = conn.cursor()
    cur.execute("SELECT @@GLOBAL.event_scheduler")
    (value,) = cur.fetchone()  # type: ignore[misc]
    state = str(value).upper()
    if state != "ON":
        try:
            cur.execute("SET GLOBAL event_scheduler = ON")
            state = "ON"
        except mysql.connector.Error as exc:
            report.warnings.append(
                f"the event scheduler is {state} and could not be turned on ({exc.msg}). "
                "The timeout sweep does not run until it is: start the server with "
                "--event-scheduler=ON (my.cnf: event_scheduler=ON) or run "
                "SET GLOBAL event_scheduler = ON as an administrator."
            )
    report.event_scheduler = state
