"""Races between real connections, each in its own thread.

Every procedure is one transaction that commits itself, so these tests look at committed
state: who won, whether anything is half-applied, and whether the outbox (the only feed the
dashboards get) holds exactly one event per committed change, in an order a reader that
keeps "the last id I saw" can follow while writers commit and roll back around it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import mysql.connector
import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.errors import ErrorCode
from gateway.db.sqlfiles import SQL_DIR
from tests.support import Connections, Db, Row, call, connect, wait_for

CATALOGUE = {int(code) for code in ErrorCode}
# A KILL QUERY interrupts a call (1317); a KILL CONNECTION loses the connection (2013, 2055,
# 1927 when the server noticed first, or the driver's -1 "Connection not available" when
# the loss was seen between calls). Both roll the call back.
KILLED = {1317, 1927, 2013, 2055, -1}
# MySQL reports a multi-table UPDATE (the sweep's) interrupted by KILL QUERY as 1105, "An error
# occurred in multi-table update", not 1317: its do_updates() stops on the kill without setting
# an error. Taken as a kill only when this connection was just sent one.
KILLED_MULTI_TABLE_UPDATE = 1105

# (estado_anterior, estado_nuevo, event_type): every kind of history row the procedures write.
VALID_STEPS = {
    (None, "nuevo", "CLIENT_CREATED"),
    (None, "nuevo", "CLIENTS_IMPORTED"),  # one event for a whole batch, one history row per customer
    ("nuevo", "derivado", "CLIENT_REASSIGNED"),
    ("no_gestionado", "derivado", "CLIENT_REASSIGNED"),
    ("derivado", "derivado", "CLIENT_REASSIGNED"),
    ("en_gestion", "derivado", "CLIENT_REASSIGNED"),
    ("derivado", "en_gestion", "CLIENT_IN_GESTION"),
    ("derivado", "derivado", "CLIENT_UPDATED"),
    ("en_gestion", "en_gestion", "CLIENT_UPDATED"),
    ("en_gestion", "terminado", "CLIENT_COMPLETED"),
    ("derivado", "no_gestionado", "CLIENT_RETURNED_TO_GTR"),
    ("en_gestion", "no_gestionado", "CLIENT_RETURNED_TO_GTR"),
}


@dataclass
class Result:
    ok: bool
    errno: int | None = None
    rows: list[list[Row]] = field(default_factory=list)


def attempt(conn: Any, procedure: str, *args: Any) -> Result:
    try:
        return Result(True, rows=call(conn, procedure, *args))
    except mysql.connector.Error as exc:
        return Result(False, errno=exc.errno)


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Start the actions together (one thread each) and return their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results




# --- invariants -------------------------------------------------------------------------------------


def assert_consistent(db: Db) -> None:
    """The whole database is a state the procedures can leave: nothing half-applied."""
    bad = db.query(
        "SELECT id, seguimiento_status FROM clientes WHERE seguimiento_status IN ('derivado', 'en_gestion') "
        "AND (asesor_asignado IS NULL OR last_activity IS NULL OR derivado_at IS NULL)")
    assert not bad, f"active customers without asesor or last_activity: {bad}"
    bad = db.query(
        "SELECT id, seguimiento_status FROM clientes "
        "WHERE seguimiento_status IN ('nuevo', 'terminado', 'no_gestionado') "
        "AND (asesor_asignado IS NOT NULL OR lock_token IS NOT NULL OR lock_asesor_id IS NOT NULL "
        "     OR last_activity IS NOT NULL)")
    assert not bad, f"inactive customers with an asesor or a lock: {bad}"
    bad = db.query(
        "SELECT id FROM clientes WHERE (lock_token IS NULL) <> (lock_asesor_id IS NULL) "
        "OR NOT (lock_asesor_id <=> asesor_asignado OR lock_asesor_id IS NULL)")
    assert not bad, f"locks not held by the assigned asesor: {bad}"
    bad = db.query(
        "SELECT id FROM clientes WHERE (seguimiento_status = 'en_gestion' AND opened_at IS NULL) "
        "OR (seguimiento_status = 'derivado' AND opened_at IS NOT NULL) "
        "OR ((seguimiento_status = 'terminado') <> (wizard_completado = 1 AND fecha_wizard_completado IS NOT NULL))")
    assert not bad, f"wizard columns disagree with the status: {bad}"

    # One history row per outbox event and one event per history row, same customer and time
    # (but one CLIENTS_IMPORTED event stands for a whole imported batch).
    outbox = db.query("SELECT id, event_type, cliente_id, created_at FROM outbox ORDER BY id")
    history = db.query("SELECT * FROM clientes_historial ORDER BY id")
    (seq,) = db.query("SELECT ultimo_id FROM outbox_secuencia")
    assert [e["id"] for e in outbox] == list(range(1, seq["ultimo_id"] + 1)), "outbox ids must be 1..ultimo_id"
    by_outbox = {e["id"]: e for e in outbox}
    links = Counter(h["outbox_id"] for h in history)
    # Token, asesor, campaign, settings and pause-reason events concern no customer, so they
    # have no history row; the administrative ones (asesores, settings) have their audit row.
    of_customers = {i for i, e in by_outbox.items()
                    if not e["event_type"].startswith(("TOKEN_", "ASESOR_", "CAMPAIGN_", "CONFIG_",
                                                             "PAUSE_REASON_"))}
    assert set(links) == of_customers, "every customer event has history and every history row its event"
    # The desk's administration is audited (docs/escritorio.md); routing's presence, skills and
    # capacity changes have their own history (asesores_presencia) and actor instead.
    administrative = {i for i, e in by_outbox.items() if e["event_type"] in (
        "ASESOR_CREATED", "ASESOR_DEACTIVATED", "ASESOR_ACTIVATED", "ASESOR_TOKEN_ISSUED", "CONFIG_CHANGED",
        "PAUSE_REASON_CHANGED")}
    audited = Counter(r["outbox_id"] for r in db.query("SELECT outbox_id FROM auditoria_admin"))
    assert set(audited) == administrative and all(n == 1 for n in audited.values()), "one audit row per admin event"
    for h in history:
        event = by_outbox[h["outbox_id"]]
        assert event["created_at"] == h["created_at"], h
        if event["event_type"] == "CLIENTS_IMPORTED":
            assert event["cliente_id"] is None and h["motivo"] == "importado", h
        else:
            assert links[event["id"]] == 1 and event["cliente_id"] == h["cliente_id"], h

    # Each customer's history is a valid path from creation to its current status.
    current = {r["id"]: r["seguimiento_status"] for r in db.query("SELECT id, seguimiento_status FROM clientes")}
    paths: dict[int, list[Row]] = defaultdict(list)
    for h in history:
        paths[h["cliente_id"]].append(h)
    assert set(paths) == set(current)
    for cliente_id, rows in paths.items():
        estado = None
        for h in rows:
            step = (h["estado_anterior"], h["estado_nuevo"], by_outbox[h["outbox_id"]]["event_type"])
            assert h["estado_anterior"] == estado, (cliente_id, rows)
            assert step in VALID_STEPS, (cliente_id, step)
            estado = h["estado_nuevo"]
        assert estado == current[cliente_id], (cliente_id, rows, current[cliente_id])


# --- taking the lock ------------------------------------------------------------------------------------


def test_two_asesores_race_for_the_lock_and_exactly_one_wins(db: Db, conns: Connections) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    conn_ana, conn_bea = conns.new(), conns.new()
    for _ in range(40):
        cliente_id = db.derivado(ana)
        got_ana, got_bea = race(lambda c=cliente_id: attempt(conn_ana, "sp_tomar_cliente", c, ana),
                                lambda c=cliente_id: attempt(conn_bea, "sp_tomar_cliente", c, bea))
        assert got_ana.ok and not got_bea.ok
        assert got_bea.errno == ErrorCode.NOT_ASSIGNED
        c = db.cliente(cliente_id)
        assert (c["lock_token"], c["lock_asesor_id"]) == (got_ana.rows[0][0]["lock_token"], ana)
    assert_consistent(db)


def test_the_lock_race_with_a_reassignment_leaves_one_live_lock(db: Db, conns: Connections) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    conn_ana, conn_bea, conn_gtr = conns.new(), conns.new(), conns.new()
    seen: Counter[tuple[bool, bool]] = Counter()
    for _ in range(40):
        cliente_id = db.derivado(ana)
        got_ana, got_bea, moved = race(
            lambda c=cliente_id: attempt(conn_ana, "sp_tomar_cliente", c, ana),
            lambda c=cliente_id: attempt(conn_bea, "sp_tomar_cliente", c, bea),
            lambda c=cliente_id: attempt(conn_gtr, "sp_derivar_cliente", c, bea, "gtr"))
        assert moved.ok
        assert got_ana.ok or got_ana.errno == ErrorCode.NOT_ASSIGNED
        assert got_bea.ok or got_bea.errno == ErrorCode.NOT_ASSIGNED
        seen[(got_ana.ok, got_bea.ok)] += 1
        c = db.cliente(cliente_id)
        assert c["asesor_asignado"] == bea
        # Ana's token, if she got one, died with the reassignment; Bea's is the only live lock.
        if got_ana.ok:
            token = got_ana.rows[0][0]["lock_token"]
            assert not attempt(conn_ana, "sp_heartbeat_cliente", cliente_id, ana, token).ok
        if got_bea.ok:
            assert (c["lock_token"], c["lock_asesor_id"]) == (got_bea.rows[0][0]["lock_token"], bea)
            assert attempt(conn_bea, "sp_heartbeat_cliente", cliente_id, bea, c["lock_token"]).ok
        else:
            assert c["lock_token"] is None and c["lock_asesor_id"] is None
    assert_consistent(db)


def test_two_connections_of_one_asesor_get_the_same_token(db: Db, conns: Connections) -> None:
    ana = db.asesor("Ana")
    first, second = conns.new(), conns.new()
    for _ in range(40):
        cliente_id = db.derivado(ana)
        a, b = race(lambda c=cliente_id: attempt(first, "sp_tomar_cliente", c, ana),
                    lambda c=cliente_id: attempt(second, "sp_tomar_cliente", c, ana))
        assert a.ok and b.ok
        assert a.rows[0][0]["lock_token"] == b.rows[0][0]["lock_token"] == db.cliente(cliente_id)["lock_token"]
    assert_consistent(db)


# --- heartbeat against the sweep -----------------------------------------------------------------------


def test_a_heartbeat_racing_the_sweep_is_never_lost(db: Db, conns: Connections) -> None:
    """With the timeout exactly at the race: a heartbeat that committed keeps its customer.

    Per customer the only outcomes are: the heartbeat commits and the customer stays; the
    sweep returns it and the heartbeat is refused (INVALID_TRANSITION after the sweep,
    INACTIVITY_EXPIRED when it was already past the deadline); or both pass on it (the
    heartbeat came too late, the sweep found its row locked or looked a moment too early)
    and the next sweep returns it. Never a committed heartbeat and a returned customer.
    """
    timeout = 1
    db.set_config("timeout_segundos", timeout)
    asesores = [db.asesor(f"A{i}") for i in range(4)]
    beaters = [conns.new() for _ in range(8)]
    sweeper = conns.new()
    rng = random.Random(7)
    outcomes: Counter[str] = Counter()
    # The deadlines are spread over a window a few heartbeats long, so that both sides win
    # sometimes on a fast server and on a slow (or busy) one alike.
    probe_cliente, probe_token = db.en_gestion(asesores[0])
    started = time.monotonic()
    for _ in range(5):
        call(beaters[0], "sp_heartbeat_cliente", probe_cliente, asesores[0], probe_token)
    window_us = max(12_000, int((time.monotonic() - started) / 5 * 4 * 1_000_000))
    db.call("sp_completar_wizard", probe_cliente, asesores[0], probe_token)
    for _round in range(40):
        clientes = []
        for i in range(len(beaters)):
            asesor = asesores[i % len(asesores)]
            cliente_id, token = db.en_gestion(asesor) if i % 2 else db.tomado(asesor)
            clientes.append((cliente_id, asesor, token))
        history_before = {c: len(db.historial(c)) for c, _a, _t in clientes}
        # Put every deadline within a few milliseconds of the moment the threads start: one
        # statement, right before they do.
        offsets = " ".join(f"WHEN {c} THEN {rng.randint(0, window_us)}" for c, _a, _t in clientes)
        db.execute(f"UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL "
                   f"({timeout * 1_000_000} - CASE id {offsets} END) MICROSECOND "
                   f"WHERE id IN ({', '.join(str(c) for c, _a, _t in clientes)})")

        def beat(conn: Any, cliente_id: int, asesor: int, token: str) -> Result:
            time.sleep(rng.random() * 0.004)
            return attempt(conn, "sp_heartbeat_cliente", cliente_id, asesor, token)

        def sweep() -> Result:
            time.sleep(rng.random() * 0.004)
            return attempt(sweeper, "sp_barrido_seguimiento")

        results = race(*[lambda conn=conn, c=c: beat(conn, *c) for conn, c in zip(beaters, clientes, strict=True)],
                       sweep)
        swept = results[-1]
        assert swept.ok and swept.rows[0][0]["omitido"] == 0
        status = {c: db.cliente(c)["seguimiento_status"] for c, _a, _t in clientes}
        for (cliente_id, _asesor, _token), beat_result in zip(clientes, results[:-1], strict=True):
            returned = status[cliente_id] == "no_gestionado"
            if beat_result.ok:
                assert not returned, f"cliente {cliente_id}: heartbeat committed, yet the sweep returned it"
                outcomes["heartbeat kept it"] += 1
            else:
                assert beat_result.errno in (ErrorCode.INVALID_TRANSITION, ErrorCode.INACTIVITY_EXPIRED), beat_result
                outcomes["returned" if returned else "left for the next sweep"] += 1
                if beat_result.errno == ErrorCode.INVALID_TRANSITION:
                    assert returned, "INVALID_TRANSITION means the sweep got there first"
            new_rows = db.historial(cliente_id)[history_before[cliente_id]:]
            assert len(new_rows) == (1 if returned else 0), new_rows
        assert swept.rows[0][0]["devueltos"] == sum(s == "no_gestionado" for s in status.values())
        assert_consistent(db)

        # Whatever was left past its deadline goes with the next sweep; the kept ones stay.
        time.sleep(0.002)
        call(sweeper, "sp_barrido_seguimiento")
        for (cliente_id, asesor, token), beat_result in zip(clientes, results[:-1], strict=True):
            expected = "no_gestionado" if not beat_result.ok else status[cliente_id]
            assert db.cliente(cliente_id)["seguimiento_status"] == expected
            if beat_result.ok:  # finish it, so it cannot go idle into a later round's sweep
                if expected == "derivado":
                    db.call("sp_abrir_wizard", cliente_id, asesor, token)
                db.call("sp_completar_wizard", cliente_id, asesor, token)
    assert_consistent(db)
    # The edge was really raced: both sides won sometimes.
    assert outcomes["heartbeat kept it"] > 0 and outcomes["returned"] > 0, outcomes


# --- reassignment against opening the wizard ------------------------------------------------------------


def test_gtr_reassigning_while_the_asesor_opens_the_wizard(db: Db, conns: Connections) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    conn_ana, conn_gtr = conns.new(), conns.new()
    seen: Counter[str] = Counter()
    for _ in range(40):
        cliente_id, token = db.tomado(ana)
        opened, moved = race(lambda c=cliente_id, t=token: attempt(conn_ana, "sp_abrir_wizard", c, ana, t),
                             lambda c=cliente_id: attempt(conn_gtr, "sp_derivar_cliente", c, bea, "gtr"))
        assert moved.ok
        c = db.cliente(cliente_id)
        assert (c["seguimiento_status"], c["asesor_asignado"], c["opened_at"], c["lock_token"]) == (
            "derivado", bea, None, None)
        steps = [(h["estado_anterior"], h["estado_nuevo"], h["asesor_id"], h["asesor_anterior_id"])
                 for h in db.historial(cliente_id)][2:]
        if opened.ok:  # Ana opened first, then GTR took it from her.
            assert steps == [("derivado", "en_gestion", ana, None), ("en_gestion", "derivado", bea, ana)]
            seen["opened first"] += 1
        else:  # GTR moved it first: Ana is no longer assigned.
            assert opened.errno == ErrorCode.NOT_ASSIGNED
            assert steps == [("derivado", "derivado", bea, ana)]
            seen["moved first"] += 1
    assert_consistent(db)
    assert sum(seen.values()) == 40


# --- the outbox under writers that commit and roll back ---------------------------------------------------


class OutboxReader(threading.Thread):
    """Polls sp_outbox_leer(last, n) like the gateway's tailer, keeping only the last id."""

    def __init__(self, url: DatabaseUrl) -> None:
        super().__init__(daemon=True)
        self.conn = connect(url)
        self.events: list[Row] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def poll(self) -> int:
        last = self.events[-1]["id"] if self.events else 0
        (batch,) = call(self.conn, "sp_outbox_leer", last, 500)
        for expected, event in enumerate(batch, start=last + 1):
            assert event["id"] == expected, f"after id {last} the reader got {[e['id'] for e in batch]}"
        self.events.extend(batch)
        return len(batch)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self.poll():
                    time.sleep(0.002)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self, db: Db) -> list[Row]:
        """Stop, read what is left, and check every committed event came exactly once."""
        self.stop.set()
        self.join(timeout=30)
        assert self.error is None, self.error
        while self.poll():
            pass
        self.conn.close()
        table = db.query("SELECT id, event_type, cliente_id, payload FROM outbox ORDER BY id")
        assert [e["id"] for e in self.events] == [e["id"] for e in table]
        assert [(e["event_type"], e["cliente_id"], json.loads(e["payload"])) for e in self.events] == [
            (e["event_type"], e["cliente_id"], json.loads(e["payload"])) for e in table]
        return self.events


