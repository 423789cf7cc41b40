"""Benchmark 6: routing (issue 13) at scale: one distribution run, and the pull under load.

``clientes`` holds N rows (1M in full mode), of which W wait in one auto campaign (nuevo,
in its queue, spread over the whole id range, five customer priorities) and the rest are
done or wait in the manual default campaign. Two measurements:

* **distribution**: A asesores (500), disponible, with the campaign's skill and capacity 1,
  hold nothing; one ``CALL sp_distribuir()`` must assign A customers. Between repeats the
  customers the last run assigned are completed (by hand: terminado), so the asesores have
  room again and the next run takes the next 500 from the front of the queue, as in
  production; and the run waits for InnoDB's purge to catch up (history list length), so a
  repeat does not pay for the previous one's undo. EXPLAIN of the queue read shows it is
  served from the front of ``idx_cola``.
* **pull**: P asesores (32), each in its own process with its own connection, call
  ``sp_siguiente_cliente`` K times back to back, all at once; latency of every call as the
  client sees it (round trip included), p50/p99 over all calls.

The fixture is loaded set-based with direct table writes: it is a benchmark fixture, not
application code. The benchmark's asesores are switched disponible with direct writes too,
so no distribution fires before the measured one.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    connect,
    execute,
    log,
    median,
    percentile,
    run_metadata,
    throwaway_database,
    timer,
)
from gateway.db.dburl import DatabaseUrl
from toolkit.db import call, explain_statement

NAME = "routing"

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"rows": 20_000, "waiting": 2_000, "asesores": 50, "repeats": 2, "pullers": 4, "pulls": 5},
    "short": {"rows": 200_000, "waiting": 20_000, "asesores": 500, "repeats": 5, "pullers": 32, "pulls": 10},
    "full": {"rows": 1_000_000, "waiting": 100_000, "asesores": 500, "repeats": 15, "pullers": 32, "pulls": 30},
}

# The distribution's queue read, as written in sql/procedures/_repartir.sql.
QUEUE_READ = ("SELECT id, campana_id, seguimiento_status FROM clientes "
              "WHERE campana_id = {campana} AND en_cola = 1 AND cola_desde <= UTC_TIMESTAMP(6) "
              "ORDER BY prioridad DESC, created_at, id LIMIT {n} FOR UPDATE SKIP LOCKED")


def load_fixture(conn: Any, cfg: dict[str, Any]) -> int:
    """The table, the auto campaign and its asesores; returns the campaign's id."""
    n, waiting = cfg["rows"], cfg["waiting"]
    (created,) = call(conn, "sp_crear_campana", "Bench", None, 5, "manual", 0, 3)[0]
    campana = created["campana_id"]
    execute(conn, "SET SESSION foreign_key_checks = 0, unique_checks = 0")
    execute(conn, "DROP TABLE IF EXISTS bench_seq")
    execute(conn, "CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB")
    execute(conn, "INSERT INTO bench_seq (n) WITH RECURSIVE s (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
                  "WHERE n < 999) SELECT n FROM s")
    every = n // waiting
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        execute(conn, f"""
            INSERT INTO clientes (id, nombre, telefono, datos, seguimiento_status, campana_id, prioridad,
                                  en_cola, cola_desde, created_at, updated_at, wizard_completado,
                                  fecha_wizard_completado)
            SELECT i + 1, CONCAT('Cliente ', i), CONCAT('9', LPAD(i, 8, '0')), '{{"origen":"bench"}}',
                   IF(q OR i % 10 = 1, 'nuevo', 'terminado'),
                   IF(q, {campana}, 1), IF(q, i % 5, 0), IF(q OR i % 10 = 1, 1, 0),
                   IF(q OR i % 10 = 1, UTC_TIMESTAMP(6) - INTERVAL ({n} - i) SECOND, NULL),
                   UTC_TIMESTAMP(6) - INTERVAL ({n} - i) SECOND, UTC_TIMESTAMP(6),
                   IF(q OR i % 10 = 1, 0, 1), IF(q OR i % 10 = 1, NULL, UTC_TIMESTAMP(6))
              FROM (SELECT {lo} + a.n * 1000 + b.n AS i, ({lo} + a.n * 1000 + b.n) % {every} = 0 AS q
                      FROM bench_seq a CROSS JOIN bench_seq b WHERE a.n < {(hi - lo + 999) // 1000}) s
             WHERE i < {hi}""")
    # The distribution's asesores, then the pullers: all with the skill, none disponible yet.
    total = cfg["asesores"] + cfg["pullers"] + 1  # the pullers, and one to pull alone
    execute(conn, "INSERT INTO asesores (nombre, activo, created_at, capacidad, presencia) "
                  f"SELECT CONCAT('Asesor ', n), 1, UTC_TIMESTAMP(6), IF(n < {cfg['asesores']}, 1, 1000), "
                  f"'en_pausa' FROM bench_seq WHERE n < {total}")
    execute(conn, "INSERT INTO asesor_campanas (asesor_id, campana_id, created_at) "
                  f"SELECT id, {campana}, UTC_TIMESTAMP(6) FROM asesores")
    execute(conn, "UPDATE campanas SET modo = 'auto' WHERE id = %s", (campana,))
    execute(conn, "SET SESSION foreign_key_checks = 1, unique_checks = 1")
    execute(conn, "ANALYZE TABLE clientes")
    execute(conn, "ANALYZE TABLE asesores")
    return int(campana)


