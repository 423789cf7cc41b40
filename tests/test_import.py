"""Bulk import: CSV parsing, set-based loading, bad rows reported, re-runs and crashes."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable

import mysql.connector
import pytest

from gateway.db.importing import (
    Batch,
    ImportFileError,
    ImportResult,
    decode,
    parse_rows,
    run_import,
)
from gateway.db.rows import LineaRechazada, LoteImportado
from tests.support import Db, call, connect


def loader(db: Db, *, omitir_duplicados: bool = False, origen: str = "test.csv"):
    """Loads a batch with a plain CALL of sp_importar_lote on the test's connection."""

    async def load(batch: Batch) -> LoteImportado:
        summary, rejected = call(db.conn, "sp_importar_lote", batch.clave, origen, batch.filas,
                                 int(omitir_duplicados))
        return LoteImportado.model_validate({**summary[0], "rechazados": rejected})

    return load


def imported(data: bytes, load: Callable[[Batch], Awaitable[LoteImportado]], **options: int) -> ImportResult:
    return asyncio.run(run_import(data, load, **options))  # type: ignore[arg-type]


def kill(conn, connection_id: int) -> None:
    cur = conn.cursor()
    cur.execute(f"KILL {connection_id}")
    cur.close()


def csv_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# --- parsing -------------------------------------------------------------------------------

def test_rows_carry_their_line_and_extra_columns_become_datos() -> None:
    rows = list(parse_rows("nombre,telefono,producto,notas\nAna,999 111 222,fibra,\n\nBeto,,movil,vip\n"))
    assert rows == [
        {"linea": 2, "nombre": "Ana", "telefono": "999 111 222", "datos": '{"producto": "fibra"}'},
        {"linea": 4, "nombre": "Beto", "telefono": None, "datos": '{"producto": "movil", "notas": "vip"}'},
    ]


def test_broken_quoting_is_reported_at_the_line_it_starts_and_parsing_goes_on() -> None:
    rows = list(parse_rows('nombre,telefono\n"Ana"x,123456\nBeto,123457\n'))
    assert isinstance(rows[0], LineaRechazada) and rows[0].linea == 2 and "quoting" in rows[0].motivo
    assert rows[1] == {"linea": 3, "nombre": "Beto", "telefono": "123457", "datos": None}


def test_a_field_count_that_differs_from_the_header_is_rejected() -> None:
    rows = list(parse_rows("nombre,telefono\nAna,1,extra\n"))
    assert rows == [LineaRechazada(linea=2, motivo="3 fields where the header has 2")]