def test_a_writer_killed_after_taking_an_outbox_id_leaves_no_gap(db: Db, conns: Connections) -> None:
    """A long transaction that took the next outbox id is rolled back mid-call while other
    writers queue behind it and a reader polls: no gap, no phantom, nothing missed."""
    asesor = db.asesor()
    for _ in range(3):
        db.derivado(asesor)
    reader = OutboxReader(db.url)
    reader.start()

    # The blocker locks the history table's rows and the gap after them, so the victim's history
    # insert, its last step before COMMIT, waits there with its outbox id taken.
    blocker = conns.new()
    cur = blocker.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("SELECT id FROM clientes_historial FOR UPDATE")
    cur.fetchall()
    victim = conns.new()
    victim_id = victim.connection_id
    victim_result: list[Result] = []
    victim_thread = threading.Thread(
        target=lambda: victim_result.append(attempt(victim, "sp_cargar_cliente", "Víctima", None, None)))
    victim_thread.start()

    def victim_at_history_insert() -> bool:
        # PROCESSLIST is live; INNODB_TRX is a cache that frequent polling keeps stale.
        rows = db.query("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = %s", (victim_id,))
        return bool(rows) and (rows[0]["INFO"] or "").startswith("INSERT INTO clientes_historial")

    wait_for(lambda: victim_at_history_insert() or bool(victim_result), "the victim to reach its history insert")
    assert not victim_result, f"the victim finished instead of waiting: {victim_result}"
    time.sleep(0.25)
    (trx,) = db.query("SELECT trx_state, trx_rows_modified FROM information_schema.INNODB_TRX "
                      "WHERE trx_mysql_thread_id = %s", (victim_id,))
    # Waiting, with its customer, the sequence bump and its outbox row already written.
    assert trx["trx_state"] == "LOCK WAIT" and trx["trx_rows_modified"] >= 3, trx

    # Writers that queue behind the victim's lock on the outbox sequence.
    writers = [conns.new() for _ in range(4)]
    written: list[Result] = []

    def write(conn: Any, n: int) -> None:
        for i in range(5):
            written.append(attempt(conn, "sp_cargar_cliente", f"W{n}-{i}", None, None))

    writer_threads = [threading.Thread(target=write, args=(conn, n)) for n, conn in enumerate(writers)]
    for t in writer_threads:
        t.start()
    time.sleep(0.3)
    assert reader.events[-1]["id"] == 6, "nothing after the victim's id may be visible yet"

    db.execute(f"KILL QUERY {victim_id}")
    victim_thread.join(timeout=10)
    assert victim_result and not victim_result[0].ok and victim_result[0].errno in KILLED
    blocker.rollback()
    for t in writer_threads:
        t.join(timeout=30)
    assert len(written) == 20 and all(r.ok for r in written)

    events = reader.finish(db)
    assert len(events) == 6 + 20
    assert not db.query("SELECT id FROM clientes WHERE nombre = 'Víctima'")
    assert_consistent(db)