def free_places(conn: Any, campana: int) -> None:
    """Complete what the last run assigned (by hand), so every asesor has its place again."""
    execute(conn, """
        UPDATE clientes SET seguimiento_status = 'terminado', asesor_asignado = NULL, opened_at = derivado_at,
                            last_activity = NULL, wizard_completado = 1, fecha_wizard_completado = UTC_TIMESTAMP(6)
         WHERE campana_id = %s AND seguimiento_status = 'derivado'""", (campana,))


def wait_for_purge(conn: Any, limit: int = 2000, seconds: float = 20) -> int:
    """Wait (bounded) until InnoDB's history list is short; its length when done."""
    deadline = time.monotonic() + seconds
    while True:
        ((_, _, status),) = execute(conn, "SHOW ENGINE INNODB STATUS")
        match = re.search(r"History list length (\d+)", str(status))
        length = int(match.group(1)) if match else 0
        if length <= limit or time.monotonic() > deadline:
            return length
        time.sleep(0.2)


def explain(conn: Any, campana: int, n: int) -> tuple[list[str], list[list[Any]]]:
    cur = conn.cursor()
    cur.execute(explain_statement(conn, QUEUE_READ.format(campana=campana, n=n)))
    rows = [list(r) for r in cur.fetchall()]
    headers = [d[0] for d in cur.description]
    cur.close()
    return headers, rows


def _puller(url: str, asesor: int, pulls: int, start: Any, out: Any) -> None:
    """One asesor's process: its own connection, K pulls back to back once all are ready."""
    conn = connect(DatabaseUrl.parse(url))
    latencies = []
    got = 0
    start.wait()
    for _ in range(pulls):
        t0 = time.perf_counter()
        (pulled,) = call(conn, "sp_siguiente_cliente", asesor)[0]
        cliente = pulled["cliente_id"]
        latencies.append(time.perf_counter() - t0)
        got += cliente is not None
    conn.close()
    out.put((asesor, got, latencies))


def measure_pull(url: DatabaseUrl, conn: Any, pullers: list[int], pulls: int) -> dict[str, Any]:
    """``pullers`` asesores (one process each) pull ``pulls`` times each, all at once."""
    ids = ", ".join(str(int(a)) for a in pullers)
    execute(conn, f"UPDATE asesores SET presencia = 'disponible' WHERE id IN ({ids})")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(pullers) + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=_puller, args=(url.secret_url(), a, pulls, start, out)) for a in pullers]
    for p in procs:
        p.start()
    start.wait()
    with timer() as t:
        results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    latencies = [x * 1000 for _, _, lat in results for x in lat]
    got = sum(g for _, g, _ in results)
    assert got == len(pullers) * pulls, f"{got} pulls gave a customer, expected every one"
    ((dupes,),) = execute(conn, "SELECT COUNT(*) - COUNT(DISTINCT cliente_id) FROM clientes_historial "
                                "WHERE motivo = 'asignado'")
    assert dupes == 0, "a customer was pulled twice"
    return {"pullers": len(pullers), "pulls_each": pulls, "calls": len(latencies),
            "p50_ms": percentile(latencies, 50), "p90_ms": percentile(latencies, 90),
            "p99_ms": percentile(latencies, 99), "max_ms": max(latencies),
            "calls_per_s": len(latencies) / t[0]}


