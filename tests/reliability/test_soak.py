"""Soak: a call centre's day, compressed, through two gateway processes on one database.

Simulated asesores do real work over HTTP: look at their board, take a customer (the edit
lock), open the wizard, update it once to three times while sending heartbeats, complete
it. Some walk away mid-customer (after taking it, or after opening it) and the sweep EVENT
must return those. GTR loads customers, assigns the waiting ones (nuevo, and no_gestionado
ones the sweep gave back; at most two waiting per asesor), and now and then reassigns one
being worked; a DBA imports a batch of leads now and then. Asesores change gateway now
and then (nothing is sticky).
GTR and asesor dashboards listen on both gateways; one GTR dashboard is dropped and
resumes on the other gateway every 15 s, and one opens late with since=0.

Time is scaled 60:1 to fit CI: production's 300 s timeout and 60 s heartbeat become
``timeout_segundos`` 5 and a heartbeat every second, and the sweep EVENT runs every
second on the private server (30 s in production).

At the end, over the whole database and every socket's log: each transition has exactly
one history row and one outbox row (a CLIENTS_IMPORTED event, one for its whole batch);
each socket received exactly its events, in order; no customer is lost, duplicated or
stuck; and each gateway's memory stayed flat.

``SEGUIMIENTO_SOAK_SECONDS`` sets the length (default 60, the CI run; e.g. 600 for a
long run: ``SEGUIMIENTO_SOAK_SECONDS=600 .venv/bin/python -m pytest tests/reliability/test_soak.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from gateway.db.dburl import DatabaseUrl
from tests.gateway.harness import Api, GatewayProcess, last_outbox_id, make_token, run
from tests.privateserver import private_server
from tests.reliability.dashboards import Dashboard, compare, expected_ids, totals
from tests.reliability.recording import Record
from tests.reliability.workload import (
    CLIENT_TIMEOUT,
    COMPLETED,
    CREATED,
    IN_GESTION,
    REASSIGNED,
    UPDATED,
    Outcomes,
    OverdueSampler,
    acknowledged_missing,
    rss_mib,
)
from tests.support import Db, call, connect
from tests.test_races import assert_consistent

SOAK_S = float(os.environ.get("SEGUIMIENTO_SOAK_SECONDS", "60"))
MODE = "ci" if SOAK_S <= 90 else "long"
ASESORES = 12
TIMEOUT_S = 5  # timeout_segundos (300 in production)
HEARTBEAT_S = 1.0  # (60 s in production)
SWEEP_EVERY_S = 1  # the EVENT's schedule here (30 s in production)
WALK_AWAY_TAKEN, WALK_AWAY_OPENED = 0.05, 0.10  # chance an asesor abandons a customer
REASSIGN_CHANCE = 0.05  # per GTR round: reassign a customer being worked
MAX_WAITING = 2  # GTR assigns an asesor at most this many customers not yet opened
SWITCH_GATEWAY_S = 12.0  # an asesor moves to the other gateway this often
DROP_EVERY_S = 15.0  # the roaming GTR dashboard is dropped and resumes this often
IMPORT_EVERY_S = 10.0
OVERDUE_TOLERANCE_S = 1.5  # over one sweep interval: the sweep's own time and scheduling noise
RSS_EVERY_S = 1.0
# A GTR socket opens with since=0 a fifth of the way in and catches up with the day so far:
# inside the warm-up quarter, because that catch-up raises its gateway's RSS once (Python
# keeps the memory it used for the burst: ~2.5 MiB per 1,000 events caught up, measured),
# which is a high-water mark, not a leak, and must not pass for one.
LATE_JOIN_AT = 0.2
# Flat memory: after the first quarter of the run (warm-up: pools, buffers, caches fill),
# the median RSS of the last quarter is within this of the second quarter's.
RSS_GROWTH_MAX_MIB = 8.0


@dataclass
class World:
    session: aiohttp.ClientSession
    bases: list[str]
    gtr_token: str
    asesores: list[int]
    tokens: list[str]
    out: Outcomes
    stop: asyncio.Event
    stats: Counter[str] = field(default_factory=Counter)
    names: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def gtr(self, n: int) -> Api:
        return Api(self.session, self.bases[n % len(self.bases)], self.gtr_token)



async def _pause(world: World, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(world.stop.wait(), seconds)


async def gtr_loader(world: World, rng: random.Random) -> None:
    n = 0
    while not world.stop.is_set():
        n += 1
        name = f"Soak {n}"
        status, _ = await world.out.http(world.gtr(n), "POST", "/api/clientes",
                                         {"nombre": name, "telefono": f"+51 9{rng.randrange(10**8):08d}"},
                                         "create", CREATED)
        if status == 201:
            world.names.add(name)
        await _pause(world, rng.uniform(0.4, 1.0))


async def gtr_assigner(world: World, rng: random.Random) -> None:
    """GTR hands waiting customers (nuevo, and no_gestionado ones the sweep gave back) to the
    asesores with the fewest waiting for them, at most MAX_WAITING each, as a desk would."""
    n = 0
    while not world.stop.is_set():
        n += 1
        gtr = world.gtr(n)
        status, assigned = await world.out.http(gtr, "GET", "/api/clientes?estado=derivado&limit=1000", None,
                                                "board derivado")
        if status != 200:
            await _pause(world, 0.3)
            continue
        waiting = Counter({a: 0 for a in world.asesores})
        waiting.update(c["asesor_asignado"] for c in assigned["clientes"])
        for estado in ("no_gestionado", "nuevo"):
            status, board = await world.out.http(gtr, "GET", f"/api/clientes?estado={estado}&limit=10", None,
                                                 f"board {estado}")
            if status != 200:
                continue
            for cliente in board["clientes"]:
                asesor_id, load = min(waiting.items(), key=lambda item: (item[1], rng.random()))
                if load >= MAX_WAITING:
                    break
                status, _ = await world.out.http(gtr, "POST", f"/api/clientes/{cliente['cliente_id']}/estatus",
                                                 {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor_id},
                                                 "assign", REASSIGNED, cliente["cliente_id"])
                waiting[asesor_id] += status == 200
        if rng.random() < REASSIGN_CHANCE:
            status, board = await world.out.http(gtr, "GET", "/api/clientes?estado=en_gestion&limit=5", None,
                                                 "board en_gestion")
            if status == 200 and board["clientes"]:
                cliente = rng.choice(board["clientes"])
                other = rng.choice([a for a in world.asesores if a != cliente["asesor_asignado"]])
                status, _ = await world.out.http(gtr, "POST", f"/api/clientes/{cliente['cliente_id']}/estatus",
                                                 {"tipo": "gtr", "estatus": "derivado", "asesorId": other},
                                                 "reassign", REASSIGNED, cliente["cliente_id"])
                world.stats["reassigned while worked"] += status == 200
        await _pause(world, rng.uniform(0.2, 0.4))


async def asesor(world: World, n: int, rng: random.Random) -> None:
    """One asesor's day: board, take, open, work with heartbeats and updates, complete."""
    token = world.tokens[n]
    out = world.out
    while not world.stop.is_set():
        # Home gateway, and the other one every SWITCH_GATEWAY_S (a load balancer's choice).
        turn = n + int((time.monotonic() - world.started) // SWITCH_GATEWAY_S)
        api = Api(world.session, world.bases[turn % len(world.bases)], token)
        status, board = await out.http(api, "GET", "/api/clientes?estado=derivado&limit=10", None, "my board")
        if status != 200 or not board["clientes"]:
            await _pause(world, 0.3)
            continue
        cliente = rng.choice(board["clientes"])["cliente_id"]
        path = f"/api/clientes/{cliente}"
        status, lock = await out.http(api, "POST", path + "/lock", {}, "lock")
        if status != 200:
            continue
        lock_token = lock["lockToken"]
        if rng.random() < WALK_AWAY_TAKEN:
            world.stats["walked away after taking"] += 1
            continue
        await _pause(world, rng.uniform(0.1, 0.5))
        status, _ = await out.http(api, "POST", path + "/open-wizard", {"lockToken": lock_token}, "open",
                                   IN_GESTION, cliente)
        if status != 200:
            world.stats["lost before opening"] += 1
            continue
        if rng.random() < WALK_AWAY_OPENED:
            world.stats["walked away after opening"] += 1
            continue
        # Work it: a heartbeat every HEARTBEAT_S, one to three updates, then complete.
        work_until = time.monotonic() + rng.uniform(1.0, 4.0)
        updates = rng.randint(1, 3)
        lost = False
        while not lost and (time.monotonic() < work_until or updates) and not world.stop.is_set():
            await _pause(world, min(HEARTBEAT_S, max(0.05, work_until - time.monotonic())))
            status, _ = await out.http(api, "POST", path + "/heartbeat", {"lockToken": lock_token}, "heartbeat")
            lost = status != 200
            if not lost and updates and rng.random() < 0.6:
                updates -= 1
                status, _ = await out.http(api, "PUT", path, {"lockToken": lock_token,
                                                              "datos": {"paso": updates, "nota": "soak"}},
                                           "update", UPDATED, cliente)
                lost = status != 200
        if lost:
            world.stats["lost while working (reassigned or expired)"] += 1
            continue
        status, _ = await out.http(api, "POST", path + "/complete-wizard", {"lockToken": lock_token}, "complete",
                                   COMPLETED, cliente)
        world.stats["completed" if status == 200 else "lost at completion"] += 1


def dba_imports(url: DatabaseUrl, stop: threading.Event, stats: Counter[str], names: set[str]) -> None:
    """A DBA loading a small batch of leads now and then (sp_importar_lote: one CLIENTS_IMPORTED)."""
    conn = connect(url)
    batch = 0
    try:
        while not stop.wait(IMPORT_EVERY_S):
            batch += 1
            rows = [{"linea": i + 2, "nombre": f"Importado {batch}-{i}"} for i in range(10)]
            clave = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
            head = call(conn, "sp_importar_lote", clave, "soak.csv", json.dumps(rows), 0)[0][0]
            stats["imported"] += int(head["cargados"])
            names.update(str(r["nombre"]) for r in rows)
    finally:
        conn.close()


async def sample_rss(pids: dict[str, int], stop: asyncio.Event, samples: dict[str, list[tuple[float, float]]]
                     ) -> None:
    started = time.monotonic()
    while not stop.is_set():
        for name, pid in pids.items():
            samples[name].append((time.monotonic() - started, rss_mib(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_EVERY_S)


def rss_judgement(series: list[tuple[float, float]]) -> dict[str, float]:
    """Median RSS of the second and last quarters of the run, and the slope after warm-up."""
    values = [mib for _t, mib in series]
    quarter = max(1, len(values) // 4)
    second, last = values[quarter:2 * quarter], values[-quarter:]
    after_warmup = series[quarter:]
    slope = 0.0
    if len(after_warmup) >= 3:
        ts, ms = [t for t, _m in after_warmup], [m for _t, m in after_warmup]
        t_mean, m_mean = statistics.fmean(ts), statistics.fmean(ms)
        var = sum((t - t_mean) ** 2 for t in ts)
        slope = 60 * sum((t - t_mean) * (m - m_mean) for t, m in zip(ts, ms, strict=True)) / var if var else 0.0
    return {"start": values[0], "second quarter": statistics.median(second), "last quarter": statistics.median(last),
            "max": max(values), "slope MiB/min": slope}


@run(timeout=SOAK_S + 150)
async def test_soak_two_gateways_one_database(tmp_path: Path, reliability: Record) -> None:
    """Soak: asesores, GTR and a DBA through two gateways on one database, sweep EVENT running"""
    rec = reliability
    rec.mode = MODE
    rec.load = (f"{SOAK_S:.0f} s; {ASESORES} asesores (board, lock, open, 1-3 updates with a heartbeat every "
                f"{HEARTBEAT_S:.0f} s, complete; {WALK_AWAY_TAKEN + WALK_AWAY_OPENED:.0%} walk away), GTR loading "
                f"and assigning, a DBA importing 10 leads every {IMPORT_EVERY_S:.0f} s; 2 gateway processes, "
                f"{4 + ASESORES + 2} dashboard sockets; timeout {TIMEOUT_S} s, sweep EVENT every {SWEEP_EVERY_S} s")
    rec.faults = (f"asesores walking away (the sweep returns them), GTR reassigning customers being worked, "
                  f"asesores switching gateway every {SWITCH_GATEWAY_S:.0f} s, a GTR socket dropped every "
                  f"{DROP_EVERY_S:.0f} s")
    rec.inputs = "every asesor and GTR route, sp_importar_lote; time scaled 60:1 (production 300 s timeout)"
    with private_server(tmp_path) as server:
        admin = Db(server.url)
        admin.call("sp_configurar", "timeout_segundos", TIMEOUT_S)
        admin.execute(f"ALTER EVENT ev_barrido_seguimiento ON SCHEDULE EVERY {SWEEP_EVERY_S} SECOND")
        asesores = [admin.asesor(f"Asesor {n}") for n in range(ASESORES)]
        gtr_token = make_token(admin, "gtr")
        tokens = [make_token(admin, "asesor", a) for a in asesores]

        one, two = GatewayProcess(server.url), GatewayProcess(server.url)
        one.start()
        two.start()
        out = Outcomes()
        stop_threads = threading.Event()
        sampler = OverdueSampler(server.url)
        stats: Counter[str] = Counter()
        rss: dict[str, list[tuple[float, float]]] = {"gateway 1": [], "gateway 2": []}
        try:
            async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
                bases = [one.base, two.base]
                world = World(session, bases, gtr_token, asesores, tokens, out, asyncio.Event(), stats)
                importer = threading.Thread(target=dba_imports, args=(server.url, stop_threads, stats, world.names),
                                            daemon=True)
                boards: dict[str, tuple[int | None, Dashboard]] = {}
                for n, base in enumerate(bases):
                    boards[f"gtr@{n + 1}"] = (None, Dashboard(session, gtr_token, base, [base], name=f"gtr@{n + 1}"))
                    boards[f"gtr@{n + 1} b"] = (None, Dashboard(session, gtr_token, base, [base]))
                boards["gtr roaming"] = (None, Dashboard(session, gtr_token, one.base, [two.base, one.base]))
                boards["gtr late joiner"] = (None, Dashboard(session, gtr_token, two.base, [two.base]))
                for n, asesor_id in enumerate(asesores):
                    base = bases[n % 2]
                    boards[f"asesor {n}"] = (asesor_id, Dashboard(session, tokens[n], base, [base]))
                for n in (0, 1):  # two asesores also have a second tab open on the other gateway
                    base = bases[(n + 1) % 2]
                    boards[f"asesor {n} second tab"] = (asesores[n], Dashboard(session, tokens[n], base, [base]))
                for name, (_asesor, board) in boards.items():
                    board.name = name
                    if name != "gtr late joiner":
                        await board.start()

                stop_rss = asyncio.Event()
                rss_task = asyncio.ensure_future(sample_rss({"gateway 1": one.pid, "gateway 2": two.pid}, stop_rss,
                                                            rss))
                seed = random.Random(2026)
                actors = [asyncio.ensure_future(gtr_loader(world, random.Random(seed.random()))),
                          asyncio.ensure_future(gtr_assigner(world, random.Random(seed.random())))]
                actors += [asyncio.ensure_future(asesor(world, n, random.Random(seed.random())))
                           for n in range(ASESORES)]
                importer.start()
                sampler.start()

                started = time.monotonic()
                next_drop = started + DROP_EVERY_S
                late_joined = False
                late_joined_at: float | None = None
                late_backlog = 0
                while time.monotonic() - started < SOAK_S:
                    await asyncio.sleep(0.2)
                    if time.monotonic() >= next_drop:
                        await boards["gtr roaming"][1].drop()
                        next_drop += DROP_EVERY_S
                    if not late_joined and time.monotonic() - started > SOAK_S * LATE_JOIN_AT:
                        late_backlog = last_outbox_id(admin)
                        late_joined_at = time.monotonic() - started
                        await boards["gtr late joiner"][1].start()  # since=0: the whole day so far, then live
                        late_joined = True
                for actor in actors:
                    assert not actor.done() or actor.exception() is None, actor.exception()
                world.stop.set()
                await asyncio.gather(*actors)
                stop_threads.set()
                await asyncio.to_thread(importer.join, 30)
                # Let the sweep return whatever the last walk-aways left, then look at everything.
                await asyncio.sleep(TIMEOUT_S + SWEEP_EVERY_S + OVERDUE_TOLERANCE_S)
                sampler.stop.set()
                await asyncio.to_thread(sampler.join, 10)
                assert sampler.error is None, sampler.error
                stop_rss.set()
                await rss_task

                outbox = admin.outbox()
                checks = {}
                for name, (board_asesor, board) in boards.items():
                    wanted = expected_ids(outbox, board_asesor)
                    if wanted:
                        await board.until_id(wanted[-1], timeout=30)
                    await asyncio.sleep(0.05)
                    checks[name] = compare(board.messages, wanted, outbox)
                drops = len(boards["gtr roaming"][1].cuts)
                for _asesor, board in boards.values():
                    await board.close()
        finally:
            stop_threads.set()
            sampler.stop.set()
            one.stop()
            two.stop()

        try:
            history = admin.query("SELECT COUNT(*) AS n FROM clientes_historial")[0]["n"]
            kinds = Counter(e["event_type"] for e in outbox)
            customers = admin.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"]
            duplicated = admin.query("SELECT COUNT(*) AS n FROM (SELECT nombre FROM clientes GROUP BY nombre "
                                     "HAVING COUNT(*) > 1) d")[0]["n"]
            names = {r["nombre"] for r in admin.query("SELECT nombre FROM clientes")}
            lost_customers = len(world.names - names)
            stuck = admin.query(
                "SELECT COUNT(*) AS n FROM clientes WHERE seguimiento_status IN ('derivado', 'en_gestion') "
                "AND last_activity + INTERVAL %s SECOND < UTC_TIMESTAMP(6)", (TIMEOUT_S + SWEEP_EVERY_S,))[0]["n"]
            by_status = Counter(r["seguimiento_status"] for r in admin.query("SELECT seguimiento_status FROM clientes"))
            memory = {name: rss_judgement(series) for name, series in rss.items()}
            growth = {name: m["last quarter"] - m["second quarter"] for name, m in memory.items()}
            server_errors = out.total(lambda k: " 5" in k)

            rec.figures(**totals(list(checks.values())))
            rec.figure("payload mismatches", sum(c.payload_mismatches for c in checks.values()))
            rec.figure("customers lost", lost_customers)
            rec.figure("customers duplicated", int(duplicated))
            rec.figure("customers stuck past timeout + 1 sweep", int(stuck))
            rec.figure("acknowledged transitions missing", acknowledged_missing(admin, out))
            rec.figure("5xx answers", server_errors)
            rec.figure("max overdue s (sampled)", sampler.worst)
            rec.figure("transitions (outbox events)", len(outbox))
            rec.figure("history rows", int(history))
            rec.figure("customers", int(customers))
            rec.figure("returned by the sweep EVENT", kinds["CLIENT_RETURNED_TO_GTR"])
            rec.figure("HTTP requests", out.total(lambda k: True))
            rec.figure("sockets checked", len(checks))
            for name, m in memory.items():
                rec.figure(f"{name} RSS MiB start / 2nd quarter / last quarter / max",
                           f"{m['start']:.1f} / {m['second quarter']:.1f} / {m['last quarter']:.1f} / {m['max']:.1f}")
            for name, m in memory.items():
                rec.figure(f"{name} RSS slope after warm-up MiB/min", m["slope MiB/min"])
            rec.notes.append(
                "Memory is judged flat when, after the first quarter of the run (warm-up), the median RSS of the "
                f"last quarter is within {RSS_GROWTH_MAX_MIB:.0f} MiB of the second quarter's (sampled every "
                f"{RSS_EVERY_S:.0f} s from /proc/<pid>/status); the slope is a least-squares fit over the same "
                "samples, reported, not judged (a 60 s run is too short to tell a slow leak from allocator noise: "
                "the long run is).")
            step = max(1, len(rss["gateway 1"]) // 20)
            for name, series in rss.items():
                rec.notes.append(f"{name} RSS MiB every {step * RSS_EVERY_S:.0f} s: "
                                 + " ".join(f"{mib:.1f}" for _t, mib in series[::step]))
            if late_joined_at is not None:
                rec.notes.append(f"The late GTR socket joined gateway 2 at {late_joined_at:.0f} s with since=0 and "
                                 f"caught up with {late_backlog} events in one go.")
            rec.notes.append(
                "Events: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ". Asesores: "
                + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())) + ". Final states: "
                + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
                + f". The roaming GTR socket was dropped {drops} times and resumed on the other gateway.")

            for name, check in checks.items():
                assert check.exact, f"{name}: {check}"
            assert lost_customers == 0 and duplicated == 0 and stuck == 0
            assert acknowledged_missing(admin, out) == 0
            assert server_errors == 0, {k: v for k, v in out.answers.items() if " 5" in k}
            assert sampler.worst <= SWEEP_EVERY_S + OVERDUE_TOLERANCE_S, sampler.worst
            assert kinds["CLIENT_RETURNED_TO_GTR"] > 0 and kinds["CLIENTS_IMPORTED"] > 0
            assert stats["completed"] > 0 and drops >= 1
            assert all(g <= RSS_GROWTH_MAX_MIB for g in growth.values()), memory
            assert_consistent(admin)  # one history row and one outbox row per transition, valid paths
        finally:
            admin.close()
