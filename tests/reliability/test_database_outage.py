"""Fault: MySQL killed (SIGKILL, a crash), then stopped (SIGTERM, a clean shutdown), under a
gateway serving asesores and a DBA, while the timeout sweep runs as the real EVENT.

The database is a private server (tests/privateserver.py) with the event scheduler ON. To
keep the test short, its ``ev_barrido_seguimiento`` is altered to run EVERY 1 SECOND (30 s
in production) and ``timeout_segundos`` is set to 3 with ``sp_configurar``: customers the
load abandons (asesores walking away after opening the wizard, the DBA's assignments nobody
works, cycles cut by the outage) must be returned by the EVENT, not by the test.

Meanwhile requests get 503, the gateway comes back by itself, the sweep resumes, and no
customer stays derivado/en_gestion past its timeout plus one sweep interval while the
database is up; no history or outbox row is missing for any committed transition.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import aiohttp

from tests.gateway.harness import Api, GatewayProcess, make_token, run, wait_for
from tests.privateserver import private_server
from tests.reliability.dashboards import Dashboard, compare, expected_ids, totals
from tests.reliability.recording import Record
from tests.reliability.workload import (
    CLIENT_TIMEOUT,
    DirectWriter,
    Outcomes,
    OverdueSampler,
    acknowledged_missing,
    http_writer,
)
from tests.support import Db
from tests.test_races import assert_consistent

TIMEOUT_S = 3  # timeout_segundos for this test (300 in production)
SWEEP_EVERY_S = 1  # the EVENT's schedule for this test (30 s in production)
# The sampler sees a customer at most one sweep interval overdue, plus the time the sweep
# itself and the scheduler's wake-up take on a busy 2-core machine.
OVERDUE_TOLERANCE_S = 1.5
ASESORES = 4
UP_S = 2.0  # load with the database up, before and after each outage
DOWN_S = 2.0  # how long the database stays away


async def _healthy(session: aiohttp.ClientSession, base: str) -> bool:
    try:
        async with session.get(base + "/health") as response:
            return response.status == 200 and (await response.json())["tailer"]["up"] is True
    except aiohttp.ClientError:
        return False


def _first_return_after(db: Db, since: object) -> float | None:
    """Seconds from ``since`` (a database time) to the sweep's first return after it, if any."""
    row = db.query("SELECT TIMESTAMPDIFF(MICROSECOND, %s, MIN(created_at)) / 1e6 AS s FROM outbox "
                   "WHERE event_type = 'CLIENT_RETURNED_TO_GTR' AND created_at >= %s", (since, since))[0]
    return None if row["s"] is None else float(row["s"])