def writing_procedures() -> set[str]:
    """Public procedures that write (or read in a transaction of their own), themselves or
    through the internal procedures they CALL (sp_desactivar_asesor's body is
    _desactivar_asesor's, for one)."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (SQL_DIR / "procedures").glob("*.sql")}
    writes = {name for name, text in texts.items()
              if re.search(r"^\s*(INSERT|UPDATE|DELETE|START TRANSACTION)\b", text, re.M)}
    calls = {name: set(re.findall(r"\bCALL\s+(_[a-z_]+)\s*\(", text)) for name, text in texts.items()}
    # The internal helpers every writer shares (the transaction, the outbox id) write the
    # outbox sequence only as part of their caller's own writes: following them would make
    # every procedure that opens a transaction a writer by way of them alone.
    changed = True
    while changed:
        changed = False
        for name in texts:
            if name not in writes and calls[name] & writes - {"_abrir_transaccion", "_cerrar_transaccion"}:
                writes.add(name)
                changed = True
    return {name for name in writes if name.startswith("sp_")}


HOY = datetime.combine(datetime.now(UTC).date(), datetime.min.time())


def leftover_calls(db: Db) -> dict[str, tuple[tuple[Any, ...], str | None]]:
    """A valid call of every writing procedure, in a small world built through the procedures,
    and a query that finds the call's own effect (None when it leaves nothing to see)."""
    ana = db.asesor("Ana")
    derivado, token = db.tomado(ana)
    en_gestion, token_eg = db.en_gestion(ana)
    nuevo = db.nuevo_cliente()
    token_id = int(db.call_one("sp_crear_token", "b" * 64, "gtr", None, None)["token_id"])
    vencido = int(db.call_one("sp_crear_token", "e" * 64, "gtr", None, None)["token_id"])
    db.execute("UPDATE api_tokens SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = %s", (vencido,))
    beto, dora = db.asesor("Beto"), db.asesor("Dora")
    db.derivado(beto)
    db.call("sp_desactivar_asesor", dora, "dba")
    # Routing: a manual campaign with one waiting customer, turned auto by hand so that nothing
    # assigns it before the pull does; an available asesor with its skill.
    ventas = int(db.call_one("sp_crear_campana", "Ventas", None, 5, "manual", 0, 3)["campana_id"])
    db.call("sp_cargar_cliente_en_campana", "En cola", None, None, ventas, 0)
    eva = db.asesor("Eva")
    db.call("sp_asignar_habilidad", eva, ventas)
    db.call("sp_cambiar_presencia", eva, "disponible", None, "dba")
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (ventas,))
    fito = db.asesor("Fito")
    devuelto = db.derivado(fito)
    hoy = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    manana = hoy + timedelta(days=1)
    return {
        "sp_cargar_cliente_en_campana": (("En campana", None, None, ventas, 7),
                                         "SELECT 1 FROM clientes WHERE nombre = 'En campana' AND prioridad = 7"),
        "sp_importar_lote_en_campana": (("a" * 64, "f.csv", '[{"linea": 1, "nombre": "Importado2"}]', 0, ventas, 1),
                                        "SELECT 1 FROM clientes WHERE nombre = 'Importado2'"),
        "sp_crear_campana": (("Cobranza", 60, 1, "auto", 30, 2), "SELECT 1 FROM campanas WHERE nombre = 'Cobranza'"),
        "sp_configurar_campana": ((ventas, "prioridad", "9"),
                                  f"SELECT 1 FROM campanas WHERE id = {ventas} AND prioridad = 9"),
        "sp_configurar_campana_varios": ((ventas, '{"prioridad": 8, "reciclaje_segundos": 15}'),
                                         f"SELECT 1 FROM campanas WHERE id = {ventas} AND prioridad = 8 "
                                         "AND reciclaje_segundos = 15"),
        "sp_asignar_habilidad": ((fito, ventas),
                                 f"SELECT 1 FROM asesor_campanas WHERE asesor_id = {fito} AND campana_id = {ventas}"),
        "sp_quitar_habilidad": ((eva, ventas),
                                f"SELECT 1 FROM asesores WHERE id = {eva} AND NOT EXISTS "
                                f"(SELECT 1 FROM asesor_campanas WHERE asesor_id = {eva})"),
        "sp_fijar_capacidad": ((fito, 4), f"SELECT 1 FROM asesores WHERE id = {fito} AND capacidad = 4"),
        "sp_cambiar_presencia": ((fito, "en_pausa", "almuerzo", "asesor"),
                                 f"SELECT 1 FROM asesores WHERE id = {fito} AND presencia = 'en_pausa'"),
        "sp_configurar_motivo_pausa": (("cafe", "Coffee", 1), "SELECT 1 FROM motivos_pausa WHERE codigo = 'cafe'"),
        "sp_reportar_conectados": ((f"[{fito}]",), f"SELECT 1 FROM asesores_conexion WHERE asesor_id = {fito}"),
        "sp_siguiente_cliente": ((eva,),
                                 "SELECT 1 FROM clientes WHERE nombre = 'En cola' AND asesor_asignado IS NOT NULL"),
        "sp_devolver_cliente": ((devuelto, fito, "no contesta"),
                                f"SELECT 1 FROM clientes WHERE id = {devuelto} "
                                "AND seguimiento_status = 'no_gestionado'"),
        "sp_distribuir": ((), None),
        "sp_crear_asesor": (("Zoe",), "SELECT 1 FROM asesores WHERE nombre = 'Zoe'"),
        "sp_cargar_cliente": (("Nuevo", None, None), "SELECT 1 FROM clientes WHERE nombre = 'Nuevo'"),
        "sp_derivar_cliente": ((nuevo, ana, "gtr"),
                               f"SELECT 1 FROM clientes WHERE id = {nuevo} AND seguimiento_status = 'derivado'"),
        "sp_tomar_cliente": ((derivado, ana), None),
        "sp_heartbeat_cliente": ((derivado, ana, token), None),
        "sp_abrir_wizard": ((derivado, ana, token),
                            f"SELECT 1 FROM clientes WHERE id = {derivado} AND seguimiento_status = 'en_gestion'"),
        "sp_actualizar_cliente": ((derivado, ana, token, '{"nota": "x"}'),
                                  f"SELECT 1 FROM clientes WHERE id = {derivado} AND datos IS NOT NULL"),
        "sp_completar_wizard": ((en_gestion, ana, token_eg),
                                f"SELECT 1 FROM clientes WHERE id = {en_gestion} AND seguimiento_status = 'terminado'"),
        "sp_liberar_cliente": ((derivado, ana, token),
                               f"SELECT 1 FROM clientes WHERE id = {derivado} AND lock_token IS NULL"),
        "sp_listar_clientes": ((None, None, 10, 0), None),
        "sp_listar_clientes_de_campana": ((ventas, None, None, 10, 0), None),
        "sp_barrido_seguimiento": ((), None),
        "sp_purgar_outbox": ((), None),
        "sp_crear_token_con_vigencia": (("c" * 64, "gtr", None, None, 60),
                                        "SELECT 1 FROM api_tokens WHERE token_sha256 = REPEAT('c', 64)"),
        "sp_caducar_tokens": ((), f"SELECT 1 FROM api_tokens WHERE id = {vencido} AND caducado_at IS NOT NULL"),
        "sp_desactivar_asesor": ((beto, "gtr"), f"SELECT 1 FROM asesores WHERE id = {beto} AND activo = 0"),
        "sp_activar_asesor": ((dora, "gtr"), f"SELECT 1 FROM asesores WHERE id = {dora} AND activo = 1"),
        "sp_revocar_token": ((token_id,), f"SELECT 1 FROM api_tokens WHERE id = {token_id} AND revoked_at IS NOT NULL"),
        "sp_configurar": (("timeout_segundos", 299),
                          "SELECT 1 FROM seguimiento_config WHERE clave = 'timeout_segundos' AND valor = 299"),
        "sp_importar_lote": (("d" * 64, "f.csv", '[{"linea": 1, "nombre": "Importado"}]', 0),
                             "SELECT 1 FROM clientes WHERE nombre = 'Importado'"),
        # The desk (issue 14): administration by a live GTR token, and the reports, which fold
        # new history into their summaries first (sp_resumir_historial) and then read.
        "sp_gtr_crear_asesor": ((token_id, "Yago"), "SELECT 1 FROM asesores WHERE nombre = 'Yago'"),
        "sp_gtr_desactivar_asesor": ((token_id, beto), f"SELECT 1 FROM asesores WHERE id = {beto} AND activo = 0"),
        "sp_gtr_activar_asesor": ((token_id, dora), f"SELECT 1 FROM asesores WHERE id = {dora} AND activo = 1"),
        "sp_gtr_configurar": ((token_id, "timeout_segundos", 298),
                              "SELECT 1 FROM seguimiento_config WHERE clave = 'timeout_segundos' AND valor = 298"),
        "sp_gtr_emitir_token_asesor": ((token_id, ana, "f" * 64, "mesa", None),
                                       "SELECT 1 FROM api_tokens WHERE token_sha256 = REPEAT('f', 64)"),
        "sp_gtr_configurar_motivo_pausa": ((token_id, "siesta", "Siesta", 1),
                                           "SELECT 1 FROM motivos_pausa WHERE codigo = 'siesta'"),
        "sp_historial_cliente_de_asesor": ((ana, derivado), None),
        "sp_resumir_historial": ((), "SELECT 1 FROM reporte_progreso WHERE ultimo_outbox_id > 0"),
        "sp_reporte_asesores": ((hoy, manana, None), "SELECT 1 FROM reporte_progreso WHERE ultimo_outbox_id > 0"),
        "sp_reporte_por_hora": ((hoy, manana, None), "SELECT 1 FROM reporte_progreso WHERE ultimo_outbox_id > 0"),
        "sp_reporte_velocidad": ((hoy, manana, None, 300),
                                 "SELECT 1 FROM reporte_progreso WHERE ultimo_outbox_id > 0"),
        "sp_reporte_campanas": ((hoy, manana, None, None, 300),
                                "SELECT 1 FROM reporte_progreso WHERE ultimo_outbox_id > 0"),
    }


