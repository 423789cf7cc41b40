"""Benchmark 2: event latency, commit to socket, and the cost of the outbox ordering.

**Latency.** ``seguimiento serve`` (default settings: poll interval 200 ms) with 500
sockets: 450 asesor dashboards (one per asesor) and 50 GTR boards, the realistic mix of a
call centre; in full mode also 500 GTR boards (every socket gets every event). A steady
200 transitions/s of ``sp_actualizar_cliente`` (event CLIENT_UPDATED, to the GTR boards
and the customer's asesor), spread over the 450 customers, made two ways in turn:

* **gateway-originated**: ``PUT /api/clientes/{id}`` over HTTP (the call wakes the tailer);
* **DBA path**: ``CALL sp_actualizar_cliente`` on plain connections of another client
  (found by the tailer's next poll).

Latency of a delivery = the socket's receipt (wall clock) - the event's ``timestamp``,
which the procedure takes with UTC_TIMESTAMP(6) at its start: it includes the procedure's
own run and COMMIT (~1-3 ms here), so it is commit-to-socket plus that. Same machine, same
clock. Latency is recorded on every asesor socket and on up to 50 GTR sockets (the others
count their messages), so the receivers' own CPU does not swamp the figure.

**Ordering cost.** Writers of event-writing transitions (``sp_actualizar_cliente`` on their
own customers) at 1, 8 and 32 concurrent connections, from Python threads (throughput,
p50/p99) and from ``mariadb-slap`` (throughput), with the real ``_reservar_outbox_ids``
(row lock on outbox_secuencia held to COMMIT) and with a **bench-only variant** installed
in the throwaway database that takes ids from an AUTO_INCREMENT table and holds no lock to
commit (ids then become visible out of order and a rollback leaves a gap - exactly what
the real one prevents; it is never installed by migrate). Variants alternate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    Report,
    connect,
    execute,
    log,
    median,
    percentile,
    pyplot,
    ratio,
    run_metadata,
    save_plot,
    throwaway_database,
)
from bench.gatewayproc import running_gateway
from bench.transitions import Fixture, _drain, _summary, run_slap, slap_rate
from bench.wsclient import WsClient, connect_many, raise_fd_limit
from bench.wsclient import connect as ws_connect
from gateway.db.migrate import SQL_MODE
from gateway.db.sqlfiles import load_objects

NAME = "events"

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"asesor_sockets": 8, "gtr_sockets": 4, "rate": 40, "seconds": 1.0, "repeats": 1,
              "all_gtr": False, "writers": [2], "writer_seconds": 0.5, "writer_repeats": 1},
    "short": {"asesor_sockets": 200, "gtr_sockets": 50, "rate": 200, "seconds": 2.0, "repeats": 2,
              "all_gtr": False, "writers": [8], "writer_seconds": 1.5, "writer_repeats": 2},
    "full": {"asesor_sockets": 450, "gtr_sockets": 50, "rate": 200, "seconds": 8.0, "repeats": 3,
             "all_gtr": True, "writers": [1, 8, 32], "writer_seconds": 3.0, "writer_repeats": 5},
}
MEASURED_GTR = 50
POLL_INTERVAL = 0.2
UNLOCKED_VARIANT = """
CREATE PROCEDURE _reservar_outbox_ids(IN p_n BIGINT, OUT o_primero BIGINT)
BEGIN
    -- BENCH-ONLY VARIANT (bench/events.py), installed only in a throwaway bench database:
    -- ids from an AUTO_INCREMENT counter, so no lock is held until COMMIT. Ids then become
    -- visible out of order and a rollback leaves a gap: what the real procedure prevents.
    INSERT INTO bench_outbox_ids (n) SELECT 1 FROM bench_seq WHERE n < p_n;
    SET o_primero = LAST_INSERT_ID();