@run(timeout=170)
async def test_mysql_killed_then_stopped_under_load_with_the_sweep_running(tmp_path: Path,
                                                                          reliability: Record) -> None:
    """MySQL killed, then stopped, under load with the sweep EVENT running"""
    rec = reliability
    rec.load = (f"{ASESORES} asesores doing whole cycles over HTTP (every 3rd walks away after opening), "
                "1 DBA loading and assigning directly (never worked: the sweep returns them), 1 GTR socket; "
                f"sweep EVENT every {SWEEP_EVERY_S} s, timeout_segundos {TIMEOUT_S}")
    rec.faults = f"MariaDB SIGKILLed, {DOWN_S} s down, restarted; then SIGTERMed, {DOWN_S} s down, restarted"
    rec.inputs = "requests of every asesor route and GTR's load/assign during the outage; /health polled"
    with private_server(tmp_path) as server:
        setup = Db(server.url)
        setup.call("sp_configurar", "timeout_segundos", TIMEOUT_S)
        setup.execute(f"ALTER EVENT ev_barrido_seguimiento ON SCHEDULE EVERY {SWEEP_EVERY_S} SECOND")
        asesores = [setup.asesor(f"Asesor {n}") for n in range(ASESORES)]
        gtr_token = make_token(setup, "gtr")
        asesor_tokens = [make_token(setup, "asesor", a) for a in asesores]
        setup.close()

        out = Outcomes()
        stop_threads = threading.Event()
        dba = DirectWriter(server.url, asesores, out, stop_threads, seed=1, pause=0.15)
        sampler = OverdueSampler(server.url)
        gateway = GatewayProcess(server.url, env={"SEGUIMIENTO_CONNECT_TIMEOUT": "1"}).start()
        figures: dict[str, dict[str, float]] = {}
        try:
            async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
                board = await Dashboard(session, gtr_token, gateway.base, [gateway.base], name="gtr").start()
                stop = asyncio.Event()
                gtr = Api(session, gateway.base, gtr_token)
                writers = [asyncio.ensure_future(http_writer(
                    gtr, Api(session, gateway.base, asesor_tokens[n]), asesores[n], out, stop, f"Asesor {n}",
                    pause=0.1, walk_away_every=3, no_answer_pause=0.1)) for n in range(ASESORES)]
                dba.start()
                sampler.start()
                await asyncio.sleep(UP_S)

                for fault, take_down in (("killed", server.kill), ("stopped", server.stop)):
                    unavailable_before = out.total(lambda k: k.endswith("503 database_unavailable"))
                    down_at = time.monotonic()
                    await asyncio.to_thread(take_down)
                    await asyncio.sleep(DOWN_S)
                    status, health = await Api(session, gateway.base, None).status("GET", "/health")
                    assert status == 503 and health["database"] == "unreachable", health
                    await asyncio.to_thread(server.start)
                    up_at = time.monotonic()
                    back = Db(server.url)
                    restarted_db_time = back.query("SELECT UTC_TIMESTAMP(6) AS t")[0]["t"]
                    await wait_for(lambda: _healthy(session, gateway.base), 20, "the gateway to recover")
                    healthy_at = time.monotonic()
                    deadline = time.monotonic() + TIMEOUT_S + 10
                    while (swept_after := _first_return_after(back, restarted_db_time)) is None:
                        assert time.monotonic() < deadline, "the sweep EVENT did not resume"
                        await asyncio.sleep(0.1)
                    back.close()
                    await asyncio.sleep(UP_S)
                    figures[fault] = {
                        "503": out.total(lambda k: k.endswith("503 database_unavailable")) - unavailable_before,
                        "down s": up_at - down_at,
                        "recovery s": healthy_at - up_at,
                        "sweep resumed s": swept_after,
                    }

                stop.set()
                stop_threads.set()
                cycles = sum(await asyncio.gather(*writers))
                dba.join(timeout=30)
                assert dba.error is None, dba.error
                # Whatever the load left behind is returned by the EVENT within the timeout
                # plus one sweep interval; give it that, and a little more, then look.
                await asyncio.sleep(TIMEOUT_S + SWEEP_EVERY_S + OVERDUE_TOLERANCE_S)
                sampler.stop.set()
                sampler.join(timeout=10)
                assert sampler.error is None, sampler.error

                db = Db(server.url)
                outbox = db.outbox()
                await board.until_id(outbox[-1]["id"], timeout=20)
                await asyncio.sleep(0.3)
                check = compare(board.messages, expected_ids(outbox, None), outbox)
                cuts = len(board.cuts)
                await board.close()
        finally:
            stop_threads.set()
            sampler.stop.set()
            gateway.stop()

        try:
            stuck = db.query(
                "SELECT COUNT(*) AS n FROM clientes c JOIN seguimiento_config s ON s.clave = 'timeout_segundos' "
                "WHERE c.seguimiento_status IN ('derivado', 'en_gestion') "
                "AND c.last_activity + INTERVAL (s.valor + %s) SECOND < UTC_TIMESTAMP(6)", (SWEEP_EVERY_S,))[0]["n"]
            orphans = db.query(
                "SELECT (SELECT COUNT(*) FROM outbox o WHERE NOT EXISTS "
                "        (SELECT 1 FROM clientes_historial h WHERE h.outbox_id = o.id)) "
                "     + (SELECT COUNT(*) FROM clientes_historial h WHERE NOT EXISTS "
                "        (SELECT 1 FROM outbox o WHERE o.id = h.outbox_id)) AS n")[0]["n"]
            missing = acknowledged_missing(db, out)
            returned = sum(1 for e in outbox if e["event_type"] == "CLIENT_RETURNED_TO_GTR")
            server_errors = out.total(lambda k: " 5" in k and "503 database_unavailable" not in k)

            rec.figures(**totals([check]))
            rec.figure("history/outbox rows without their pair", int(orphans))
            rec.figure("acknowledged transitions missing", missing)
            rec.figure("customers stuck past timeout + 1 sweep at the end", int(stuck))
            for fault, values in figures.items():
                rec.figure(f"503 answers, database {fault}", int(values["503"]))
            rec.figure("other 5xx answers", server_errors)
            for fault, values in figures.items():
                rec.figure(f"recovery s after restart ({fault})", values["recovery s"])
            for fault, values in figures.items():
                rec.figure(f"first sweep return s after restart ({fault})", values["sweep resumed s"])
            rec.figure("max overdue s while the database was up", sampler.worst)
            rec.figure("customers returned by the sweep EVENT", returned)
            rec.notes.append(
                f"{cycles} asesor cycles, {len(outbox)} events; overdue sampled {sampler.samples} times "
                f"(tolerance {OVERDUE_TOLERANCE_S} s over the {SWEEP_EVERY_S} s sweep interval); "
                + ("the GTR socket stayed open through both outages. " if not cuts else
                   f"the GTR socket was cut {cuts} time(s) and resumed with since. ")
                + "Recovery: from the database answering again "
                "to /health 200 with the tailer reading; first sweep return: from the database answering again to the "
                "first CLIENT_RETURNED_TO_GTR the EVENT committed (database clock).")

            assert check.exact, check
            assert orphans == 0 and missing == 0
            assert stuck == 0
            assert all(values["503"] > 0 for values in figures.values()), figures
            assert server_errors == 0, out.answers
            assert sampler.worst <= SWEEP_EVERY_S + OVERDUE_TOLERANCE_S, sampler.worst
            assert returned > 0
            assert sampler.outages == 2, sampler.outages
            assert_consistent(db)
        finally:
            db.close()
