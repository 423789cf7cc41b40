"""Fault: a long transaction holding outbox ids open.

A DBA makes a transition by hand: in a transaction of their own they update a customer and
call the internal ``_registrar_cambio``, which reserves the next outbox id through
``_reservar_outbox_ids`` and so holds the sequence row's lock; then they sit on it for
seconds before COMMIT (or ROLLBACK). Meanwhile asesores work through the gateway, a DBA
script writes directly, and dashboards listen.

What must happen (sql/procedures/_reservar_outbox_ids.sql): every other event-writing
transaction waits behind the lock (measured), transactions that write no event
(heartbeats) do not wait at all, and once the long one ends every socket gets every
committed event once, in id order: the tailer neither skips the held id nor reorders.

Past ``innodb_lock_wait_timeout`` the waiting writers give up with error 1205: the gateway
answers 503 ``database_busy`` (gateway/web/http_errors.py) and a direct caller gets 1205 itself;
either way the procedure's exit handler rolls the whole call back. The gateway's sessions
take the server's global lock wait timeout, so this test runs on a private server where it
sets ``SET GLOBAL innodb_lock_wait_timeout`` low before starting the gateway.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import mysql.connector

from tests.gateway.conftest import People
from tests.gateway.harness import Api, GatewayProcess, error_code, make_token, run, running_gateway
from tests.privateserver import private_server
from tests.reliability.dashboards import Dashboard, compare, expected_ids, totals, withheld_from_a_resumed_asesor
from tests.reliability.recording import Record
from tests.reliability.workload import CLIENT_TIMEOUT, DirectWriter, Outcomes, acknowledged_missing, http_writer
from tests.support import Db, call, connect
from tests.test_races import assert_consistent

LOCK_WAIT_S = 3  # innodb_lock_wait_timeout on the private server (50 by default)
HOLD_S = 1.5  # the long transaction, within the lock wait timeout
HOLD_PAST_S = LOCK_WAIT_S + 2.0  # ... and past it
LOCK_WAIT_TIMEOUT = 1205


def hand_made_update(url: Any, cliente: int, asesor: int, hold: float, commit: bool) -> dict[str, Any]:
    """A DBA's hand-made CLIENT_UPDATED in one transaction held ``hold`` seconds; the outbox
    id it reserved and when it took it (the lock is held from then until COMMIT/ROLLBACK)."""
    conn = connect(url)
    try:
        cur = conn.cursor(dictionary=True)
        cur.execute("START TRANSACTION")
        cur.execute("UPDATE clientes SET datos = JSON_SET(COALESCE(datos, '{}'), '$.nota', 'a mano'), "
                    "updated_at = UTC_TIMESTAMP(6) WHERE id = %s", (cliente,))
        cur.execute(
            "CALL _registrar_cambio(%s, 'derivado', 'derivado', %s, NULL, 'dba', 'datos_actualizados', "
            "'CLIENT_UPDATED', (SELECT JSON_OBJECT('asesorId', CAST(%s AS SIGNED), 'nombre', nombre, "
            "'telefono', telefono, 'datos', datos) FROM clientes WHERE id = %s), UTC_TIMESTAMP(6))",
            (cliente, asesor, asesor, cliente))
        cur.execute("SELECT MAX(id) AS id FROM outbox")
        reserved = int(cur.fetchall()[0]["id"])
        taken_at = time.monotonic()
        time.sleep(hold)
        cur.execute("COMMIT" if commit else "ROLLBACK")
        cur.close()
        return {"id": reserved, "taken_at": taken_at, "released_at": time.monotonic()}
    finally:
        conn.close()


class Heartbeats(threading.Thread):
    """An asesor's heartbeats on a customer it holds, on a plain connection: they write no
    event, so they must never wait for the outbox sequence."""

    def __init__(self, url: Any, cliente: int, asesor: int, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True, name="heartbeats")
        self.args = (cliente, asesor, token)
        self.url = url
        self.stop = stop
        self.samples: list[tuple[float, float]] = []  # (started at, seconds)
        self.error: BaseException | None = None

    def run(self) -> None:
        conn = connect(self.url)
        try:
            while not self.stop.wait(0.05):
                started = time.monotonic()
                call(conn, "sp_heartbeat_cliente", *self.args)
                self.samples.append((started, time.monotonic() - started))
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            conn.close()

    def during(self, start: float, end: float) -> list[float]:
        return [seconds for at, seconds in self.samples if start <= at <= end]


def direct_call_waits(url: Any, cliente: int, asesor: int) -> tuple[int | None, float]:
    """A direct caller's event-writing call while the sequence is held: its errno (None if it
    went through) and how long it took."""
    conn = connect(url)
    started = time.monotonic()
    try:
        call(conn, "sp_derivar_cliente", cliente, asesor, "dba")
        return None, time.monotonic() - started
    except mysql.connector.Error as exc:
        return exc.errno, time.monotonic() - started
    finally:
        conn.close()


@run(timeout=150)
async def test_a_long_transaction_holding_outbox_ids(tmp_path: Path, reliability: Record) -> None:
    """A long transaction holds outbox ids open: writers wait, the tailer skips and reorders nothing"""
    rec = reliability
    rec.load = ("3 asesores doing whole cycles over HTTP, 1 DBA script loading and assigning directly, "
                "heartbeats every 50 ms on a plain connection, 3 dashboard sockets (2 GTR, 1 asesor)")
    rec.faults = (f"a hand-made transition holding the outbox sequence {HOLD_S} s then COMMIT, again then "
                  f"ROLLBACK, then held {HOLD_PAST_S:.1f} s, past innodb_lock_wait_timeout = {LOCK_WAIT_S} s")
    rec.inputs = "gateway writes and direct CALLs queued behind the held lock"
    with private_server(tmp_path) as server:
        admin = Db(server.url)
        admin.execute(f"SET GLOBAL innodb_lock_wait_timeout = {LOCK_WAIT_S}")  # for the direct callers
        asesores = [admin.asesor(f"Asesor {n}") for n in range(3)]
        gtr_token = make_token(admin, "gtr")
        tokens = [make_token(admin, "asesor", a) for a in asesores]
        held_for_hand, _token = admin.tomado(asesores[0])  # the customer the DBA edits by hand
        beaten, beat_token = admin.tomado(asesores[1])
        # Re-assigned by a direct caller while held, between two asesores no other writer uses:
        # assignments lock the asesor row, so a shared one would add a wait on another writer
        # (itself queued on the sequence) and the call's waits, each under the timeout, would
        # add up past it without any one of them reaching 1205.
        directos = [admin.asesor("Directo A"), admin.asesor("Directo B")]
        victim_direct = admin.derivado(directos[0])

        out = Outcomes()
        stop_threads = threading.Event()
        dba = DirectWriter(server.url, asesores, out, stop_threads, seed=3, pause=0.05)
        beats = Heartbeats(server.url, beaten, asesores[1], beat_token, stop_threads)
        # The gateway's sessions wait for locks half its query timeout: LOCK_WAIT_S too.
        gateway = GatewayProcess(server.url, env={"SEGUIMIENTO_QUERY_TIMEOUT": str(2 * LOCK_WAIT_S)}).start()
        rounds: dict[str, dict[str, Any]] = {}
        try:
            async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
                boards = {
                    "gtr 1": await Dashboard(session, gtr_token, gateway.base, [gateway.base], name="gtr 1").start(),
                    "gtr 2": await Dashboard(session, gtr_token, gateway.base, [gateway.base], name="gtr 2").start(),
                    "asesor 0": await Dashboard(session, tokens[0], gateway.base, [gateway.base],
                                                name="asesor 0").start(),
                }
                stop = asyncio.Event()
                gtr = Api(session, gateway.base, gtr_token)
                writers = [asyncio.ensure_future(http_writer(
                    gtr, Api(session, gateway.base, tokens[n]), asesores[n], out, stop, f"Asesor {n}",
                    no_answer_pause=0.05)) for n in range(3)]
                dba.start()
                beats.start()
                await asyncio.sleep(1.0)

                for name, hold, commit in (("commit", HOLD_S, True), ("rollback", HOLD_S, False),
                                           ("past the lock wait timeout", HOLD_PAST_S, True)):
                    busy_before = out.total(lambda k: k.endswith("503 database_busy"))
                    direct_1205_before = out.total(lambda k: k == f"direct error {LOCK_WAIT_TIMEOUT}")
                    waits_before = len(out.waits)
                    long = asyncio.ensure_future(asyncio.to_thread(
                        hand_made_update, server.url, held_for_hand, asesores[0], hold, commit))
                    await asyncio.sleep(0.3)
                    # What a reader (and a socket) can see while the id is held: nothing past it.
                    visible = max(int(admin.query("SELECT COALESCE(MAX(id), 0) AS id FROM outbox")[0]["id"]),
                                  max(board.last_id() for board in boards.values()))
                    direct = await asyncio.to_thread(direct_call_waits, server.url, victim_direct,
                                                     directos[(len(rounds) + 1) % 2])
                    held = await long
                    await asyncio.sleep(0.5)
                    after = out.waits[waits_before:]
                    rounds[name] = {
                        "reserved": held["id"],
                        "visible while held": visible,
                        "hold s": held["released_at"] - held["taken_at"],
                        "max writer wait s": max(after, default=0.0),
                        "direct caller": direct,
                        "heartbeat max ms": 1000 * max(beats.during(held["taken_at"], held["released_at"]),
                                                       default=float("nan")),
                        "heartbeats": len(beats.during(held["taken_at"], held["released_at"])),
                        "503 database_busy": out.total(lambda k: k.endswith("503 database_busy")) - busy_before,
                        "direct 1205": out.total(lambda k: k == f"direct error {LOCK_WAIT_TIMEOUT}")
                        - direct_1205_before,
                    }
                    await asyncio.sleep(0.5)

                stop.set()
                stop_threads.set()
                cycles = sum(await asyncio.gather(*writers))
                dba.join(timeout=30)
                beats.join(timeout=30)
                assert dba.error is None and beats.error is None, (dba.error, beats.error)
                outbox = admin.outbox()
                checks = {}
                for name, board in boards.items():
                    asesor = None if name.startswith("gtr") else asesores[0]
                    wanted = expected_ids(outbox, asesor)
                    may_miss = withheld_from_a_resumed_asesor(outbox, asesor) if asesor and board.cuts else set()
                    sure = [i for i in wanted if i not in may_miss]
                    await board.until_id(sure[-1], timeout=20)
                    await asyncio.sleep(0.2)
                    checks[name] = compare(board.messages, wanted, outbox, may_miss)
                    await board.close()
        finally:
            stop_threads.set()
            gateway.stop()

        try:
            committed, rolled_back, past = rounds["commit"], rounds["rollback"], rounds["past the lock wait timeout"]
            by_id = {e["id"]: e for e in outbox}
            rec.figures(**totals(list(checks.values())))
            rec.figure("acknowledged transitions missing", acknowledged_missing(admin, out))
            rec.figure("events past the held id visible (outbox or sockets) while it was held",
                       sum(max(0, r["visible while held"] - r["reserved"] + 1) for r in rounds.values()))
            rec.figure(f"writers' max wait s ({HOLD_S} s hold, commit)", committed["max writer wait s"])
            rec.figure(f"writers' max wait s ({HOLD_S} s hold, rollback)", rolled_back["max writer wait s"])
            rec.figure("direct caller's wait s (commit)", committed["direct caller"][1])
            rec.figure("heartbeats' max ms while held", max(r["heartbeat max ms"] for r in rounds.values()))
            given_back = rolled_back["reserved"]
            reused = given_back in by_id and (by_id[given_back]["payload"].get("datos") or {}).get("nota") != "a mano"
            rec.figure("id held by the rolled-back transaction reused by the next writer", "yes" if reused else "no")
            rec.figure("503 database_busy past the lock wait timeout", past["503 database_busy"])
            rec.figure("direct caller's errno past it", str(past["direct caller"][0]))
            rec.figure("direct caller gave up after s", past["direct caller"][1])
            rec.notes.append(
                f"{cycles} asesor cycles, {len(outbox)} events. Heartbeats during the holds: "
                f"{sum(r['heartbeats'] for r in rounds.values())}, none waited for the sequence. Past "
                f"innodb_lock_wait_timeout ({LOCK_WAIT_S} s here, 50 s by default) every queued event-writing "
                "call fails with 1205 and is rolled back whole by its exit handler; the gateway answers "
                "503 database_busy with Retry-After: 1 (it retries deadlocks, 1213, twice; never lock wait "
                "timeouts). The gateway's sessions wait for a lock half its SEGUIMIENTO_QUERY_TIMEOUT (15 s by "
                "default), so the database gives up, and rolls back, before the gateway stops waiting.")

            for name, check in checks.items():
                assert check.exact, f"{name}: {check}"
            for name, r in rounds.items():
                assert r["visible while held"] < r["reserved"], f"{name}: an id past the held one was visible"
            assert committed["direct caller"][0] is None and committed["direct caller"][1] >= 1.0
            assert committed["max writer wait s"] >= 1.0, committed
            assert by_id[committed["reserved"]]["payload"]["datos"]["nota"] == "a mano"
            hand_made = [e["id"] for e in outbox if (e["payload"].get("datos") or {}).get("nota") == "a mano"]
            assert hand_made == [committed["reserved"], past["reserved"]], hand_made
            assert reused
            assert past["direct caller"][0] == LOCK_WAIT_TIMEOUT
            assert past["503 database_busy"] > 0, out.answers
            assert max(r["heartbeat max ms"] for r in rounds.values()) < 1000 * LOCK_WAIT_S / 4
            assert acknowledged_missing(admin, out) == 0
            assert_consistent(admin)
        finally:
            admin.close()


QUERY_TIMEOUT_S = 2.0  # SEGUIMIENTO_QUERY_TIMEOUT for this test (30 by default); lock waits get half


@run(timeout=60)
async def test_a_call_stuck_behind_a_lock_is_rolled_back_before_the_gateway_gives_up(
        db: Db, people: People, reliability: Record) -> None:
    """A call stuck behind a lock longer than the gateway waits: 503 database_busy, nothing changed"""
    rec = reliability
    rec.load = "one assignment over HTTP while the outbox sequence is held"
    rec.faults = (f"a hand-made transition holding the sequence {2 * QUERY_TIMEOUT_S:.0f} s; the gateway's "
                  f"SEGUIMIENTO_QUERY_TIMEOUT {QUERY_TIMEOUT_S:.0f} s, shorter than the hold")
    rec.inputs = "POST /api/clientes/{id}/estatus"
    held = db.derivado(people.ana)
    cliente = db.nuevo_cliente("Esperando")
    async with running_gateway(db.url, query_timeout=QUERY_TIMEOUT_S) as gw, aiohttp.ClientSession() as session:
        long = asyncio.ensure_future(asyncio.to_thread(hand_made_update, db.url, held, people.ana,
                                                       2 * QUERY_TIMEOUT_S, True))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        status, body = await Api(session, gw.base, people.gtr).status(
            "POST", f"/api/clientes/{cliente}/estatus", {"tipo": "gtr", "estatus": "derivado", "asesorId": people.beto})
        answered_after = time.monotonic() - started
        await long
        await asyncio.sleep(0.5)
    committed = db.cliente(cliente)["seguimiento_status"] == "derivado"
    rec.figure("answer", f"{status} {error_code(body) if status >= 400 else ''}".strip())
    rec.figure("answered after s", answered_after)
    rec.figure("the call committed anyway", "yes" if committed else "no")
    rec.notes.append(
        "The gateway's sessions wait for a row lock half its SEGUIMIENTO_QUERY_TIMEOUT, so the database gives up "
        "first, rolls the call back whole, and the answer, 503 database_busy, says that nothing changed. (Before, "
        "with the server's 50 s lock wait past the 30 s query timeout, the gateway answered 503 "
        "database_unavailable and the call still committed once the lock freed.)")
    assert (status, error_code(body)) == (503, "database_busy"), (status, body)
    assert answered_after < QUERY_TIMEOUT_S
    assert not committed
    assert_consistent(db)
