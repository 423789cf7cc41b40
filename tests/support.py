"""Test helpers: plain mysql-connector connections that call procedures and read tables
(connecting and calling are ``toolkit.db``'s, shared with the benchmarks)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import mysql.connector
import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.errors import ErrorCode
from gateway.db.migrate import migrate
from gateway.db.sqlfiles import load_objects
from tests.dbserver import create_database, drop_database, throwaway_name
from toolkit.db import Row, call, connect, explain_statement

DEFAULT_CONFIG = {
    "timeout_segundos": 300,
    "outbox_retencion_horas": 168,
    "barrido_lote": 1000,
    "barrido_lotes_max": 20,
    "transaccion_interrumpida_segundos": 5,
    "token_asesor_vigencia_segundos": 43200,
    "pausa_timeouts_consecutivos": 3,
    "presencia_socket_segundos": 90,
    "nivel_servicio_segundos": 300,
    "distribucion_lote": 500,
}
# The default campaign as migration 0006 creates it (every customer loaded without one).
DEFAULT_CAMPANA = {"nombre": "general", "timeout_segundos": None, "prioridad": 0, "modo": "manual",
                   "reciclaje_segundos": 0, "max_devoluciones": 3, "pausa_tras_timeouts": None, "activa": 1}
# The pause reasons migration 0006 lists.
DEFAULT_MOTIVOS = ("descanso", "almuerzo", "bano", "capacitacion", "reunion", "timeouts")

# Every EVENT sql/events declares: tests disable them all and call their procedures themselves.
EVENTS = tuple(sorted(o.name for o in load_objects() if o.kind == "EVENT"))

__all__ = ["Connections", "Db", "Row", "call", "connect", "explain_statement", "refused"]


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
        """Change a setting by hand, with no range check (sp_configurar checks). A new
        timeout_segundos also reaches the stored deadlines of the customers being worked in
        campaigns without a timeout of their own, as sp_configurar does."""
        self.execute("UPDATE seguimiento_config SET valor = %s WHERE clave = %s", (valor, clave))
        if clave == "timeout_segundos":
            self.execute("UPDATE clientes c JOIN campanas k ON k.id = c.campana_id SET c.plazo_segundos = %s "
                         "WHERE c.vence_en IS NOT NULL AND k.timeout_segundos IS NULL", (valor,))

    def snapshot(self) -> dict[str, list[Row]]:
        """Every row of every data table: compare two to prove a refused call changed nothing."""
        tables = ("asesores", "clientes", "clientes_historial", "outbox", "outbox_secuencia", "api_tokens",
                  "campanas", "asesor_campanas", "asesores_presencia", "asesores_conexion", "motivos_pausa")
        return {t: self.query(f"SELECT * FROM {t} ORDER BY 1") for t in tables}

    def reset(self) -> None:
        """Empty the data tables and restore the default configuration."""
        for table in ("clientes_historial", "outbox", "api_tokens", "clientes", "importaciones",
                      "asesor_campanas", "asesores_presencia", "asesores_conexion", "asesores",
                      "reporte_asesor_hora", "reporte_tiempos", "reporte_tiempos_dia", "auditoria_admin"):
            self.execute(f"DELETE FROM {table}")
        self.execute("DELETE FROM campanas WHERE id <> 1")
        self.execute("UPDATE campanas SET nombre = %s, timeout_segundos = %s, prioridad = %s, modo = %s, "
                     "reciclaje_segundos = %s, max_devoluciones = %s, pausa_tras_timeouts = %s, activa = %s "
                     "WHERE id = 1", tuple(DEFAULT_CAMPANA.values()))
        placeholders = ", ".join(["%s"] * len(DEFAULT_MOTIVOS))
        self.execute(f"DELETE FROM motivos_pausa WHERE codigo NOT IN ({placeholders})", DEFAULT_MOTIVOS)
        self.execute("UPDATE motivos_pausa SET activo = 1")
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


@contextmanager
def refused(code: ErrorCode) -> Iterator[None]:
    """The block must fail with the procedures' SIGNAL of ``code`` (checked by number)."""
    with pytest.raises(mysql.connector.Error) as info:
        yield
    assert info.value.errno == int(code), f"expected {code.name} ({int(code)}), got {info.value!r}"
    assert info.value.sqlstate == "45000"


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Polls ``predicate`` until it holds; fails naming ``what`` after ``timeout`` seconds.
    For a state another thread or process reaches (a committed row, a waiting session):
    never a fixed sleep, which is either too short on a busy machine or wasted on a quiet one."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@contextmanager
def dba_database(server: DatabaseUrl, prefix: str, options: str = "") -> Iterator[Db]:
    """A throwaway database made the way a DBA makes one, ``CREATE DATABASE name {options}``,
    migrated, with its events disabled (tests run the sweep and the distribution themselves,
    so no scheduled run races their assertions); dropped afterwards."""
    url = create_database(server.with_database(throwaway_name(prefix)), options)
    try:
        migrate(url)
        db = Db(url)
        try:
            for event in EVENTS:
                db.execute(f"ALTER EVENT {event} DISABLE")
            yield db
        finally:
            db.close()
    finally:
        drop_database(url)
