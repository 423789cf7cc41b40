"""Benchmark 1: transitions throughput and latency, gateway against the database's own limit.

Two workloads, each at 1, 8, 32 and 128 concurrent clients (full mode):

* **heartbeat** (the hot transition): ``sp_heartbeat_cliente`` on the client's own
  customer, which is en_gestion with a live lock prepared beforehand.
* **cycle**: a whole cycle on a fresh customer of the client's own pool: assign
  (``sp_derivar_cliente``) -> take (``sp_tomar_cliente``) -> open (``sp_abrir_wizard``) ->
  update (``sp_actualizar_cliente``) -> complete (``sp_completar_wizard``). Figures are
  cycles/s and per-cycle latency.

Each client has its own asesor, so clients never wait on each other's rows (only on what
the design serialises: the outbox sequence row of event-writing commits).

Four ways to make the same calls, alternating within each repeat:

* **C client** - ``mariadb-slap`` (the server's own C client tool): the database's limit on
  this machine. One slap process runs N connections; each claims its own customer/asesor
  in ``--init-command`` (a bench-only procedure sets session variables) and then runs
  ``CALL sp_heartbeat_cliente(@c, @a, @t)``. slap discards result sets, so in the cycle the
  lock token is read back with one extra ``SELECT lock_token INTO @t FROM clientes WHERE
  id = @c`` (7 statements per cycle instead of 5 calls: this slightly *lowers* the C
  baseline). slap reports no per-call latency: its p50/p99 are left blank. Its clock
  includes connecting the clients, so its rate is taken from the difference between each
  run and a short pilot run (which cancels that fixed cost).
* **Python** - mysql-connector-python, one thread and one connection per client.
* **gateway** - ``seguimiento serve`` (separate process, default settings: pool of 10
  connections) driven over HTTP keep-alive by aiohttp clients in this process: ``POST
  /api/clientes/{id}/heartbeat``; the cycle is POST /estatus (GTR token), /lock,
  /open-wizard, PUT /api/clientes/{id}, /complete-wizard (the asesor's token). A token is
  validated (``sp_validar_token``) once and then served from the gateway's token cache
  (gateway/web/sessions.py): one procedure call per request.
* **gateway driven by wrk** - the same HTTP requests from ``wrk`` (C, Debian's package,
  installed by ``make bench``; skipped with a note where it is missing), scripted by
  bench/wrk_transitions.lua. wrk's Lua state is per thread, so it runs one thread per
  connection; the cycle is a per-thread state machine that reads the lock token from the
  take's reply. This takes the Python load generator's CPU off the 2 cores the gateway and
  the database share. wrk reports latency per request: its cycle p50/p99 are blank.

CPU seconds of the gateway process, the database server and this (load-generating)
process are sampled around every gateway run: on 2 cores they show where the time goes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    Report,
    call,
    connect,
    execute,
    log,
    median,
    percentile,
    private_server,
    pyplot,
    ratio,
    run_metadata,
    save_plot,
    throwaway_database,
)
from bench.gatewayproc import asesor_token, cli_token, process_cpu_seconds, running_gateway
from bench.profiling import Sampler
from gateway.db.dburl import DatabaseUrl
from gateway.settings import Settings

NAME = "transitions"
MAX_CONNECTIONS = 400
WORKLOADS = ("heartbeat", "cycle")
METHODS = ("C client (mariadb-slap)", "Python (mysql-connector, threads)", "gateway (HTTP keep-alive)",
           "gateway driven by wrk (C)")
SLAP, PY, GW, WRK = METHODS
WRK_SCRIPT = Path(__file__).with_name("wrk_transitions.lua")

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"levels": [2], "seconds": 0.4, "repeats": 1, "pool_budget": 400},
    "short": {"levels": [1, 32], "seconds": 1.0, "repeats": 2, "pool_budget": 6_000},
    "full": {"levels": [1, 8, 32, 128], "seconds": 4.0, "repeats": 3, "pool_budget": 12_000},
}

CLAIM_PROCEDURE = """
CREATE PROCEDURE bench_reclamar_slot()
BEGIN
    -- Bench-only: gives the calling connection the next free client slot (its customer,
    -- asesor, lock token and pool start) in session variables, for mariadb-slap's
    -- --init-command. Not part of the application.
    DECLARE v_slot INT;
    START TRANSACTION;
    SELECT slot INTO v_slot FROM bench_slots WHERE owner IS NULL ORDER BY slot LIMIT 1 FOR UPDATE;
    UPDATE bench_slots SET owner = CONNECTION_ID() WHERE slot = v_slot;
    COMMIT;
    SELECT cliente_id, asesor_id, lock_token, pool_first - 1 INTO @c, @a, @t, @n
      FROM bench_slots WHERE slot = v_slot;
