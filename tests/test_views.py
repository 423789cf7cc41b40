"""The reporting views: the live monitor, the per-asesor daily figures and the customer list."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.support import Db


def make_idle(db: Db, cliente_id: int, seconds: float) -> None:
    db.execute(
        "UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND WHERE id = %s",
        (int(seconds * 1_000_000), cliente_id),
    )


# --- v_clientes_activos ---------------------------------------------------------------------------


def test_clientes_activos_shows_idle_time_and_the_imminent_timeout(db: Db) -> None:
    ana = db.asesor("Ana")
    fresh = db.derivado(ana)
    working, _ = db.en_gestion(ana)
    edge_in, edge_out = db.derivado(ana), db.derivado(ana)
    overdue = db.derivado(ana)
    hidden = [db.nuevo_cliente()]
    done, token = db.en_gestion(ana)
    db.call("sp_completar_wizard", done, ana, token)
    hidden.append(done)

    make_idle(db, working, 100)
    make_idle(db, edge_in, 240.5)   # 59.5 s left: imminent (60 s or less)
    make_idle(db, edge_out, 239.5)  # 60.5 s left: not yet
    make_idle(db, overdue, 400)     # past the deadline, the sweep has not run yet
    rows = {r["cliente_id"]: r for r in db.query("SELECT * FROM v_clientes_activos")}

    assert set(rows) == {fresh, working, edge_in, edge_out, overdue}
    assert not set(hidden) & set(rows)
    expected = {  # inactive_seconds, segundos_restantes, timeout_inminente
        fresh: (0, 300, 0), working: (100, 200, 0), edge_in: (240, 60, 1), edge_out: (239, 61, 0),
        overdue: (400, 0, 1),
    }
    for cliente_id, (inactive, restantes, inminente) in expected.items():
        row = rows[cliente_id]
        assert (row["inactive_seconds"], row["segundos_restantes"], row["timeout_inminente"]) == (
            inactive, restantes, inminente), row
        assert row["timeout_segundos"] == 300 and row["asesor_nombre"] == "Ana"
    assert rows[working]["seguimiento_status"] == "en_gestion" and rows[working]["opened_at"] is not None
    assert "lock_token" not in rows[fresh]


def test_clientes_activos_follows_the_configured_timeout(db: Db) -> None:
    ana = db.asesor("Ana")
    cliente_id = db.derivado(ana)
    make_idle(db, cliente_id, 30)
    db.set_config("timeout_segundos", 120)
    (row,) = db.query("SELECT * FROM v_clientes_activos")
    assert (row["inactive_seconds"], row["segundos_restantes"], row["timeout_inminente"]) == (30, 90, 0)
    db.set_config("timeout_segundos", 80)
    (row,) = db.query("SELECT * FROM v_clientes_activos")
    assert (row["segundos_restantes"], row["timeout_inminente"]) == (50, 1)


# --- v_asesor_diario -------------------------------------------------------------------------------

DAY = date(2026, 1, 15)
T0 = datetime(2026, 1, 15, 10, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def set_times(db: Db, cliente_id: int, times: list[datetime]) -> None:
    """Rewrite a customer's history times, oldest row first, so durations are exact."""
    ids = [h["id"] for h in db.historial(cliente_id)]
    assert len(ids) == len(times), (cliente_id, ids, times)
    for history_id, when in zip(ids, times, strict=True):
        db.execute("UPDATE clientes_historial SET created_at = %s WHERE id = %s", (when, history_id))


def worked(db: Db, asesor: int, open_after: float, handling: float | None, start: float = 0) -> int:
    """A customer assigned at start, opened open_after s later, completed handling s after that."""
    cliente_id, token = db.en_gestion(asesor)
    times = [at(start - 60), at(start), at(start + open_after)]
    if handling is not None:
        db.call("sp_completar_wizard", cliente_id, asesor, token)
        times.append(at(start + open_after + handling))
    set_times(db, cliente_id, times)
    return cliente_id


def daily(db: Db) -> dict[tuple[str, date], dict[str, Any]]:
    rows = db.query("SELECT * FROM v_asesor_diario")
    return {(r["asesor_nombre"], r["dia"]): r for r in rows}


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    def number(value: Any) -> Any:
        return None if value is None else Decimal(value).normalize()

    return (int(row["asignados"]), int(row["abiertos"]), int(row["completados"]), int(row["devueltos_timeout"]),
            number(row["mediana_segundos_hasta_abrir"]), number(row["mediana_segundos_gestion"]))