def test_every_writing_procedure_has_a_leftover_case(db: Db) -> None:
    assert set(leftover_calls(db)) == writing_procedures()


@pytest.mark.parametrize("procedure", sorted(writing_procedures()))
def test_the_next_call_never_commits_what_an_interrupted_call_left_open(
        db: Db, conns: Connections, procedure: str) -> None:
    """A KILL QUERY that lands between two statements of a procedure aborts it without its
    exit handler, leaving the session inside the call's transaction with part of the change
    made. Here that state is made by hand (the first half of sp_derivar_cliente: the row
    updated, no history, no event); the session's next call must roll it back, not commit it."""
    args, effect = leftover_calls(db)[procedure]
    asesor = db.asesor("Half")
    half_done = db.nuevo_cliente()
    session = conns.new()
    cur = session.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("UPDATE clientes SET seguimiento_status = 'derivado', asesor_asignado = %s, "
                "derivado_at = UTC_TIMESTAMP(6), last_activity = UTC_TIMESTAMP(6) WHERE id = %s",
                (asesor, half_done))
    cur.close()

    call(session, procedure, *args)
    assert db.cliente(half_done)["seguimiento_status"] == "nuevo"
    if effect:
        session.rollback()  # whatever the session does next, the call's own work is committed
        assert db.query(effect), f"{procedure} did not do its own work"
    assert not db.query("SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = %s",
                        (session.connection_id,)), "the session must not stay inside a transaction"
    assert_consistent(db)