@pytest.mark.parametrize(
    "text, message",
    [("", "empty"), ("telefono\n123456\n", "no nombre column"), ("nombre,nombre\n", "twice")],
)
def test_a_file_without_a_usable_header_is_refused(text: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        list(parse_rows(text))


def test_a_header_that_is_not_utf8_is_refused() -> None:
    """Found by tests/fuzz: a column name that was not UTF-8 went on into datos' keys and the
    upload crashed (500) hashing the batch; the header is refused like any unusable one."""
    with pytest.raises(ImportFileError, match="not valid UTF-8"):
        list(parse_rows(decode(b"nombre,caf\xe9\nAna,1\n")))


# --- loading -------------------------------------------------------------------------------

def test_good_rows_load_and_bad_rows_are_reported_with_line_and_reason(db: Db) -> None:
    db.nuevo_cliente("Existente", "999000111")
    data = csv_bytes([
        "nombre,telefono,producto",
        "Ana,999 111 222,fibra",          # 2 ok
        ",999111223,",                    # 3 no name
        "Beto,12,",                       # 4 bad phone
        '"Carla"x,999111224,',            # 5 broken quoting
        "Dario,999-000-111,",             # 6 duplicate of an existing customer
        "Eva,999111222,",                 # 7 duplicate of line 2
    ]) + "Fabio,999111225,caf\xe9\n".encode("latin-1")  # 8 not UTF-8
    report = imported(data, loader(db, omitir_duplicados=True))

    assert report.cargados == 1
    assert [(r.linea, r.motivo.split()[0]) for r in report.rechazados] == [
        (3, "nombre"), (4, "telefono"), (5, "broken"), (6, "telefono"), (7, "telefono"), (8, "not")]
    assert "line 2" in report.rechazados[4].motivo
    loaded = db.query("SELECT * FROM clientes WHERE importacion_id IS NOT NULL")
    assert [(c["nombre"], c["telefono"], c["importacion_linea"], c["seguimiento_status"]) for c in loaded] == [
        ("Ana", "999111222", 2, "nuevo")]
    assert json.loads(loaded[0]["datos"]) == {"producto": "fibra"}


def test_duplicates_load_when_not_asked_to_skip_them(db: Db) -> None:
    db.nuevo_cliente("Existente", "999000111")
    report = imported(csv_bytes(["nombre,telefono", "Dario,999000111"]), loader(db))
    assert report.cargados == 1 and report.rechazados == []


def test_each_batch_is_one_event_and_each_customer_one_history_row(db: Db) -> None:
    lines = ["nombre,telefono"] + [f"Cliente {i},9{i:08d}" for i in range(250)]
    report = imported(csv_bytes(lines), loader(db), batch_size=100)
    assert (report.cargados, report.lotes) == (250, 3)
    events = db.outbox()
    assert [e["event_type"] for e in events] == ["CLIENTS_IMPORTED"] * 3
    assert [e["payload"]["cargados"] for e in events] == [100, 100, 50]
    history = db.historial()
    assert len(history) == 250 and {h["motivo"] for h in history} == {"importado"}
    assert {h["outbox_id"] for h in history} == {e["id"] for e in events}


def test_running_the_same_import_again_loads_nothing_twice(db: Db) -> None:
    lines = ["nombre,telefono"] + [f"Cliente {i},9{i:08d}" for i in range(30)]
    first = imported(csv_bytes(lines), loader(db), batch_size=10)
    again = imported(csv_bytes(lines), loader(db), batch_size=10)
    assert (first.cargados, first.lotesYaImportados) == (30, 0)
    assert (again.cargados, again.lotesYaImportados) == (0, 3)
    assert db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"] == 30
    assert len(db.outbox()) == 3


def test_a_connection_killed_mid_batch_leaves_nothing_half_loaded_and_a_rerun_completes(db: Db) -> None:
    """The server side of a crash: the batch's transaction dies with its connection."""
    lines = ["nombre,telefono"] + [f"Cliente {i},9{i:08d}" for i in range(20000)]
    data = csv_bytes(lines)
    victim = connect(db.url)
    victim_id = victim.connection_id
    killer = connect(db.url)
    batches_done = 0
    timer: threading.Timer | None = None

    async def load_then_die(batch: Batch) -> LoteImportado:
        nonlocal batches_done, timer
        if batches_done == 1:
            # Kill the connection while this (second) batch is inside the procedure.
            timer = threading.Timer(0.05, kill, (killer, victim_id))
            timer.start()
        summary, _ = call(victim, "sp_importar_lote", batch.clave, "f.csv", batch.filas, 0)
        batches_done += 1
        row = summary[0]
        return LoteImportado.model_validate({**row, "rechazados": []})

    with pytest.raises(mysql.connector.Error):
        imported(data, load_then_die, batch_size=10000)
    assert timer is not None
    timer.join()
    killer.close()
    victim.close()  # the server killed it; this closes our end of the socket
    loaded = db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"]
    assert loaded == 10000, "only the first, committed batch is there"
    assert db.query("SELECT COUNT(*) AS n FROM clientes_historial")[0]["n"] == 10000

    report = imported(data, loader(db), batch_size=10000)
    assert (report.cargados, report.lotesYaImportados) == (10000, 1)
    assert db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT telefono) AS d FROM clientes")[0] == {"n": 20000, "d": 20000}
