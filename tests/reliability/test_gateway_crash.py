"""Fault: a `seguimiento serve` process SIGKILLed in the middle of a burst of transitions.

Two gateway processes serve one database. Writers hammer the first over HTTP (whole
asesor cycles) and the database directly (a DBA loading and assigning customers); dashboard
sockets listen on both. The first gateway is killed with SIGKILL mid-burst (no graceful
stop: sockets and requests cut mid-flight) and restarted at once, as a process manager
would. Half of its dashboards come back to it, the other half fail over to the second
gateway (what a load balancer does: no stickiness needed). Every dashboard must end with
exactly the committed events, compared with the outbox: none lost, none twice, in order.
"""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, GatewayProcess, last_outbox_id, run
from tests.reliability.dashboards import Dashboard, compare, expected_ids, totals, withheld_from_a_resumed_asesor
from tests.reliability.recording import Record
from tests.reliability.workload import (
    CLIENT_TIMEOUT,
    NO_ANSWER,
    DirectWriter,
    Outcomes,
    acknowledged_missing,
    http_writer,
)
from tests.support import Db
from tests.test_races import assert_consistent

HTTP_WRITERS = 4
DIRECT_WRITERS = 2
BURST_BEFORE_KILL = 2.0  # seconds of load before the kill
BURST_AFTER_RECOVERY = 1.5


@run(timeout=150)
async def test_gateway_sigkilled_mid_burst_dashboards_resume_exactly(db: Db, people: People,
                                                                     reliability: Record) -> None:
    """Gateway SIGKILLed mid-burst and restarted; dashboards resume with since"""
    rec = reliability
    rec.load = (f"{HTTP_WRITERS} HTTP writers doing whole asesor cycles on the killed gateway, {DIRECT_WRITERS} "
                "direct DBA writers (load + assign); 2 gateway processes, 5 dashboard sockets (3 GTR, 2 asesor)")
    rec.faults = "SIGKILL of one `seguimiento serve` mid-burst, restarted at once on the same port"
    rec.inputs = ("dashboards reconnect with since=<last id>: 2 to the restarted gateway, 2 fail over to the "
                  "other one, 1 control socket on the other one all along")
    victim, survivor = GatewayProcess(db.url), GatewayProcess(db.url)
    victim.start()
    survivor.start()
    out = Outcomes()
    stop_threads = threading.Event()
    direct = [DirectWriter(db.url, [people.ana, people.beto], out, stop_threads, seed=n, pause=0.01)
              for n in range(DIRECT_WRITERS)]
    try:
        async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
            dashboards = {
                "gtr, back to the restarted gateway": (None, victim.base, [victim.base]),
                "gtr, fails over to the other gateway": (None, victim.base, [survivor.base]),
                "ana, back to the restarted gateway": (people.ana, victim.base, [victim.base]),
                "beto, fails over to the other gateway": (people.beto, victim.base, [survivor.base]),
                "gtr on the other gateway (control)": (None, survivor.base, [survivor.base]),
            }
            tokens = {None: people.gtr, people.ana: people.ana_token, people.beto: people.beto_token}
            boards = {name: await Dashboard(session, tokens[asesor], first, again, name=name).start()
                      for name, (asesor, first, again) in dashboards.items()}

            stop = asyncio.Event()
            writers = [asyncio.ensure_future(http_writer(
                Api(session, victim.base, people.gtr),
                Api(session, victim.base, people.ana_token if n % 2 else people.beto_token),
                people.ana if n % 2 else people.beto, out, stop, f"HTTP {n}")) for n in range(HTTP_WRITERS)]
            for thread in direct:
                thread.start()
            await asyncio.sleep(BURST_BEFORE_KILL)

            delivered_at_kill = {name: board.last_id() for name, board in boards.items()}
            requests_in_flight = out.in_flight
            killed_at = time.monotonic()
            assert await asyncio.to_thread(victim.kill) == -9
            committed_at_kill = last_outbox_id(db)

            # Caught up: a dashboard has everything that had committed when the gateway died.
            outbox = db.outbox()
            recovering = {}
            for name, board in boards.items():
                asesor = dashboards[name][0]
                # Caught up = past the last event it may be sure to get (see below).
                may_miss = withheld_from_a_resumed_asesor(outbox, asesor) if asesor else set()
                wanted = [i for i in expected_ids(outbox, asesor) if i <= committed_at_kill and i not in may_miss]
                recovering[name] = asyncio.ensure_future(board.until_id(wanted[-1] if wanted else 0, timeout=30))
            await asyncio.to_thread(victim.start)
            listening_at = time.monotonic()
            caught_up = dict(zip(recovering, await asyncio.gather(*recovering.values()), strict=True))
            # Recovered = its socket is back and it has caught up (it may have had everything already).
            for name, board in boards.items():
                if name in recovering and board.resumed:
                    caught_up[name] = max(caught_up[name], board.resumed[0])
            await asyncio.sleep(BURST_AFTER_RECOVERY)  # the burst goes on against the restarted gateway

            stop.set()
            stop_threads.set()
            cycles = sum(await asyncio.gather(*writers))
            for thread in direct:
                thread.join(timeout=30)
                assert thread.error is None, thread.error
            final = last_outbox_id(db)
            outbox = db.outbox()
            checks = {}
            for name, board in boards.items():
                wanted = expected_ids(outbox, dashboards[name][0])
                if wanted:
                    await board.until_id(wanted[-1], timeout=30)
                await asyncio.sleep(0.2)  # anything extra would show now
                asesor = dashboards[name][0]
                may_miss = withheld_from_a_resumed_asesor(outbox, asesor) if asesor and board.cuts else set()
                checks[name] = compare(board.messages, wanted, outbox, may_miss)
            cuts = {name: len(board.cuts) for name, board in boards.items()}
            for board in boards.values():
                await board.close()
    finally:
        stop_threads.set()
        victim.stop()
        survivor.stop()

    restarted = [n for n in boards if "restarted" in n]
    failed_over = [n for n in boards if "fails over" in n]
    gtr_victims = [n for n in restarted + failed_over if n.startswith("gtr")]
    cut_requests = out.total(lambda k: k.endswith(NO_ANSWER))
    rec.figures(**totals(list(checks.values())))
    rec.figure("payload mismatches", sum(c.payload_mismatches for c in checks.values()))
    rec.figure("acknowledged transitions missing from the outbox", acknowledged_missing(db, out))
    rec.figure("events committed", final)
    rec.figure("events in flight at the kill (committed, not yet on the GTR socket)",
               max(committed_at_kill - delivered_at_kill[n] for n in gtr_victims))
    rec.figure("HTTP requests in flight at the kill", requests_in_flight)
    rec.figure("HTTP requests with no answer (in flight, or sent while it restarted)", cut_requests)
    rec.figure("gateway restart s (kill to listening)", listening_at - killed_at)
    rec.figure("recovery s, restarted gateway (kill to caught up)", max(caught_up[n] - killed_at for n in restarted))
    rec.figure("recovery s, failover to the other gateway", max(caught_up[n] - killed_at for n in failed_over))
    rec.notes.append(f"{cycles} asesor cycles over HTTP and {out.total(lambda k: k == 'direct ok')} direct "
                     "load+assign pairs in the run.")

    for name, check in checks.items():
        assert check.exact, f"{name}: {check}"
        if name in restarted + failed_over:
            assert cuts[name] >= 1, f"{name} was never cut"
    assert cuts["gtr on the other gateway (control)"] == 0
    assert acknowledged_missing(db, out) == 0
    assert_consistent(db)
