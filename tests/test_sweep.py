"""The timeout sweep: sp_barrido_seguimiento called directly, and once through the EVENT.

Customers idle past timeout_segundos go back to GTR as no_gestionado with a history row and a
CLIENT_RETURNED_TO_GTR event; active ones stay. A run is bounded (barrido_lote customers per
transaction, barrido_lotes_max transactions), never overlaps another run, skips rows a live
transaction holds, and reads the candidates through an index range, never the whole table.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.db.sqlfiles import SQL_DIR
from tests.support import Db, connect


def sweep(db: Db) -> dict[str, Any]:
    return db.call_one("sp_barrido_seguimiento")


def make_idle(db: Db, cliente_id: int, seconds: float) -> None:
    db.execute(
        "UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND WHERE id = %s",
        (int(seconds * 1_000_000), cliente_id),
    )


def statuses(db: Db) -> dict[int, str]:
    return {r["id"]: r["seguimiento_status"] for r in db.query("SELECT id, seguimiento_status FROM clientes")}


@pytest.fixture
def other(db: Db) -> Iterator[Any]:
    """A second connection to the same database."""
    conn = connect(db.url)
    try:
        yield conn
    finally:
        conn.close()


def test_idle_customers_return_to_gtr_and_active_ones_stay(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    idle_derivado = db.derivado(ana)
    idle_tomado, _ = db.tomado(bea)
    idle_abierto, _ = db.en_gestion(ana)
    active, token = db.en_gestion(bea)
    nuevo = db.nuevo_cliente()
    terminado, token_t = db.en_gestion(ana)
    db.call("sp_completar_wizard", terminado, ana, token_t)
    db.set_config("timeout_segundos", 1)
    time.sleep(0.6)
    db.call("sp_heartbeat_cliente", active, bea, token)  # the one customer still being worked
    time.sleep(0.6)
    events_before = len(db.outbox())

    assert sweep(db) == {"devueltos": 3, "omitido": 0}
    assert statuses(db) == {idle_derivado: "no_gestionado", idle_tomado: "no_gestionado",
                            idle_abierto: "no_gestionado", active: "en_gestion", nuevo: "nuevo",
                            terminado: "terminado"}
    for cliente_id, asesor, estado in ((idle_derivado, ana, "derivado"), (idle_tomado, bea, "derivado"),
                                       (idle_abierto, ana, "en_gestion")):
        c = db.cliente(cliente_id)
        assert c["asesor_asignado"] is None and c["last_activity"] is None and c["lock_token"] is None
        history = db.historial(cliente_id)[-1]
        assert (history["estado_anterior"], history["estado_nuevo"]) == (estado, "no_gestionado")
        assert (history["actor"], history["motivo"]) == ("system", "timeout_no_gestionado")
        assert (history["asesor_id"], history["asesor_anterior_id"]) == (None, asesor)

    new_events = db.outbox()[events_before:]
    assert [e["id"] for e in new_events] == list(range(events_before + 1, events_before + 4))
    assert [e["cliente_id"] for e in new_events] == sorted([idle_derivado, idle_tomado, idle_abierto])
    assert {e["event_type"] for e in new_events} == {"CLIENT_RETURNED_TO_GTR"}
    by_cliente = {e["cliente_id"]: e for e in new_events}
    assert by_cliente[idle_tomado]["payload"] == {
        "clienteId": idle_tomado, "reason": "timeout_no_gestionado", "previousAsesor": bea,
        "seguimiento_status": "no_gestionado", "timestamp": by_cliente[idle_tomado]["payload"]["timestamp"]}
    # Each returned customer's history row points at its own event.
    links = db.query("SELECT h.cliente_id, o.cliente_id AS evento_cliente FROM clientes_historial h "
                     "JOIN outbox o ON o.id = h.outbox_id WHERE h.motivo = 'timeout_no_gestionado'")
    assert len(links) == 3 and all(r["cliente_id"] == r["evento_cliente"] for r in links)
    assert db.query("SELECT ultimo_id FROM outbox_secuencia")[0]["ultimo_id"] == events_before + 3

    # Nothing else is idle: the one customer still being worked (its heartbeat again, since the
    # checks above may have taken longer than its timeout on a slow server) stays.
    db.call("sp_heartbeat_cliente", active, bea, token)
    assert sweep(db) == {"devueltos": 0, "omitido": 0}
    assert len(db.outbox()) == events_before + 3


def test_a_customer_is_returned_only_once_it_is_past_the_timeout(db: Db) -> None:
    asesor = db.asesor()
    almost, past = db.derivado(asesor), db.derivado(asesor)
    make_idle(db, almost, 299)
    make_idle(db, past, 300.2)
    assert sweep(db)["devueltos"] == 1
    assert statuses(db) == {almost: "derivado", past: "no_gestionado"}


def test_batches_bound_a_run_and_the_next_run_finishes(db: Db) -> None:
    asesor = db.asesor()
    clientes = [db.derivado(asesor) for _ in range(10)]
    for n, cliente_id in enumerate(clientes):
        make_idle(db, cliente_id, 1000 - n)  # the first loaded is the longest idle
    db.set_config("barrido_lote", 3)
    db.set_config("barrido_lotes_max", 2)

    assert sweep(db) == {"devueltos": 6, "omitido": 0}
    returned = {c for c, s in statuses(db).items() if s == "no_gestionado"}
    assert returned == set(clientes[:6]), "the longest idle go first"
    # Each batch is its own transaction with its own time: two batches of three.
    batches = Counter(h["created_at"] for h in db.historial() if h["motivo"] == "timeout_no_gestionado")
    assert sorted(batches.values()) == [3, 3]

    assert sweep(db) == {"devueltos": 4, "omitido": 0}  # a batch of 3, then one of 1 ends the run
    assert set(statuses(db).values()) == {"no_gestionado"}
    assert sweep(db) == {"devueltos": 0, "omitido": 0}
    assert [e["id"] for e in db.outbox()] == list(range(1, 31))


def test_a_run_stops_after_barrido_lotes_max_even_with_full_batches(db: Db) -> None:
    asesor = db.asesor()
    for _ in range(5):
        make_idle(db, db.derivado(asesor), 400)
    db.set_config("barrido_lote", 1)
    db.set_config("barrido_lotes_max", 2)
    assert [sweep(db)["devueltos"] for _ in range(4)] == [2, 2, 1, 0]


def test_a_second_sweep_is_skipped_while_one_runs(db: Db, other: Any) -> None:
    asesor = db.asesor()
    cliente_id = db.derivado(asesor)
    make_idle(db, cliente_id, 400)
    database = db.url.database
    cur = other.cursor()
    cur.execute("SELECT GET_LOCK(CONCAT(%s, '.barrido_seguimiento'), 0)", (database,))
    assert cur.fetchone() == (1,)
    try:
        before = db.snapshot()
        started = time.monotonic()
        assert sweep(db) == {"devueltos": 0, "omitido": 1}
        assert time.monotonic() - started < 1, "the guard must not wait for the other run"
        assert db.snapshot() == before
    finally:
        cur.execute("SELECT RELEASE_LOCK(CONCAT(%s, '.barrido_seguimiento'))", (database,))
        cur.fetchall()
    assert sweep(db) == {"devueltos": 1, "omitido": 0}
    # The run let its lock go: anyone may take it now.
    cur.execute("SELECT GET_LOCK(CONCAT(%s, '.barrido_seguimiento'), 0)", (database,))
    assert cur.fetchone() == (1,)
    cur.execute("SELECT RELEASE_LOCK(CONCAT(%s, '.barrido_seguimiento'))", (database,))
    cur.fetchall()


def test_the_guard_is_per_database(db: Db, other: Any) -> None:
    asesor = db.asesor()
    make_idle(db, db.derivado(asesor), 400)
    cur = other.cursor()
    cur.execute("SELECT GET_LOCK('some_other_database.barrido_seguimiento', 0)")
    assert cur.fetchone() == (1,)
    try:
        assert sweep(db) == {"devueltos": 1, "omitido": 0}
    finally:
        cur.execute("DO RELEASE_LOCK('some_other_database.barrido_seguimiento')")


def test_a_customer_held_by_a_live_transaction_is_left_for_the_next_run(db: Db, other: Any) -> None:
    asesor = db.asesor()
    held, free = db.derivado(asesor), db.derivado(asesor)
    make_idle(db, held, 400)
    make_idle(db, free, 400)
    cur = other.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("SELECT id FROM clientes WHERE id = %s FOR UPDATE", (held,))
    cur.fetchall()
    try:
        started = time.monotonic()
        assert sweep(db)["devueltos"] == 1
        assert time.monotonic() - started < 2, "SKIP LOCKED: the sweep must not wait for the row"
        assert statuses(db) == {held: "derivado", free: "no_gestionado"}
    finally:
        cur.execute("ROLLBACK")
    assert sweep(db)["devueltos"] == 1
    assert statuses(db)[held] == "no_gestionado"


def candidate_query() -> str:
    """The sweep's candidate SELECT as written in its procedure, with its variables filled in."""
    text = (SQL_DIR / "procedures" / "sp_barrido_seguimiento.sql").read_text(encoding="utf-8")
    match = re.search(r"INSERT INTO tmp_barrido\b[^\n]*\n\s*(SELECT .*?FOR UPDATE SKIP LOCKED)", text, re.DOTALL)
    assert match, "could not find the candidate query in sp_barrido_seguimiento.sql"
    query = match.group(1)
    for variable, value in (("v_ahora", "UTC_TIMESTAMP(6)"), ("v_timeout", "300"), ("v_lote", "1000")):
        assert re.search(rf"\b{variable}\b", query), variable
        query = re.sub(rf"\b{variable}\b", value, query)
    return query