# --- everything at once -------------------------------------------------------------------------------------


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str) -> None:
        with self.lock:
            self.calls[key] += 1


class Worker(threading.Thread):
    """One connection doing random valid operations until told to stop."""

    def __init__(self, url: DatabaseUrl, tally: Tally, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.tally = tally
        self.stop = stop
        self.rng = random.Random(seed)
        self.conn = connect(url)
        self.connection_id: int = self.conn.connection_id
        self.killed_at = -1e9  # when the Killer last sent this connection a KILL

    def just_killed(self) -> bool:
        return time.monotonic() - self.killed_at < 5

    def reconnect(self) -> None:
        with suppress(Exception):
            self.conn.close()
        self.conn = connect(self.url)
        self.connection_id = self.conn.connection_id

    def do(self, procedure: str, *args: Any) -> list[list[Row]] | None:
        try:
            rows = call(self.conn, procedure, *args)
        except mysql.connector.Error as exc:
            if exc.errno in CATALOGUE:
                self.tally.add(f"{procedure}: {ErrorCode(exc.errno).name}")
            elif exc.errno in KILLED or (exc.errno == KILLED_MULTI_TABLE_UPDATE and self.just_killed()):
                self.tally.add("killed")
                if exc.errno != 1317:
                    self.reconnect()
            else:
                self.tally.unexpected.append(f"{procedure}{args!r}: {exc!r}")
            return None
        self.tally.add(f"{procedure}: ok")
        return rows

    def select(self, sql: str, *params: Any) -> list[Row]:
        try:
            cur = self.conn.cursor(dictionary=True)
            cur.execute(sql, params)
            rows: list[Row] = cur.fetchall()
            cur.close()
            return rows
        except mysql.connector.Error as exc:
            if exc.errno not in KILLED:
                self.tally.unexpected.append(f"{sql}: {exc!r}")
            self.reconnect()
            return []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.step()
        except BaseException as exc:  # reported through the tally
            self.tally.unexpected.append(f"{type(self).__name__} crashed: {exc!r}")
        finally:
            self.conn.close()

    def step(self) -> None:
        raise NotImplementedError


class Gtr(Worker):
    def __init__(self, *args: Any, asesores: list[int], snapshots: list[tuple[int, dict[int, str]]]) -> None:
        super().__init__(*args)
        self.asesores = asesores
        self.snapshots = snapshots

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            open_count = self.select("SELECT COUNT(*) AS n FROM clientes WHERE seguimiento_status <> 'terminado'")
            if open_count and open_count[0]["n"] < 40:
                self.do("sp_cargar_cliente", f"Cliente {self.rng.randint(1, 10**6)}",
                        str(self.rng.randint(10**8, 10**9 - 1)), '{"origen": "carrera"}')
        elif roll < 0.95:
            # Mostly customers waiting for an asesor; now and then a reassignment of one being
            # worked (which may also be refused: terminado by now, or the same asesor).
            waiting = "IN ('nuevo', 'no_gestionado')" if roll < 0.8 else "<> 'terminado'"
            rows = self.select(f"SELECT id FROM clientes WHERE seguimiento_status {waiting} ORDER BY RAND() LIMIT 1")
            if rows:
                self.do("sp_derivar_cliente", rows[0]["id"], self.rng.choice(self.asesores),
                        self.rng.choice(["gtr", "dba"]))
        else:
            sets = self.do("sp_listar_clientes", None, None, 1000, 0)
            if sets:
                head, page = sets
                assert head[0]["total"] == len(page) < 1000
                self.snapshots.append((head[0]["snapshot_outbox_id"],
                                       {r["cliente_id"]: r["seguimiento_status"] for r in page}))
        time.sleep(self.rng.random() * 0.03)


class Asesor(Worker):
    def __init__(self, *args: Any, asesor: int) -> None:
        super().__init__(*args)
        self.asesor = asesor

    def step(self) -> None:
        mine = self.select("SELECT id FROM clientes WHERE asesor_asignado = %s", self.asesor)
        if not mine:
            time.sleep(0.02)
            return
        cliente_id = self.rng.choice(mine)["id"]
        taken = self.do("sp_tomar_cliente", cliente_id, self.asesor)
        token = taken[0][0]["lock_token"] if taken else None
        for _ in range(self.rng.randint(1, 4)):
            roll = self.rng.random()
            if roll < 0.3:
                self.do("sp_heartbeat_cliente", cliente_id, self.asesor, token)
            elif roll < 0.5:
                self.do("sp_abrir_wizard", cliente_id, self.asesor, token)
            elif roll < 0.65:
                self.do("sp_actualizar_cliente", cliente_id, self.asesor, token,
                        json.dumps({"paso": self.rng.randint(1, 9), "nota": "ok"}))
            elif roll < 0.7:
                # Refused after the row is locked, mid-procedure: must roll back cleanly.
                self.do("sp_actualizar_cliente", cliente_id, self.asesor, token, '{"nombre": ""}')
            elif roll < 0.85:
                self.do("sp_completar_wizard", cliente_id, self.asesor, token)
            else:
                self.do("sp_liberar_cliente", cliente_id, self.asesor, token)
            time.sleep(self.rng.random() * 0.02)
        if self.rng.random() < 0.1:
            time.sleep(self.rng.uniform(0.5, 2.5))  # walks away: the sweep may take it


class Sweeper(Worker):
    def step(self) -> None:
        self.do("sp_barrido_seguimiento")
        time.sleep(0.2)


class Killer(threading.Thread):
    """Interrupts random workers mid-call: their transactions must roll back whole."""

    def __init__(self, url: DatabaseUrl, workers: list[Worker], stop: threading.Event, tally: Tally) -> None:
        super().__init__(daemon=True)
        self.conn = connect(url)
        self.workers = workers
        self.stop = stop
        self.tally = tally
        self.rng = random.Random(99)

    def run(self) -> None:
        try:
            while not self.stop.wait(self.rng.uniform(0.05, 0.25)):
                victim = self.rng.choice(self.workers)
                kind = "CONNECTION" if self.rng.random() < 0.2 else "QUERY"
                try:
                    victim.killed_at = time.monotonic()
                    self.conn.cursor().execute(f"KILL {kind} {victim.connection_id}")
                    self.tally.add(f"kill {kind.lower()} sent")
                except mysql.connector.Error as exc:
                    if exc.errno != 1094:  # unknown thread: it had just reconnected
                        self.tally.unexpected.append(f"KILL: {exc!r}")
        finally:
            self.conn.close()


def check_snapshots(db: Db, snapshots: list[tuple[int, dict[int, str]]]) -> None:
    """Each board page equals the state replayed from history up to its snapshot id."""
    history = db.query("SELECT cliente_id, estado_nuevo, outbox_id FROM clientes_historial ORDER BY outbox_id")
    for snapshot_id, page in snapshots:
        replayed: dict[int, str] = {}
        for h in history:
            if h["outbox_id"] > snapshot_id:
                break
            replayed[h["cliente_id"]] = h["estado_nuevo"]
        assert page == replayed, f"board page at snapshot {snapshot_id} differs from the history"


def test_twenty_connections_at_random_then_every_invariant_holds(db: Db) -> None:
    db.set_config("timeout_segundos", 2)
    # Seven asesores, six of them at work: the seventh never shows up, so the sweep has work.
    asesores = [db.asesor(f"Asesor {i}") for i in range(7)]
    for _ in range(20):
        db.nuevo_cliente()
    tally, stop = Tally(), threading.Event()
    snapshots: list[tuple[int, dict[int, str]]] = []
    workers: list[Worker] = [Gtr(db.url, tally, stop, n, asesores=asesores, snapshots=snapshots) for n in range(3)]
    workers += [Asesor(db.url, tally, stop, 10 + n, asesor=asesores[n % 6]) for n in range(16)]
    workers.append(Sweeper(db.url, tally, stop, 100))
    assert len(workers) == 20
    reader = OutboxReader(db.url)
    killer = Killer(db.url, workers, stop, tally)

    reader.start()
    for w in workers:
        w.start()
    killer.start()
    time.sleep(12)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    killer.join(timeout=10)
    assert not any(w.is_alive() for w in workers)
    assert not tally.unexpected, sorted(set(u[-150:] for u in tally.unexpected))[:20]

    events = reader.finish(db)
    assert_consistent(db)
    check_snapshots(db, snapshots)

    # The run exercised what it claims to.
    calls = tally.calls
    kinds = Counter(e["event_type"] for e in events)
    assert {"CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_UPDATED", "CLIENT_COMPLETED",
            "CLIENT_RETURNED_TO_GTR"} <= set(kinds), kinds
    assert calls["killed"] > 0 and calls["sp_actualizar_cliente: INVALID_INPUT"] > 0, calls
    assert len(snapshots) > 5, len(snapshots)