def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    report = Report(NAME, "Benchmark 6: automatic distribution and the pull", mode, run_metadata(mode))
    with throwaway_database(NAME) as url:
        conn = connect(url)
        try:
            log(f"routing: loading {cfg['rows']:,} clientes ({cfg['waiting']:,} waiting)")
            with timer() as t_load:
                campana = load_fixture(conn, cfg)
            log(f"routing: loaded in {t_load[0]:.1f} s")
            execute(conn, "UPDATE asesores SET presencia = 'disponible' ORDER BY id LIMIT %s", (cfg["asesores"],))
            headers, plan = explain(conn, campana, cfg["asesores"])
            runs: list[float] = []
            for _ in range(cfg["repeats"]):
                free_places(conn, campana)
                wait_for_purge(conn)
                with timer() as t:
                    (run,) = call(conn, "sp_distribuir")[0]
                asignados, omitido = run["asignados"], run["omitido"]
                assert omitido == 0 and asignados == cfg["asesores"], (asignados, omitido)
                runs.append(t[0] * 1000)
            log(f"routing: distribution of {cfg['asesores']} median {median(runs):.1f} ms")
            # The distribution's asesores now hold one customer each (capacity 1): the pull
            # phase's asesores are the only ones with room.
            wait_for_purge(conn)
            pullers = [r[0] for r in execute(conn, f"SELECT id FROM asesores ORDER BY id "
                                                   f"LIMIT {cfg['pullers'] + 1} OFFSET {cfg['asesores']}")]
            # One asesor alone first: what a pull costs without anyone to wait for.
            alone = measure_pull(url, conn, pullers[:1], cfg["pulls"] * 4)
            pull = measure_pull(url, conn, pullers[1:], cfg["pulls"])
            log(f"routing: pull alone p50 {alone['p50_ms']:.2f} ms p99 {alone['p99_ms']:.2f} ms; "
                f"{pull['pullers']} at once p50 {pull['p50_ms']:.2f} ms, p99 {pull['p99_ms']:.2f} ms")
        finally:
            conn.close()

    report.data = {"config": cfg, "distribution_ms_all": runs, "distribution_ms": median(runs), "pull": pull,
                   "pull_alone": alone,
                   "explain": {"headers": headers, "rows": plan}}
    report.summary = (
        f"`CALL sp_distribuir()` assigning {cfg['asesores']} customers to {cfg['asesores']} available asesores "
        f"(capacity 1, one skill) with {cfg['waiting']:,} waiting in a {cfg['rows']:,}-row table: median of "
        f"{cfg['repeats']} runs, each taking the next {cfg['asesores']} from the front of the queue (the last "
        f"run's are completed by hand in between, and InnoDB's purge is let catch up). Then {cfg['pullers']} "
        "asesores, one "
        f"process and connection each, call `sp_siguiente_cliente` {cfg['pulls']} times each, all at once "
        f"({report.meta['connector']['path']} connector; latency as the client sees it).")
    report.table("Distribution run (ms)", ["clientes", "waiting", "asignados", "median ms", "min ms", "max ms"],
                 [[cfg["rows"], cfg["waiting"], cfg["asesores"], median(runs), min(runs), max(runs)]])
    report.table("Pull under concurrency (ms)",
                 ["asesores at once", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms", "calls/s"],
                 [[r["pullers"], r["calls"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"], r["calls_per_s"]]
                  for r in (alone, pull)],
                 note="Every pull commits an outbox event, and event commits are serialised on purpose (the "
                      "outbox sequence row, held to commit: gap-free ids in commit order), so concurrent pulls "
                      "queue behind each other's commit; the 32 client processes share the machine's cores with "
                      "the server.")
    report.table(f"EXPLAIN of the distribution's queue read at {cfg['rows']:,} rows", headers, plan,
                 note=f"`EXPLAIN {QUEUE_READ.format(campana=campana, n=cfg['asesores'])}`")
    full = cfg["rows"] >= 1_000_000
    report.target(f"one distribution run, {cfg['asesores']} assigned, {cfg['waiting']:,} waiting, "
                  f"{cfg['rows']:,} rows", "<= 200 ms", f"{median(runs):.1f} ms",
                  median(runs) <= 200 if full else None, "" if full else "the 1M-row case runs in full mode only")
    extra = str(plan[0][headers.index("Extra")] or "") if "Extra" in headers else ""
    key = str(plan[0][headers.index("key")])
    report.target("the queue read is index-driven (no filesort)", "idx_cola, no filesort",
                  f"key {key}; {extra or 'no Extra'}", key == "idx_cola" and "filesort" not in extra)
    report.target(f"pull p99 with {pull['pullers']} asesores at once", "<= 20 ms", f"{pull['p99_ms']:.2f} ms",
                  pull["p99_ms"] <= 20 if pull["pullers"] >= 32 else None)
    return report