END"""


# --- latency ------------------------------------------------------------------------------

class Latencies:
    def __init__(self) -> None:
        self.offset = time.time() - time.perf_counter()
        self.samples: list[float] = []
        self.received = 0
        self.measured: set[WsClient] = set()
        self.recording = True

    def on_message(self, client: WsClient, data: bytes, now: float) -> None:
        self.received += 1
        if client in self.measured and self.recording:
            ts = json.loads(data)["data"]["timestamp"]
            sent = dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
            self.samples.append(now + self.offset - sent)


async def _gateway_writes(fx: Fixture, base: str, rate: float, seconds: float) -> int:
    n = int(rate * seconds)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def put(k: int, i: int) -> None:
            cliente, lock = fx.heartbeat[i]
            async with session.put(f"{base}/api/clientes/{cliente}", json={"lockToken": lock, "datos": {"n": k}},
                                   headers={"Authorization": f"Bearer {fx.tokens[i]}"}) as response:
                if response.status != 200:
                    raise RuntimeError(f"PUT: {response.status} {await response.text()}")

        tasks = []
        start = time.perf_counter()
        for k in range(n):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(put(k, k % fx.clients)))
        await asyncio.gather(*tasks)
    return n


def _dba_writes(fx: Fixture, rate: float, seconds: float, threads: int = 2) -> int:
    n = int(rate * seconds)
    start = time.perf_counter() + 0.05

    def work(t: int) -> None:
        conn = connect(fx.url)
        cur = conn.cursor()
        for k in range(t, n, threads):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            i = k % fx.clients
            cliente, lock = fx.heartbeat[i]
            cur.execute("CALL sp_actualizar_cliente(%s, %s, %s, %s)",
                        (cliente, fx.asesores[i], lock, json.dumps({"n": k})))
            _drain(cur)
        cur.close()
        conn.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return n


async def _latency(fx: Fixture, gw: Any, gtr_token: str, cfg: dict[str, Any], n_gtr: int,
                   n_asesor: int) -> list[dict[str, Any]]:
    lat = Latencies()
    ws = f"{gw.ws_base}/ws?token="
    gate = asyncio.Semaphore(50)

    async def one(token: str) -> WsClient:
        async with gate:
            return await ws_connect(ws + token, lat.on_message)

    asesor_socks = list(await asyncio.gather(*(one(fx.tokens[i]) for i in range(n_asesor))))
    gtr_socks = await connect_many(ws + gtr_token, n_gtr, lat.on_message)
    lat.measured = set(asesor_socks) | set(gtr_socks[:MEASURED_GTR])
    per_event = n_gtr + (1 if n_asesor else 0)  # every GTR board, and the customer's asesor when it has a socket
    await asyncio.sleep(0.5)
    # Warm-up, not measured: both paths once, so first-use costs (pool connections, caches)
    # do not land in the first measured run.
    lat.recording = False
    await _gateway_writes(fx, gw.base, cfg["rate"], min(1.0, cfg["seconds"]))
    await asyncio.to_thread(_dba_writes, fx, cfg["rate"], min(1.0, cfg["seconds"]))
    await asyncio.sleep(POLL_INTERVAL + 0.5)
    lat.recording = True
    out: list[dict[str, Any]] = []
    for r in range(cfg["repeats"]):
        for path in (("gateway", "dba") if r % 2 == 0 else ("dba", "gateway")):
            lat.samples = []
            lat.received = 0
            started = time.perf_counter()
            if path == "gateway":
                events = await _gateway_writes(fx, gw.base, cfg["rate"], cfg["seconds"])
            else:
                events = await asyncio.to_thread(_dba_writes, fx, cfg["rate"], cfg["seconds"])
            elapsed = time.perf_counter() - started
            deadline = time.perf_counter() + 5
            while lat.received < events * per_event and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            samples = lat.samples
            out.append({"path": path, "sockets": n_gtr + n_asesor, "gtr_sockets": n_gtr, "events": events,
                        "achieved_rate": events / elapsed, "expected_deliveries": events * per_event,
                        "received": lat.received, "samples": len(samples),
                        "p50_ms": percentile(samples, 50) * 1000, "p99_ms": percentile(samples, 99) * 1000,
                        "max_ms": max(samples) * 1000 if samples else float("nan"),
                        "hist_ms": [round(x * 1000, 2) for x in samples[:: max(1, len(samples) // 2000)]]})
            log(f"events: {path}, {n_gtr} GTR + {n_asesor} asesor sockets: p50 {out[-1]['p50_ms']:.1f} ms, "
                f"p99 {out[-1]['p99_ms']:.1f} ms, max {out[-1]['max_ms']:.1f} ms, "
                f"{lat.received}/{events * per_event} delivered")
            await asyncio.sleep(0.3)
    for s in asesor_socks + gtr_socks:
        s.close()
    await asyncio.sleep(0.3)
    return out


# --- ordering cost ------------------------------------------------------------------------

def _install(conn: Any, statements: list[str]) -> None:
    execute(conn, f"SET SESSION sql_mode = '{SQL_MODE}'")
    for statement in statements:
        execute(conn, statement)


def _python_writers(fx: Fixture, writers: int, seconds: float) -> dict[str, Any]:
    conns = [connect(fx.url) for _ in range(writers)]
    lat: list[list[float]] = [[] for _ in range(writers)]
    barrier = threading.Barrier(writers + 1)
    box: list[float] = []

    def work(i: int) -> None:
        cur = conns[i].cursor()
        cliente, lock = fx.heartbeat[i]
        asesor = fx.asesores[i]
        barrier.wait()
        k = 0
        while (t0 := time.perf_counter()) < box[0]:
            cur.execute("CALL sp_actualizar_cliente(%s, %s, %s, %s)", (cliente, asesor, lock, f'{{"n": {k}}}'))
            _drain(cur)
            lat[i].append(time.perf_counter() - t0)
            k += 1
        cur.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    box.append(start + seconds)
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return _summary([x for xs in lat for x in xs], elapsed)


def _ordering(url: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    fx = Fixture(url, max(cfg["writers"]), 0)
    conn = connect(url)
    real = [o for o in load_objects() if o.name == "_reservar_outbox_ids"][0]
    results: list[dict[str, Any]] = []
    try:
        execute(conn, "CREATE TABLE bench_outbox_ids (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, n TINYINT) "
                      "ENGINE=InnoDB")
        variants = {"with the sequence lock (real)": list(real.statements),
                    "without it (bench-only AUTO_INCREMENT variant)": ["DROP PROCEDURE IF EXISTS _reservar_outbox_ids",
                                                                       UNLOCKED_VARIANT]}
        for writers in cfg["writers"]:
            for r in range(cfg["writer_repeats"]):
                names = list(variants) if r % 2 == 0 else list(reversed(variants))
                for name in names:
                    _install(conn, variants[name])
                    # Fresh id spaces for each variant so neither collides with the other's rows.
                    execute(conn, "TRUNCATE TABLE outbox")
                    execute(conn, "UPDATE outbox_secuencia SET ultimo_id = 0 WHERE id = 1")
                    execute(conn, "TRUNCATE TABLE bench_outbox_ids")
                    py = _python_writers(fx, writers, cfg["writer_seconds"])
                    fx.reset(conn)
                    pilot = run_slap(fx, "update", writers, 10)
                    fx.reset(conn)
                    per_client = max(5, int(pilot["rate"] * cfg["writer_seconds"] / writers))
                    slap = slap_rate(pilot, run_slap(fx, "update", writers, per_client))
                    results.append({"writers": writers, "variant": name, "python": py, "slap": slap})
                    log(f"events: ordering, {writers} writers, {name}: Python {py['rate']:.0f}/s "
                        f"p99 {py['p99_ms']:.1f} ms; C client {slap['rate']:.0f}/s")
    finally:
        _install(conn, list(real.statements))
        conn.close()
    return results


# --- the benchmark ------------------------------------------------------------------------

def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    raise_fd_limit()
    report = Report(NAME, "Benchmark 2: event latency and the cost of the outbox ordering", mode,
                    run_metadata(mode))
    lat_results: list[dict[str, Any]] = []
    with throwaway_database(NAME) as url:
        log(f"events: preparing {cfg['asesor_sockets']} asesores with a customer en_gestion each")
        fx = Fixture(url, cfg["asesor_sockets"], 0)
        # The all-GTR scenario holds every socket on one token: past the per-token cap's default.
        sockets = cfg["gtr_sockets"] + cfg["asesor_sockets"]
        with running_gateway(url, poll_interval=POLL_INTERVAL, ws_max_per_token=sockets,
                             max_connections=sockets + 100) as gw:
            scenarios = [(cfg["gtr_sockets"], cfg["asesor_sockets"])]
            if cfg["all_gtr"]:
                scenarios.append((cfg["gtr_sockets"] + cfg["asesor_sockets"], 0))
            for n_gtr, n_asesor in scenarios:
                # With n_asesor == 0 every socket is a GTR board (the worst case for fan-out).
                lat_results.extend(asyncio.run(_latency(fx, gw, fx.gtr_token, cfg, n_gtr, n_asesor)))
    with throwaway_database(NAME + "_order") as url:
        order_results = _ordering(url, cfg)

    rows = []
    summary: dict[str, Any] = {}
    for gtr in sorted({r["gtr_sockets"] for r in lat_results}):
        for path in ("gateway", "dba"):
            rs = [r for r in lat_results if r["gtr_sockets"] == gtr and r["path"] == path]
            med = {k: median([r[k] for r in rs]) for k in ("p50_ms", "p99_ms", "max_ms", "achieved_rate")}
            lost = sum(r["expected_deliveries"] - r["received"] for r in rs)
            summary[(gtr, path)] = med
            label = "gateway-originated (PUT over HTTP)" if path == "gateway" else "DBA path (direct CALL)"
            sockets = rs[0]["sockets"]
            rows.append([f"{sockets} ({gtr} GTR)", label, med["achieved_rate"], med["p50_ms"], med["p99_ms"],
                         med["max_ms"], lost])
    report.summary = (
        f"`seguimiento serve` (poll interval {POLL_INTERVAL * 1000:.0f} ms), {cfg['rate']} transitions/s of "
        f"sp_actualizar_cliente for {cfg['seconds']:g} s per run, {cfg['repeats']} runs per path alternating; "
        "medians over runs of each run's percentiles.")
    report.table("Commit to socket", ["sockets", "path", "transitions/s", "p50 ms", "p99 ms", "max ms",
                                      "deliveries missing"], rows,
                 note="Latency from the event's own timestamp (taken at the start of the procedure, so it includes "
                      "the procedure's run and COMMIT) to receipt. *deliveries missing*: expected minus received, "
                      "over all runs (0 = every socket got every event it may see).")
    mixed = cfg["gtr_sockets"]
    g = summary[(mixed, "gateway")]
    d = summary[(mixed, "dba")]
    full_size = cfg["asesor_sockets"] + cfg["gtr_sockets"] >= 500 and cfg["rate"] >= 200
    report.target("gateway-originated p99", "<= 50 ms", f"{g['p99_ms']:.1f} ms",
                  g["p99_ms"] <= 50 if full_size else None)
    report.target("DBA path p99", f"<= poll interval + 50 ms = {POLL_INTERVAL * 1000 + 50:.0f} ms",
                  f"{d['p99_ms']:.1f} ms", d["p99_ms"] <= POLL_INTERVAL * 1000 + 50 if full_size else None)

    orows = []
    by: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in order_results:
        by.setdefault((r["writers"], r["variant"]), []).append(r)
    variants = list(dict.fromkeys(r["variant"] for r in order_results))
    ordering_summary = []
    for writers in cfg["writers"]:
        base = None
        for v in variants:
            rs = by[(writers, v)]
            py_rate = median([r["python"]["rate"] for r in rs])
            py_p99 = median([r["python"]["p99_ms"] for r in rs])
            py_p50 = median([r["python"]["p50_ms"] for r in rs])
            c_rate = median([r["slap"]["rate"] for r in rs])
            if base is None:
                base = (py_rate, py_p99, c_rate)
            orows.append([writers, v, py_rate, py_p50, py_p99, c_rate, ratio(py_rate, base[0]), ratio(c_rate, base[2])])
            ordering_summary.append({"writers": writers, "variant": v, "python_rate": py_rate, "python_p50_ms": py_p50,
                                     "python_p99_ms": py_p99, "c_rate": c_rate})
    report.table("Cost of the outbox ordering (event-writing transitions: sp_actualizar_cliente)",
                 ["writers", "_reservar_outbox_ids", "Python tx/s", "Python p50 ms", "Python p99 ms", "C client tx/s",
                  "Python ÷ real", "C ÷ real"], orows,
                 note="The variant is bench-only: it gives up in-order visibility and gap-freedom, so the tailer "
                      "would skip events with it. The ratio shows what the guarantee costs in throughput.")
    report.data = {"config": cfg, "poll_interval_s": POLL_INTERVAL, "latency_runs": lat_results,
                   "ordering_runs": order_results, "ordering": ordering_summary}

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 4))
        for path, label in (("gateway", "gateway-originated"), ("dba", "DBA path")):
            samples = [x for r in lat_results if r["path"] == path and r["gtr_sockets"] == mixed for x in r["hist_ms"]]
            if samples:
                ax.hist(samples, bins=60, alpha=0.6, label=label)
        ax.set_xlabel("commit to socket (ms)")
        ax.set_ylabel("deliveries (sampled)")
        ax.set_yscale("log")
        ax.set_title(f"Event latency, {cfg['gtr_sockets'] + cfg['asesor_sockets']} sockets, {cfg['rate']}/s")
        ax.legend()
        save_plot(report, fig, out, f"{NAME}.png")
        plt.close(fig)
    return report