def test_the_candidate_query_is_an_index_range_not_a_scan(db: Db) -> None:
    asesor = db.asesor()
    # 600 customers, only 24 of them active (derivado/en_gestion), 12 of those past the timeout.
    db.execute(
        "INSERT INTO clientes (nombre, seguimiento_status, asesor_asignado, last_activity, created_at, updated_at) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
        "SELECT CONCAT('c', i), "
        "       CASE WHEN i % 50 = 0 THEN 'derivado' WHEN i % 50 = 1 THEN 'en_gestion' "
        "            WHEN i % 2 = 0 THEN 'terminado' ELSE 'nuevo' END, "
        "       IF(i % 50 IN (0, 1), %s, NULL), "
        "       IF(i % 50 IN (0, 1), UTC_TIMESTAMP(6) - INTERVAL IF(i % 50 = 0, 600, 10) SECOND, NULL), "
        "       UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM n",
        (asesor,),
    )
    db.execute("ANALYZE TABLE clientes")

    plan = db.explain(candidate_query())
    assert len(plan) == 1, plan
    (step,) = plan
    # Both indexes bound the read to the active customers: idx_seguimiento_activity by status
    # and time, idx_last_activity because only active customers have a last_activity (the
    # optimizer often prefers it, as it also gives the ORDER BY for free). Never a scan.
    assert step["type"] == "range", plan
    assert step["key"] in ("idx_seguimiento_activity", "idx_last_activity"), plan
    assert "idx_seguimiento_activity" in step["possible_keys"], plan
    assert int(step["rows"]) < 60, plan

    def handler_reads() -> Counter[str]:
        rows = db.query("SHOW SESSION STATUS LIKE 'Handler_read%'")
        return Counter({r["Variable_name"]: int(r["Value"]) for r in rows})

    # The real run: a scan of clientes would show as 600+ Handler_read_rnd_next; what it does
    # read (temporary tables, history and outbox inserts) grows with the customers returned.
    before = handler_reads()
    assert sweep(db)["devueltos"] == 12
    reads = handler_reads() - before
    assert reads["Handler_read_rnd_next"] < 150, reads
    # With nothing due, a run is a handful of index reads whatever the table's size.
    before = handler_reads()
    assert sweep(db)["devueltos"] == 0
    reads = handler_reads() - before
    assert sum(reads.values()) < 30, reads


