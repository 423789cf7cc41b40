"""A real MySQL 9.7 Group Replication group (tests/cluster/group.py) under seguimiento:
secondaries never sweep and serve reports; a primary SIGKILLed under load through two
gateways loses no acknowledged transition, leaves no socket with a silent gap, and the
sweep goes on with nobody acting (the gateways follow the primary and run the sweep while
the new primary's event is disabled). The figures go to var/cluster/failover.json."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
import mysql.connector
import pytest

from gateway.db.sqlfiles import load_objects
from tests.cluster.conftest import Cluster
from tests.cluster.group import Member
from tests.gateway.harness import Api, GatewayProcess, make_token, run
from tests.reliability.dashboards import Dashboard, compare, expected_ids, percentile
from tests.reliability.recording import Record
from tests.reliability.workload import (
    DirectWriter,
    Outcomes,
    acknowledged_missing,
    http_writer,
    max_overdue_seconds,
)
from tests.support import Db, connect

EVENTS = sorted(o.name for o in load_objects() if o.kind == "EVENT")

FIGURES = Path(__file__).resolve().parents[2] / "var" / "cluster" / "failover.json"
TIMEOUT = 12  # timeout_segundos during the failover test: short, so the test is
SWEEP_INTERVAL = 5  # the gateways' sweep_interval in the test (30 s by default)
LOAD_SECONDS = 3.0  # of load before the kill, and again once the new primary writes


def secondaries(cluster: Cluster) -> list[Member]:
    primary = cluster.group.primary()
    return [m for m in cluster.group.live() if m is not primary]


def test_secondaries_hold_the_events_disabled_and_refuse_the_sweep(cluster: Cluster) -> None:
    primary = cluster.group.primary()
    assert primary is not None
    states = Db(cluster.admin(primary)).query(
        "SELECT EVENT_NAME AS n, STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
    assert {r["s"] for r in states} == {"ENABLED"}, states
    for member in secondaries(cluster):
        db = Db(cluster.admin(member))
        try:
            rows = db.query("SELECT EVENT_NAME AS n, STATUS AS s FROM information_schema.EVENTS "
                            "WHERE EVENT_SCHEMA = DATABASE()")
            assert {r["n"] for r in rows} == set(EVENTS)
            assert {r["s"] for r in rows} == {"REPLICA_SIDE_DISABLED"}, rows
            # Called by hand there (or by a gateway pointed at it), the sweep changes nothing.
            for procedure in ("sp_barrido_seguimiento", "sp_purgar_outbox"):
                with pytest.raises(mysql.connector.Error) as info:
                    db.call(procedure)
                assert info.value.errno == 1290, info.value  # --super-read-only
        finally:
            db.close()


def test_the_reporting_account_reads_the_views_on_a_secondary(cluster: Cluster) -> None:
    primary = cluster.group.primary()
    assert primary is not None
    admin = Db(cluster.admin(primary))
    reporting = cluster.account.accounts["reporting"]
    admin.execute(f"ALTER USER {reporting.sql()} IDENTIFIED BY 'reporting-pw-1'")
    asesor = admin.asesor("Reporte")
    admin.derivado(asesor)
    primary_id = admin.query("SELECT ultimo_evento_id FROM v_replicacion")[0]["ultimo_evento_id"]
    admin.close()
    member = secondaries(cluster)[0]
    url = cluster.admin(member).model_copy(update={"user": reporting.user, "password": "reporting-pw-1"})
    deadline = time.monotonic() + 10
    while True:
        conn = connect(url)
        try:
            cur = conn.cursor(dictionary=True)
            cur.execute("SELECT COUNT(*) AS n FROM v_clientes_activos WHERE asesor_asignado = %s", (asesor,))
            seen = cur.fetchall()[0]["n"]
            # How far it has got, for the reporting tool: the primary's newest event, once applied.
            cur.execute("SELECT ultimo_evento_id FROM v_replicacion")
            replica_id = cur.fetchall()[0]["ultimo_evento_id"]
            for view in ("v_clientes", "v_asesor_diario", "clientes_historial"):
                cur.execute(f"SELECT COUNT(*) AS n FROM {view}")
                cur.fetchall()
            with pytest.raises(mysql.connector.Error):
                cur.execute("SELECT * FROM outbox")
        finally:
            conn.close()
        if (seen == 1 and replica_id == primary_id) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert seen == 1, "the secondary never showed the primary's customer"
    assert replica_id == primary_id, (replica_id, primary_id)
    # Its lag, for monitoring: transactions received and not applied yet (docs/scaling.md).
    queue = member.query("SELECT COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE FROM "
                         "performance_schema.replication_group_member_stats WHERE MEMBER_ID = @@server_uuid")
    assert len(queue) == 1 and int(str(queue[0][0])) >= 0, queue


def _history_outbox_pairs(db: Db) -> dict[str, int]:
    """How history and outbox fail to pair one to one (all zero when they do)."""
    return {
        "history without its outbox event": db.query(
            "SELECT COUNT(*) AS n FROM clientes_historial h LEFT JOIN outbox o ON o.id = h.outbox_id "
            "WHERE o.id IS NULL")[0]["n"],
        "outbox events with two history rows": db.query(
            "SELECT COUNT(*) AS n FROM (SELECT outbox_id FROM clientes_historial GROUP BY outbox_id "
            "HAVING COUNT(*) > 1) d")[0]["n"],
        "transitions without history": db.query(
            "SELECT COUNT(*) AS n FROM outbox o LEFT JOIN clientes_historial h ON h.outbox_id = o.id "
            "WHERE h.id IS NULL AND o.event_type IN (SELECT DISTINCT o2.event_type FROM clientes_historial h2 "
            "JOIN outbox o2 ON o2.id = h2.outbox_id)")[0]["n"],
    }


async def _probe(api: Api, stop: asyncio.Event, seen: list[tuple[float, float, int | None]]) -> None:
    """A GTR loading a customer every 50 ms: when each request was sent, when its answer
    came, and its status (None: no answer)."""
    n = 0
    while not stop.is_set():
        n += 1
        sent = time.monotonic()
        try:
            status, _ = await api.status("POST", "/api/clientes", {"nombre": f"Sonda {n}"})
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = None
        seen.append((sent, time.monotonic(), status))
        await asyncio.sleep(0.05)


async def _watch(dashboard: Dashboard, arrivals: dict[int, float], stop: asyncio.Event) -> None:
    """Notes when each event reaches ``dashboard`` (looked at every 5 ms) until ``stop``, and a
    moment more for the last ones."""
    seen = 0
    while not stop.is_set() or seen < len(dashboard.messages):
        now = time.time()
        for message in dashboard.messages[seen:]:
            if isinstance(message.get("id"), int):
                arrivals.setdefault(message["id"], now)
        seen = len(dashboard.messages)
        await asyncio.sleep(0.005)


@run(timeout=280)
async def test_a_primary_killed_under_load_loses_nothing_and_the_sweep_goes_on(cluster: Cluster,
                                                                              reliability: Record) -> None:
    """Group Replication: the primary SIGKILLed under load through two gateways"""
    group = cluster.group
    old = group.primary()
    assert old is not None
    admin = Db(cluster.admin(old))
    admin.set_config("timeout_segundos", TIMEOUT)
    ana, beto = admin.asesor("Ana"), admin.asesor("Beto")
    gtr_token = make_token(admin, "gtr")
    ana_token, beto_token = make_token(admin, "asesor", ana), make_token(admin, "asesor", beto)
    admin.close()
    env = {"SEGUIMIENTO_DATABASE_HOSTS": cluster.hosts(), "SEGUIMIENTO_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
           "SEGUIMIENTO_CONNECT_TIMEOUT": "1"}
    gateways = [GatewayProcess(cluster.admin(old), env=env).start() for _ in range(2)]
    out = Outcomes()
    stop_http, stop_probe, stop_direct = asyncio.Event(), asyncio.Event(), threading.Event()
    direct = DirectWriter(cluster.admin(old), [ana, beto], out, stop_direct, seed=1, pause=0.05)
    probe_log: list[tuple[float, float, int | None]] = []
    figures: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as session:
            bases = [g.base for g in gateways]
            dashboards = [
                await Dashboard(session, gtr_token, bases[0], bases, name="gtr").start(),
                await Dashboard(session, ana_token, bases[1], bases[::-1], name="ana").start(),
                await Dashboard(session, beto_token, bases[0], bases, name="beto").start(),
            ]
            gtr = [Api(session, b, gtr_token) for b in bases]
            writers = [
                asyncio.create_task(http_writer(gtr[0], Api(session, bases[0], ana_token), ana, out, stop_http, "A",
                                                pause=0.02, walk_away_every=4)),
                asyncio.create_task(http_writer(gtr[1], Api(session, bases[1], beto_token), beto, out, stop_http,
                                                "B", pause=0.02, walk_away_every=4)),
            ]
            probe = asyncio.create_task(_probe(gtr[0], stop_probe, probe_log))
            arrivals: dict[int, float] = {}  # the GTR socket: event id -> when it arrived (wall clock)
            stop_watch = asyncio.Event()
            watcher = asyncio.create_task(_watch(dashboards[0], arrivals, stop_watch))
            direct.start()
            await asyncio.sleep(LOAD_SECONDS)

            # Customers that go idle past their timeout just after the kill: only a sweep on the
            # new primary can return them.
            admin = Db(cluster.admin(old))
            idle = [admin.derivado(ana) for _ in range(5)]
            admin.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL %s SECOND "
                          f"WHERE id IN ({','.join(map(str, idle))})", (TIMEOUT - 2,))
            admin.close()
            deadline_at_kill = 2.0  # seconds after the kill at which they are due

            killed = time.monotonic()
            await asyncio.to_thread(old.kill)
            new = await asyncio.to_thread(group.wait_for_primary, old)
            elected = time.monotonic() - killed
            direct.url = cluster.admin(new)  # the DBA reconnects to the new primary
            first_ok = None
            while first_ok is None and time.monotonic() - killed < 60:
                # A write sent after the kill: one answered just after it may have committed before.
                first_ok = next((done for sent, done, s in probe_log if sent > killed and s == 201), None)
                await asyncio.sleep(0.05)
            swept_at = None
            budget = deadline_at_kill + TIMEOUT + SWEEP_INTERVAL + elected + 30
            new_db = Db(cluster.admin(new))
            while time.monotonic() - killed < budget:
                rows = new_db.query(f"SELECT COUNT(*) AS n FROM clientes WHERE id IN ({','.join(map(str, idle))}) "
                                    "AND seguimiento_status = 'no_gestionado'")
                if rows[0]["n"] == len(idle):
                    swept_at = time.monotonic()
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(LOAD_SECONDS)
            stop_http.set()
            stop_probe.set()
            stop_direct.set()
            await asyncio.gather(*writers, probe)
            await asyncio.to_thread(direct.join, 10)

            outbox = new_db.query("SELECT id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, "
                                  "created_at FROM outbox ORDER BY id")
            for row in outbox:
                row["payload"] = json.loads(row["payload"]) if isinstance(row["payload"], str | bytes) \
                    else row["payload"]
            last = outbox[-1]["id"]
            checks = {}
            for dashboard, asesor_id in zip(dashboards, (None, ana, beto), strict=True):
                told = any(m["type"] == "RESYNC_REQUIRED" for m in dashboard.messages)
                try:
                    if not told:
                        await dashboard.until_id(max(expected_ids(outbox, asesor_id) or [0]), timeout=20)
                except AssertionError:
                    pass
                events = [m for m in dashboard.messages if m["type"] != "RESYNC_REQUIRED"]
                told = len(events) != len(dashboard.messages)
                checks[dashboard.name] = (told, compare(events, expected_ids(outbox, asesor_id), outbox))
                await dashboard.close()
            stop_watch.set()
            await watcher
            kill_wall = time.time() - (time.monotonic() - killed)
            # How long after its commit each event reached the GTR socket (one clock: one machine).
            delays = [arrivals[row["id"]] - row["created_at"].replace(tzinfo=UTC).timestamp()
                      for row in outbox if row["id"] in arrivals]
            delayed = sorted(d for d, row in zip(delays, [r for r in outbox if r["id"] in arrivals], strict=True)
                             if row["created_at"].replace(tzinfo=UTC).timestamp() < kill_wall and d > 1.0)

            # Never two sweeps at once: each idle customer was returned exactly once.
            returned = new_db.query(f"SELECT cliente_id, COUNT(*) AS n FROM outbox WHERE cliente_id IN "
                                    f"({','.join(map(str, idle))}) AND event_type = 'CLIENT_RETURNED_TO_GTR' "
                                    "GROUP BY cliente_id")
            returned_once = sorted(r["cliente_id"] for r in returned if r["n"] == 1) == sorted(idle)
            gateway_sweeps = 0
            for base in bases:
                async with session.get(base + "/metrics") as response:
                    for line in (await response.text()).splitlines():
                        if line.startswith("seguimiento_gateway_sweeps_total "):
                            gateway_sweeps += int(line.split()[1])
            overdue = max_overdue_seconds(new_db)
            pairs = _history_outbox_pairs(new_db)
            missing = acknowledged_missing(new_db, out)
            ids_gap_free = [r["id"] for r in outbox] == list(range(1, last + 1))
            new_db.close()
    finally:
        stop_direct.set()
        for gateway in gateways:
            gateway.stop()

    failed = [done for _sent, done, s in probe_log
              if done > killed and s != 201 and (first_ok is None or done <= first_ok)]
    statuses = sorted({str(s) for _sent, done, s in probe_log if done > killed and s != 201})
    figures = {
        "election (kill to a writable new primary), s": round(elected, 1),
        "kill to first committed write through a gateway, s": None if first_ok is None
        else round(first_ok - killed, 1),
        "seconds of failed writes (first failure to first success) seen by the probe": round(
            (first_ok - failed[0]) if failed and first_ok is not None else 0.0, 1),
        "the probe's failed answers": statuses,
        "kill to idle customers returned by a sweep on the new primary, s": None if swept_at is None
        else round(swept_at - killed, 1),
        "their deadline, s after the kill": deadline_at_kill,
        "sweep_interval, s": SWEEP_INTERVAL,
        "acknowledged transitions missing from the new primary's outbox": missing,
        "idle customers each returned exactly once": returned_once,
        "GTR socket: events committed before the kill and delivered over 1 s later": len(delayed),
        "... the longest of those delays, s": round(delayed[-1], 1) if delayed else 0.0,
        "GTR socket: delivery delay p50 / max over the run, s": [round(percentile(delays, 50), 3),
                                                                 round(max(delays, default=0.0), 1)],
        "sweeps run by the two gateways": gateway_sweeps,
        "outbox ids gap-free": ids_gap_free,
        "history/outbox pairing faults": pairs,
        "most overdue active customer at the end, s": round(overdue, 1),
        "answers": dict(out.answers),
        "sockets": {name: {"told RESYNC_REQUIRED": told, **vars(check)} for name, (told, check) in checks.items()},
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    record_row(reliability, figures, checks, elected=elected, first_ok=first_ok, killed=killed,
               swept_at=swept_at, missing=missing, pairs=pairs)
    print(json.dumps(figures, indent=2))
    assert direct.error is None, direct.error
    assert first_ok is not None, "no write went through after the election"
    assert swept_at is not None, f"the idle customers were not returned within {budget:.0f} s of the kill"
    assert swept_at - killed <= deadline_at_kill + SWEEP_INTERVAL + elected + 30
    assert missing == 0
    assert returned_once, returned
    assert gateway_sweeps >= 1, "the new primary's event is disabled: the gateways must have swept"
    assert ids_gap_free
    assert pairs == dict.fromkeys(pairs, 0), pairs
    assert overdue <= SWEEP_INTERVAL + 5, f"a customer was {overdue:.1f} s past its deadline"
    for name, (told, check) in checks.items():
        assert check.duplicated == 0 and check.out_of_order == 0 and check.unexpected == 0, (name, check)
        assert told or check.lost == 0, f"{name}: {check.lost} events lost silently"


def record_row(rec: Record, figures: dict[str, Any], checks: dict[str, Any], *, elected: float,
               first_ok: float | None, killed: float, swept_at: float | None, missing: int,
               pairs: dict[str, int]) -> None:
    """The failover's row of docs/reliability.md: the guarantees first, then the timings."""
    rec.load = ("a three-member MySQL 9.7 Group Replication group (single primary, XCOM); 2 `seguimiento serve` "
                "processes with SEGUIMIENTO_DATABASE_HOSTS listing every member; asesores working, GTR "
                "assigning, a DBA calling procedures directly, 3 dashboard sockets; sweep_interval "
                f"{SWEEP_INTERVAL} s, timeout_segundos {TIMEOUT}")
    rec.faults = "SIGKILL of the primary mysqld mid-load; the group elects a new primary by itself"
    rec.inputs = "every asesor route and GTR's assignments during the election; customers left idle past their deadline"
    rec.figure("lost", sum(check.lost for told, check in checks.values() if not told))
    rec.figure("duplicated", sum(check.duplicated for _told, check in checks.values()))
    rec.figure("out of order", sum(check.out_of_order for _told, check in checks.values()))
    rec.figure("acknowledged transitions missing from the new primary", missing)
    rec.figure("history/outbox rows without their pair", sum(pairs.values()))
    rec.figure("election s (kill to a writable new primary)", round(elected, 1))
    rec.figure("kill to first committed write s", None if first_ok is None else round(first_ok - killed, 1))
    rec.figure("kill to idle customers swept on the new primary s",
               None if swept_at is None else round(swept_at - killed, 1))
    rec.figure("sweeps run by the gateways (the new primary's event disabled)",
               figures["sweeps run by the two gateways"])
    rec.figure("events committed before the kill delivered over 1 s late",
               figures["GTR socket: events committed before the kill and delivered over 1 s later"])
