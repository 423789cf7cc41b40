"""Test helpers: plain mysql-connector connections that call procedures and read tables."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import mysql.connector
import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.errors import ErrorCode

DEFAULT_CONFIG = {
    "timeout_segundos": 300,
    "outbox_retencion_horas": 168,
    "barrido_lote": 1000,
    "barrido_lotes_max": 20,
    "transaccion_interrumpida_segundos": 5,
    "token_asesor_vigencia_segundos": 43200,
}

Row = dict[str, Any]


class Db:
    """One autocommit connection (UTC) to a test database, with small helpers."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.conn = connect(url)

    def close(self) -> None:
        self.conn.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        cur = self.conn.cursor()
        cur.execute(sql, tuple(params))
        if cur.with_rows:
            cur.fetchall()
        cur.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self.conn.cursor(dictionary=True)
        cur.execute(sql, tuple(params))
        rows = cur.fetchall()
        cur.close()
        return rows  # type: ignore[return-value]

    def explain(self, sql: str) -> list[Row]:
        """The query plan as rows with the traditional columns (type, key, rows...)."""
        return self.query(explain_statement(self.conn, sql))

    def call(self, procedure: str, *args: Any) -> list[list[Row]]:
        """CALL a procedure; every result set it returned, each a list of dict rows."""
        return call(self.conn, procedure, *args)

    def call_one(self, procedure: str, *args: Any) -> Row:
        """CALL a procedure that returns exactly one row in one result set."""
        sets = self.call(procedure, *args)
        assert len(sets) == 1 and len(sets[0]) == 1, sets
        return sets[0][0]

    def cliente(self, cliente_id: int) -> Row:
        rows = self.query("SELECT * FROM clientes WHERE id = %s", (cliente_id,))
        assert rows, f"cliente {cliente_id} missing"
        return rows[0]

    def outbox(self) -> list[Row]:
        rows = self.query("SELECT * FROM outbox ORDER BY id")
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows

    def historial(self, cliente_id: int | None = None) -> list[Row]:
        if cliente_id is None:
            return self.query("SELECT * FROM clientes_historial ORDER BY id")
        return self.query("SELECT * FROM clientes_historial WHERE cliente_id = %s ORDER BY id", (cliente_id,))

    def set_config(self, clave: str, valor: int) -> None:
        self.execute("UPDATE seguimiento_config SET valor = %s WHERE clave = %s", (valor, clave))

    def snapshot(self) -> dict[str, list[Row]]:
        """Every row of every data table: compare two to prove a refused call changed nothing."""
        tables = ("asesores", "clientes", "clientes_historial", "outbox", "outbox_secuencia", "api_tokens")
        return {t: self.query(f"SELECT * FROM {t} ORDER BY 1") for t in tables}

    def reset(self) -> None:
        """Empty the data tables and restore the default configuration."""
        for table in ("clientes_historial", "outbox", "api_tokens", "clientes", "importaciones", "asesores",
                      "reporte_asesor_hora", "reporte_tiempos", "auditoria_admin"):
            self.execute(f"DELETE FROM {table}")
        self.execute("UPDATE outbox_secuencia SET ultimo_id = 0 WHERE id = 1")
        # The report summaries follow the outbox ids, which start again from 0.
        self.execute("UPDATE reporte_progreso SET ultimo_outbox_id = 0, actualizado_at = NULL WHERE id = 1")
        for clave, valor in DEFAULT_CONFIG.items():
            self.set_config(clave, valor)

    # The usual setup steps, each through the public procedures.
    def asesor(self, nombre: str = "Ana") -> int:
        return int(self.call_one("sp_crear_asesor", nombre)["asesor_id"])

    def nuevo_cliente(self, nombre: str = "Juan Pérez", telefono: str | None = "+51 999 888 777") -> int:
        return int(self.call_one("sp_cargar_cliente", nombre, telefono, None)["cliente_id"])

    def derivado(self, asesor_id: int) -> int:
        cliente_id = self.nuevo_cliente()
        self.call("sp_derivar_cliente", cliente_id, asesor_id, "gtr")
        return cliente_id

    def tomado(self, asesor_id: int) -> tuple[int, str]:
        cliente_id = self.derivado(asesor_id)
        token = self.call_one("sp_tomar_cliente", cliente_id, asesor_id)["lock_token"]
        return cliente_id, token

    def en_gestion(self, asesor_id: int) -> tuple[int, str]:
        cliente_id, token = self.tomado(asesor_id)
        self.call("sp_abrir_wizard", cliente_id, asesor_id, token)
        return cliente_id, token


class Connections:
    """A few extra connections to a test database, closed at the end of the test (the
    ``conns`` fixture)."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.opened: list[Any] = []

    def new(self) -> Any:
        conn = connect(self.url)
        self.opened.append(conn)
        return conn

    def close(self) -> None:
        for conn in self.opened:
            with suppress(Exception):
                conn.close()


def explain_statement(conn: Any, sql: str) -> str:
    """EXPLAIN that gives the plan as a table on every engine: MySQL 9.7 defaults to
    FORMAT=TREE, one text column; MariaDB has no FORMAT=TRADITIONAL and gives the table."""
    mariadb = "mariadb" in str(conn.server_info).lower()
    return ("EXPLAIN " if mariadb else "EXPLAIN FORMAT=TRADITIONAL ") + sql


def connect(url: DatabaseUrl) -> Any:
    return mysql.connector.connect(**url.connect_args(), autocommit=True, time_zone="+00:00", use_pure=True)


def call(conn: Any, procedure: str, *args: Any) -> list[list[Row]]:
    """CALL on any connection, draining every result set (see ../shared/notes/mysql.md)."""
    cur = conn.cursor(dictionary=True)
    placeholders = ", ".join(["%s"] * len(args))
    sets: list[list[Row]] = []
    try:
        cur.execute(f"CALL {procedure}({placeholders})", args)
        while True:
            if cur.with_rows:
                sets.append(cur.fetchall())
            if not cur.nextset():
                break
    except BaseException:
        # When the call lost its connection (a killed query or session), closing the cursor
        # fails too; let the call's own error through rather than "Connection not available".
        with suppress(mysql.connector.Error):
            cur.close()
        raise
    cur.close()
    return sets


@contextmanager
def refused(code: ErrorCode) -> Iterator[None]:
    """The block must fail with the procedures' SIGNAL of ``code`` (checked by number)."""
    with pytest.raises(mysql.connector.Error) as info:
        yield
    assert info.value.errno == int(code), f"expected {code.name} ({int(code)}), got {info.value!r}"
    assert info.value.sqlstate == "45000"