def test_asesor_diario_counts_and_medians(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    # Ana, odd counts: opens after 10, 30, 100 s (median 30); handling 60, 180, 600 s (median 180).
    worked(db, ana, 10, 60)
    worked(db, ana, 30, 180)
    worked(db, ana, 100, 600)
    # ...and one customer she never opened, returned to GTR by the sweep.
    returned = db.derivado(ana)
    make_idle(db, returned, 400)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    set_times(db, returned, [at(-60), at(0), at(400)])
    # Bea, even counts: opens after 20, 40, 60, 1000 s (median 50); handling 100, 300 s (median 200),
    # and an update while working, which is no figure of its own.
    worked(db, bea, 20, 100)
    worked(db, bea, 40, 300)
    worked(db, bea, 60, None)
    cliente_id, token = db.en_gestion(bea)
    db.call("sp_actualizar_cliente", cliente_id, bea, token, '{"nota": "llamar luego"}')
    set_times(db, cliente_id, [at(-60), at(0), at(1000), at(1100)])

    rows = daily(db)
    assert set(rows) == {("Ana", DAY), ("Bea", DAY)}
    assert figures(rows["Ana", DAY]) == (4, 3, 3, 1, Decimal(30), Decimal(180))
    assert figures(rows["Bea", DAY]) == (4, 4, 2, 0, Decimal(50), Decimal(200))
    assert rows["Ana", DAY]["asesor_id"] == ana and rows["Bea", DAY]["asesor_id"] == bea


def test_asesor_diario_medians_keep_fractions_of_a_second(db: Db) -> None:
    ana = db.asesor("Ana")
    worked(db, ana, 1.25, 2.5)
    worked(db, ana, 1.75, 3.5)
    (row,) = daily(db).values()
    assert figures(row)[4:] == (Decimal("1.5"), Decimal("3"))


def test_asesor_diario_splits_days_and_credits_a_reassignment_to_the_new_asesor(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    worked(db, ana, 10, 20)
    worked(db, ana, 30, 40, start=86_400)  # the next day
    moved = db.derivado(ana)
    db.call("sp_derivar_cliente", moved, bea, "gtr")
    token = db.call_one("sp_tomar_cliente", moved, bea)["lock_token"]
    db.call("sp_abrir_wizard", moved, bea, token)
    # Loaded, assigned to Ana at 0, moved to Bea at 100, opened by Bea at 130.
    set_times(db, moved, [at(-60), at(0), at(100), at(130)])

    rows = daily(db)
    assert set(rows) == {("Ana", DAY), ("Ana", DAY + timedelta(days=1)), ("Bea", DAY)}
    assert figures(rows["Ana", DAY]) == (2, 1, 1, 0, Decimal(10), Decimal(20))
    assert figures(rows["Ana", DAY + timedelta(days=1)]) == (1, 1, 1, 0, Decimal(30), Decimal(40))
    # Bea's time to open counts from her own assignment, not Ana's.
    assert figures(rows["Bea", DAY]) == (1, 1, 0, 0, Decimal(30), None)


# --- v_clientes -------------------------------------------------------------------------------------


def test_v_clientes_hides_the_lock_token(db: Db) -> None:
    ana = db.asesor("Ana")
    locked, _ = db.tomado(ana)
    unlocked = db.derivado(ana)
    columns = [r["COLUMN_NAME"] for r in db.query(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'v_clientes' ORDER BY ORDINAL_POSITION")]
    assert "lock_token" not in columns and "lock_asesor_id" not in columns
    assert {"cliente_id", "nombre", "telefono", "seguimiento_status", "asesor_asignado", "last_activity",
            "bloqueado"} <= set(columns)
    rows = {r["cliente_id"]: r for r in db.query("SELECT * FROM v_clientes")}
    assert (rows[locked]["bloqueado"], rows[unlocked]["bloqueado"]) == (1, 0)
    token = db.cliente(locked)["lock_token"]
    assert all(token not in str(value) for row in rows.values() for value in row.values())


# --- v_replicacion -------------------------------------------------------------------------------


def test_replicacion_shows_the_newest_event_and_how_long_ago(db: Db) -> None:
    (empty,) = db.query("SELECT * FROM v_replicacion")
    assert empty["ultimo_evento_id"] == 0 and empty["ultimo_evento_en"] is None
    db.nuevo_cliente()
    cliente = db.nuevo_cliente()
    db.execute("UPDATE outbox SET created_at = UTC_TIMESTAMP(6) - INTERVAL 90 SECOND WHERE cliente_id = %s",
               (cliente,))
    (row,) = db.query("SELECT * FROM v_replicacion")
    newest = db.query("SELECT MAX(id) AS n FROM outbox")[0]["n"]
    assert row["ultimo_evento_id"] == newest
    assert 90 <= float(row["segundos_desde_ultimo_evento"]) < 100