@pytest.mark.scheduler
def test_the_event_sweeps_on_its_own(db: Db) -> None:
    database = db.url.database
    (event,) = db.query(
        "SELECT EVENT_DEFINITION, INTERVAL_VALUE, INTERVAL_FIELD, EVENT_TYPE, STATUS, ON_COMPLETION "
        "FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s AND EVENT_NAME = 'ev_barrido_seguimiento'",
        (database,))
    assert (event["EVENT_TYPE"], str(event["INTERVAL_VALUE"]), event["INTERVAL_FIELD"]) == ("RECURRING", "30", "SECOND")
    assert re.fullmatch(r"CALL sp_barrido_seguimiento\(\)", event["EVENT_DEFINITION"].strip())
    assert event["ON_COMPLETION"] == "PRESERVE"

    scheduler_was = db.query("SELECT @@GLOBAL.event_scheduler AS v")[0]["v"]
    if scheduler_was != "ON":
        db.execute("SET GLOBAL event_scheduler = ON")
    try:
        asesor = db.asesor()
        cliente_id = db.derivado(asesor)
        db.set_config("timeout_segundos", 1)
        db.execute("ALTER EVENT ev_barrido_seguimiento ON SCHEDULE EVERY 1 SECOND ENABLE")
        deadline = time.monotonic() + 15
        while db.cliente(cliente_id)["seguimiento_status"] != "no_gestionado":
            assert time.monotonic() < deadline, "the event did not return the idle customer within 15 s"
            time.sleep(0.2)
    finally:
        db.execute("ALTER EVENT ev_barrido_seguimiento ON SCHEDULE EVERY 30 SECOND DISABLE")
        if scheduler_was != "ON":
            db.execute(f"SET GLOBAL event_scheduler = {scheduler_was}")

    history = db.historial(cliente_id)[-1]
    assert (history["actor"], history["motivo"], history["asesor_anterior_id"]) == (
        "system", "timeout_no_gestionado", asesor)
    assert db.outbox()[-1]["event_type"] == "CLIENT_RETURNED_TO_GTR"
    (restored,) = db.query(
        "SELECT INTERVAL_VALUE, INTERVAL_FIELD, STATUS FROM information_schema.EVENTS "
        "WHERE EVENT_SCHEMA = %s AND EVENT_NAME = 'ev_barrido_seguimiento'", (database,))
    assert (str(restored["INTERVAL_VALUE"]), restored["INTERVAL_FIELD"], restored["STATUS"]) == (
        "30", "SECOND", "DISABLED")
