"""A DBA's script calls the procedures with autocommit off, the default of mysql-connector and
PyMySQL. Every procedure ends its own transaction, so the results must be the same as with
autocommit on: the import must load its rows (staged in temporary tables, which roll back
too), and a sweep over several batches must return each customer once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import mysql.connector
import pytest

from tests.support import Db, call


@pytest.fixture
def script(db: Db) -> Iterator[Any]:
    conn = mysql.connector.connect(**db.url.connect_args(), autocommit=False, time_zone="+00:00", use_pure=True)
    try:
        yield conn
    finally:
        conn.close()


def test_an_import_loads_its_rows(db: Db, script: Any) -> None:
    filas = json.dumps([{"linea": i + 2, "nombre": f"Cliente {i}", "telefono": f"+51 999 000 {i:03d}"}
                        for i in range(5)])
    clave = hashlib.sha256(filas.encode()).hexdigest()
    summary = call(script, "sp_importar_lote", clave, "dba.csv", filas, 0)[0][0]
    assert (summary["cargados"], summary["rechazados"], summary["ya_importado"]) == (5, 0, 0)
    assert db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"] == 5
    again = call(script, "sp_importar_lote", clave, "dba.csv", filas, 0)[0][0]
    assert (again["cargados"], again["ya_importado"]) == (5, 1)


def test_a_sweep_over_several_batches_returns_each_customer_once(db: Db, script: Any) -> None:
    asesor = db.asesor()
    idle = [db.derivado(asesor) for _ in range(5)]
    db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR")
    db.set_config("barrido_lote", 2)  # three batches: 2, 2, 1
    before = len(db.outbox())
    assert call(script, "sp_barrido_seguimiento")[0][0] == {"devueltos": 5, "omitido": 0}
    events = db.outbox()[before:]
    assert sorted(e["cliente_id"] for e in events) == sorted(idle)
    assert [e["id"] for e in events] == list(range(before + 1, before + 6))
    assert all(db.cliente(c)["seguimiento_status"] == "no_gestionado" for c in idle)
    # The next writer gets the next id, not a duplicate key.
    db.nuevo_cliente()
    assert db.outbox()[-1]["id"] == before + 6