END"""

HEARTBEAT_SQL = "CALL sp_heartbeat_cliente(@c, @a, @t)"
CYCLE_SQL = [
    "SET @n = @n + 1",
    "CALL sp_derivar_cliente(@n, @a, 'gtr')",
    "CALL sp_tomar_cliente(@n, @a)",
    "SELECT lock_token INTO @k FROM clientes WHERE id = @n",
    "CALL sp_abrir_wizard(@n, @a, @k)",
    "CALL sp_actualizar_cliente(@n, @a, @k, '{\"nota\": \"bench\"}')",
    "CALL sp_completar_wizard(@n, @a, @k)",
]
UPDATE_JSON = '{"nota": "bench"}'
# An event-writing transition that can repeat forever on one customer (benchmark 2).
UPDATE_SQL = 'CALL sp_actualizar_cliente(@c, @a, @t, \'{"n": 1}\')'
STATEMENTS = {"heartbeat": [HEARTBEAT_SQL], "cycle": CYCLE_SQL, "update": [UPDATE_SQL]}


# --- fixture ------------------------------------------------------------------------------

class Fixture:
    """Per client slot: an asesor, a customer en_gestion with its lock token (heartbeat),
    a pool of nuevo customers (cycle) and the asesor's bearer token."""

    def __init__(self, url: DatabaseUrl, clients: int, pool_budget: int) -> None:
        self.url = url
        self.clients = clients
        conn = connect(url)
        try:
            execute(conn, "UPDATE seguimiento_config SET valor = 86400 WHERE clave = 'timeout_segundos'")
            execute(conn, "CREATE TABLE bench_slots (slot INT PRIMARY KEY, owner BIGINT NULL, cliente_id BIGINT, "
                          "asesor_id BIGINT, lock_token CHAR(36), pool_first BIGINT, pool_size INT) ENGINE=InnoDB")
            execute(conn, CLAIM_PROCEDURE)
            self.asesores = [int(call(conn, "sp_crear_asesor", f"Asesor {i}")[0][0][0]) for i in range(clients)]
            self.tokens = [asesor_token(conn, a) for a in self.asesores]
            self.heartbeat: list[tuple[int, str]] = []
            for a in self.asesores:
                c = int(call(conn, "sp_cargar_cliente", f"Latido {a}", None, None)[0][0][0])
                call(conn, "sp_derivar_cliente", c, a, "gtr")
                token = str(call(conn, "sp_tomar_cliente", c, a)[0][0][0])
                call(conn, "sp_abrir_wizard", c, a, token)
                self.heartbeat.append((c, token))
            # Cycle pools: client i is used at every level above i, where it gets a 1/level
            # share of the run, so early clients need the biggest pools.
            self.pools: list[tuple[int, int]] = []
            ((next_id,),) = execute(conn, "SELECT COALESCE(MAX(id), 0) + 1 FROM clientes")
            first = int(next_id) + 1000
            for i in range(clients):
                size = max(40, pool_budget // (i + 1))
                self.pools.append((first, size))
                first += size
            total = first - self.pools[0][0]
            execute(conn, "CREATE TABLE bench_seq (n INT PRIMARY KEY) ENGINE=InnoDB")
            execute(conn, "INSERT INTO bench_seq WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
                          "WHERE n < 999) SELECT n FROM s")
            execute(conn, f"""
                INSERT INTO clientes (id, nombre, telefono, seguimiento_status, created_at, updated_at)
                SELECT {self.pools[0][0]} + a.n * 1000 + b.n, CONCAT('Ciclo ', a.n * 1000 + b.n), NULL, 'nuevo',
                       UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
                  FROM bench_seq a CROSS JOIN bench_seq b
                 WHERE a.n * 1000 + b.n < {total}""")
            execute(conn, "INSERT INTO bench_slots (slot, cliente_id, asesor_id, lock_token, pool_first, pool_size) "
                          "VALUES " + ", ".join(
                              f"({i}, {self.heartbeat[i][0]}, {self.asesores[i]}, '{self.heartbeat[i][1]}', "
                              f"{self.pools[i][0]}, {self.pools[i][1]})" for i in range(clients)))
            self.pool_range = (self.pools[0][0], first - 1)
        finally:
            conn.close()
        self.gtr_token = cli_token(url, "--role", "gtr", "--description", "bench")

    def reset(self, conn: Any) -> None:
        """Cycle pools back to nuevo and slots unclaimed, after each run (fixture writes)."""
        lo, hi = self.pool_range
        execute(conn, f"""
            UPDATE clientes SET seguimiento_status = 'nuevo', asesor_asignado = NULL, derivado_at = NULL,
                   opened_at = NULL, last_activity = NULL, wizard_completado = 0, fecha_wizard_completado = NULL,
                   lock_token = NULL, lock_asesor_id = NULL, datos = NULL
             WHERE id BETWEEN {lo} AND {hi} AND seguimiento_status <> 'nuevo'""")
        execute(conn, "UPDATE bench_slots SET owner = NULL")


# --- the three clients ------------------------------------------------------------------

def run_slap(fx: Fixture, workload: str, clients: int, per_client: int) -> dict[str, Any]:
    """mariadb-slap with ``clients`` connections, ``per_client`` operations each."""
    statements = STATEMENTS[workload]
    per_client = min(per_client, min(size for _, size in fx.pools[:clients]) - 1) if workload == "cycle" else per_client
    url = fx.url
    command = ["mariadb-slap", f"--host={url.host}", f"--port={url.port}", f"--user={url.user}",
               f"--create-schema={url.database}", "--no-drop", "--init-command=CALL bench_reclamar_slot()",
               f"--query={';'.join(statements)}", "--delimiter=;", f"--concurrency={clients}",
               f"--number-of-queries={clients * per_client * len(statements)}", "--iterations=1"]
    if url.password:
        command.append(f"--password={url.password}")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    marker = "Average number of seconds to run all queries:"
    if marker not in done.stdout:
        # Seen once in a full run (cycle, 32 clients): exit status 0 and no timing.
        raise SlapFailed(f"mariadb-slap gave no timing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    seconds = float(done.stdout.split(marker)[1].split()[0])
    ops = clients * per_client
    return {"ops": ops, "seconds": seconds, "rate": ops / seconds if seconds else float("nan"),
            "p50_ms": float("nan"), "p99_ms": float("nan")}


class SlapFailed(RuntimeError):
    """mariadb-slap ended without reporting its timing."""


def slap_rate(pilot: dict[str, Any], main: dict[str, Any]) -> dict[str, Any]:
    """slap's clock includes connecting its N clients and their --init-command; the rate of
    the difference between a long run and a short pilot run cancels that fixed cost."""
    extra_ops = main["ops"] - pilot["ops"]
    extra_s = main["seconds"] - pilot["seconds"]
    if extra_ops > 0 and extra_s > 0:
        return {**main, "rate": extra_ops / extra_s, "rate_including_connect": main["rate"]}
    return {**main, "rate_including_connect": main["rate"]}


def _drain(cur: Any) -> list[Any]:
    rows: list[Any] = []
    while True:
        if cur.with_rows:
            rows = cur.fetchall()
        if not cur.nextset():
            break
    return rows


def run_python(fx: Fixture, workload: str, clients: int, seconds: float) -> dict[str, Any]:
    """One thread and one mysql-connector connection per client, for ``seconds``."""
    conns = [connect(fx.url) for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    bounds: list[float] = []

    def work(i: int) -> None:
        cur = conns[i].cursor()
        cliente, token = fx.heartbeat[i]
        asesor = fx.asesores[i]
        next_id, size = fx.pools[i]
        last_id = next_id + size - 1
        lat = latencies[i]
        barrier.wait()
        deadline = bounds[0]
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            if workload == "heartbeat":
                cur.execute("CALL sp_heartbeat_cliente(%s, %s, %s)", (cliente, asesor, token))
                _drain(cur)
            else:
                if next_id > last_id:
                    break  # pool exhausted: the run ends early for this client
                c = next_id
                next_id += 1
                cur.execute("CALL sp_derivar_cliente(%s, %s, 'gtr')", (c, asesor))
                _drain(cur)
                cur.execute("CALL sp_tomar_cliente(%s, %s)", (c, asesor))
                lock = _drain(cur)[0][0]
                cur.execute("CALL sp_abrir_wizard(%s, %s, %s)", (c, asesor, lock))
                _drain(cur)
                cur.execute("CALL sp_actualizar_cliente(%s, %s, %s, %s)", (c, asesor, lock, UPDATE_JSON))
                _drain(cur)
                cur.execute("CALL sp_completar_wizard(%s, %s, %s)", (c, asesor, lock))
                _drain(cur)
            lat.append(time.perf_counter() - t0)
        cur.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    bounds.append(start + seconds)
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return _summary([x for lat in latencies for x in lat], elapsed)


def _summary(latencies: list[float], elapsed: float) -> dict[str, Any]:
    return {"ops": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed if elapsed else float("nan"),
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


async def _gateway_run(fx: Fixture, base: str, workload: str, clients: int, seconds: float) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    async with aiohttp.ClientSession(connector=connector) as session:
        gtr = {"Authorization": f"Bearer {fx.gtr_token}"}

        async def post(method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
            async with session.request(method, base + path, json=body, headers=headers) as response:
                data = await response.json()
                if response.status >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status} {data}")
                return data

        async def heartbeat(i: int) -> None:
            cliente, token = fx.heartbeat[i]
            await post("POST", f"/api/clientes/{cliente}/heartbeat",
                       {"Authorization": f"Bearer {fx.tokens[i]}"}, {"lockToken": token})

        async def cycle(i: int, c: int) -> None:
            mine = {"Authorization": f"Bearer {fx.tokens[i]}"}
            path = f"/api/clientes/{c}"
            await post("POST", path + "/estatus", gtr, {"tipo": "gtr", "estatus": "derivado",
                                                         "asesorId": fx.asesores[i]})
            lock = (await post("POST", path + "/lock", mine, {}))["lockToken"]
            await post("POST", path + "/open-wizard", mine, {"lockToken": lock})
            await post("PUT", path, mine, {"lockToken": lock, "datos": {"nota": "bench"}})
            await post("POST", path + "/complete-wizard", mine, {"lockToken": lock})

        pools = [list(range(first, first + size)) for first, size in fx.pools[:clients]]
        # Warm-up: open each client's keep-alive connection (not timed).
        await asyncio.gather(*(heartbeat(i) for i in range(clients)))
        deadline = time.perf_counter() + seconds

        async def client(i: int) -> None:
            lat = latencies[i]
            pool = pools[i]
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    return
                if workload == "heartbeat":
                    await heartbeat(i)
                else:
                    if not pool:
                        return
                    await cycle(i, pool.pop(0))
                lat.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - start
    return _summary([x for lat in latencies for x in lat], elapsed)


def run_gateway(fx: Fixture, gw: Any, server_pid: int | None, workload: str, clients: int,
                seconds: float) -> dict[str, Any]:
    cpu = {"gateway": gw.cpu_seconds(), "database": process_cpu_seconds(server_pid) if server_pid else float("nan"),
           "client": time.process_time()}
    result = asyncio.run(_gateway_run(fx, gw.base, workload, clients, seconds))
    ops = max(1, result["ops"])
    result["cpu_ms_per_op"] = {
        "gateway": (gw.cpu_seconds() - cpu["gateway"]) * 1000 / ops,
        "database": ((process_cpu_seconds(server_pid) - cpu["database"]) * 1000 / ops) if server_pid else float("nan"),
        "load generator": (time.process_time() - cpu["client"]) * 1000 / ops,
    }
    return result


def run_wrk(fx: Fixture, gw: Any, server_pid: int | None, workload: str, clients: int,
            seconds: float) -> dict[str, Any]:
    """The gateway driven by ``wrk`` (C, one thread per connection: see
    bench/wrk_transitions.lua), same requests as the aiohttp clients. wrk's latency is per
    request, so a cycle's p50/p99 are left blank."""
    with tempfile.NamedTemporaryFile("w", prefix="bench-wrk-", suffix=".txt") as slots:
        for i in range(clients):
            cliente, lock = fx.heartbeat[i]
            first, size = fx.pools[i]
            slots.write(f"{fx.asesores[i]} {fx.tokens[i]} {cliente} {lock} {first} {size}\n")
        slots.flush()
        env = {**os.environ, "BENCH_WRK_SLOTS": slots.name, "BENCH_WRK_WORKLOAD": workload,
               "BENCH_WRK_GTR_TOKEN": fx.gtr_token}
        command = ["wrk", f"--threads={clients}", f"--connections={clients}", f"--duration={max(1, round(seconds))}s",
                   "--timeout=30s", f"--script={WRK_SCRIPT}", gw.base]
        cpu = {"gateway": gw.cpu_seconds(), "database": process_cpu_seconds(server_pid) if server_pid else float("nan"),
               "client": _children_cpu_seconds()}
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
        client_cpu = _children_cpu_seconds() - cpu["client"]
    line = next(x for x in reversed(out.splitlines()) if x.startswith("{"))
    got = json.loads(line)
    if got["failed"] or got["socket_errors"]:
        raise RuntimeError(f"wrk {workload} x{clients}: {got}\n{out}")
    elapsed = got["duration_us"] / 1e6
    ops = got["requests"] if workload == "heartbeat" else got["cycles"]
    cycle = workload != "heartbeat"
    result = {"ops": ops, "seconds": elapsed, "rate": ops / elapsed if elapsed else float("nan"),
              "p50_ms": float("nan") if cycle else got["p50_us"] / 1000,
              "p99_ms": float("nan") if cycle else got["p99_us"] / 1000}
    n = max(1, ops)
    result["cpu_ms_per_op"] = {
        "gateway": (gw.cpu_seconds() - cpu["gateway"]) * 1000 / n,
        "database": ((process_cpu_seconds(server_pid) - cpu["database"]) * 1000 / n) if server_pid else float("nan"),
        "load generator": client_cpu * 1000 / n,
    }
    return result


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_pid(url: DatabaseUrl) -> int | None:
    """The database server's pid when it runs on this machine (for its CPU time)."""
    if url.host not in ("127.0.0.1", "localhost", "::1"):
        return None
    conn = connect(url)
    try:
        ((pid_file,),) = execute(conn, "SELECT @@pid_file")
        return int(Path(str(pid_file)).read_text().strip())
    except (OSError, ValueError):
        return None
    finally:
        conn.close()


# --- the benchmark ------------------------------------------------------------------------

def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    report = Report(NAME, "Benchmark 1: transitions throughput and latency", mode, run_metadata(mode))
    levels: list[int] = cfg["levels"]
    runs: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    # wrk is installed by `make bench` (Debian's package); without it the run goes on without
    # that method and says so.
    methods = METHODS if shutil.which("wrk") else METHODS[:3]
    if WRK not in methods:
        report.notes.append("`wrk` is not installed (make bench installs it): the gateway was driven by the "
                            "aiohttp client only.")
    # A private server: 128 Python connections plus the gateway's would not fit in the shared
    # server's max_connections (151) beside other engineers' tests.
    with private_server(NAME, f"--max-connections={MAX_CONNECTIONS}") as base, \
            throwaway_database(NAME, base) as url:
        log(f"transitions: preparing {max(levels)} client slots on a private server ({base.port})")
        fx = Fixture(url, max(levels), cfg["pool_budget"])
        spid = server_pid(url)
        conn = connect(url)
        try:
            with running_gateway(url) as gw:
                for workload in WORKLOADS:
                    for clients in levels:
                        # slap runs a fixed count: size it from a short pilot to last ~seconds.
                        fx.reset(conn)
                        pilot = run_slap(fx, workload, clients, 3 if workload == "cycle" else 20)
                        for r in range(cfg["repeats"]):
                            k = r % len(methods)  # rotate who goes first
                            order = methods[k:] + methods[:k]
                            for method in order:
                                fx.reset(conn)
                                if method == SLAP:
                                    per_client = max(3, int(pilot["rate"] * cfg["seconds"] / clients))
                                    try:
                                        res = slap_rate(pilot, run_slap(fx, workload, clients, per_client))
                                    except SlapFailed as exc:
                                        # Once more from a clean fixture (the failed run may have
                                        # claimed slots and used customers), then give up.
                                        log(f"transitions: {exc}; running mariadb-slap again")
                                        fx.reset(conn)
                                        res = slap_rate(pilot, run_slap(fx, workload, clients, per_client))
                                elif method == PY:
                                    res = run_python(fx, workload, clients, cfg["seconds"])
                                elif method == GW:
                                    res = run_gateway(fx, gw, spid, workload, clients, cfg["seconds"])
                                else:
                                    res = run_wrk(fx, gw, spid, workload, clients, cfg["seconds"])
                                runs.setdefault((workload, clients, method), []).append(res)
                        rates = {m: median([x["rate"] for x in runs[(workload, clients, m)]]) for m in methods}
                        line = ", ".join(f"{m} {v:.0f}/s" for m, v in rates.items())
                        log(f"transitions: {workload} x{clients}: {line}")
                gateway_rss = gw.rss_mib()
                # Where the gateway's CPU goes: a separate, unmeasured run under py-spy.
                profiles: dict[str, Any] = {}
                at = 32 if 32 in levels else max(levels)
                for workload in WORKLOADS:
                    fx.reset(conn)
                    with Sampler(gw.pid) as sampler:
                        run_gateway(fx, gw, spid, workload, at, cfg["seconds"])
                    profiles[workload] = sampler.summary()
        finally:
            conn.close()

    # The gateway inherits this process's environment: a SEGUIMIENTO_* setting given to the
    # benchmark (e.g. SEGUIMIENTO_POOL_SIZE=32) is the gateway's, and the report names it.
    # Only the gateway's own settings, never its database URL (it may hold a password).
    given = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("SEGUIMIENTO_")
                   and k[len("SEGUIMIENTO_"):].lower() in set(Settings.model_fields) - {"database_url"})
    gateway_settings = ("default settings (pool 10)" if not given
                        else "default settings except " + ", ".join(f"`{x}`" for x in given))
    rows = []
    results = []
    for workload in WORKLOADS:
        for clients in levels:
            c_rate = median([x["rate"] for x in runs[(workload, clients, SLAP)]])
            for method in methods:
                rs = runs[(workload, clients, method)]
                entry = {"workload": workload, "clients": clients, "method": method,
                         "rate": median([x["rate"] for x in rs]), "p50_ms": median([x["p50_ms"] for x in rs]),
                         "p99_ms": median([x["p99_ms"] for x in rs]), "ops": [x["ops"] for x in rs],
                         "rates": [x["rate"] for x in rs]}
                entry["ratio_to_c"] = ratio(entry["rate"], c_rate)
                if method in (GW, WRK):
                    entry["cpu_ms_per_op"] = {k: median([x["cpu_ms_per_op"][k] for x in rs])
                                              for k in rs[0]["cpu_ms_per_op"]}
                results.append(entry)
                rows.append([workload, clients, method, entry["rate"], entry["p50_ms"], entry["p99_ms"],
                             entry["ratio_to_c"]])
    report.summary = (
        f"Same procedure calls {len(methods)} ways, same database, same run; every figure the median of "
        f"{cfg['repeats']} runs of ~{cfg['seconds']:g} s, the methods alternating. Rates are operations/s: "
        "heartbeats, or whole cycles (5 transitions). Ratio = method ÷ C client (mariadb-slap) at the same "
        "concurrency. "
        f"Gateway: `seguimiento serve` with {gateway_settings}, RSS after the runs {gateway_rss:.0f} MiB. "
        "The load generator (aiohttp / wrk / threads), the gateway and MariaDB share the 2 cores. wrk runs one "
        "thread per connection (its Lua state is per thread) and reports latency per request, so its cycle "
        "p50/p99 are blank. The database is a "
        f"private MariaDB server started by gateway/db/embedded.py (same binary and defaults as the local one: "
        f"128 MiB buffer pool, a log flush per commit) with max_connections = {MAX_CONNECTIONS}: 128 Python "
        "connections plus the gateway's do not fit in the shared server's 151 beside other engineers' tests.")
    report.table("Throughput and latency", ["workload", "clients", "method", "ops/s", "p50 ms", "p99 ms",
                                            "÷ C client"], rows,
                 note="mariadb-slap reports no per-call latency, wrk none per cycle (blank). Cycle latency is one "
                      "whole cycle.")
    cpu_rows = [[e["workload"], e["clients"], e["method"], e["cpu_ms_per_op"]["gateway"],
                 e["cpu_ms_per_op"]["database"], e["cpu_ms_per_op"]["load generator"]]
                for e in results if e["method"] in (GW, WRK)]
    report.table("Where the gateway runs' CPU goes (ms of CPU per operation, median)",
                 ["workload", "clients", "driven by", "gateway process", "database server", "load generator"],
                 cpu_rows,
                 note="From /proc CPU counters around each gateway run. With 2 cores, ops/s cannot exceed "
                      "2000 / (sum of the three) - and the database server is shared with other engineers' tests.")
    at = 32 if 32 in levels else max(levels)
    for workload in WORKLOADS:
        for method, how in ((GW, ""), (WRK, " (driven by wrk)")):
            if method not in methods:
                continue
            e = next(x for x in results
                     if x["workload"] == workload and x["clients"] == at and x["method"] == method)
            report.target(f"gateway ÷ C client, {workload}, {at} clients{how}", ">= 0.60",
                          f"{e['ratio_to_c']:.2f}", e["ratio_to_c"] >= 0.6 if at == 32 else None,
                          f"gateway {e['rate']:.0f}/s vs C client "
                          f"{median([x['rate'] for x in runs[(workload, at, SLAP)]]):.0f}/s")
    for workload, prof in profiles.items():
        if prof is None:
            report.notes.append(f"No py-spy profile of the gateway ({workload}): py-spy is not installed "
                                "(make bench installs it).")
            continue
        report.table(f"Gateway CPU profile, {workload} at {at} clients (py-spy, share of busy samples)",
                     ["where (leaf frame's library)", "share"], [[a, f"{x:.0%}"] for a, x in prof["areas"]],
                     note="Top functions by self time: "
                     + "; ".join(f"`{f}` {x:.0%}" for f, x in prof["functions"][:8]))
    report.data = {"config": cfg, "results": results, "gateway_rss_mib": gateway_rss, "profiles": profiles,
                   "raw": {f"{w}|{c}|{m}": v for (w, c, m), v in runs.items()}}

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, workload in zip(axes, WORKLOADS, strict=True):
            for method, marker in zip(methods, "os^d", strict=False):
                sel = [e for e in results if e["workload"] == workload and e["method"] == method]
                ax.plot([e["clients"] for e in sel], [e["rate"] for e in sel], marker + "-", label=method)
            ax.set_xscale("log", base=2)
            ax.set_xticks(levels, [str(x) for x in levels])
            ax.set_xlabel("concurrent clients")
            ax.set_ylabel("cycles/s" if workload == "cycle" else "heartbeats/s")
            ax.set_title(f"{workload}: throughput (median)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
        save_plot(report, fig, out, f"{NAME}.png")
        plt.close(fig)
    return report
