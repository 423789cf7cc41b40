"""Benchmark 5: bulk import of a CSV against single ``sp_cargar_cliente`` calls.

* **import**: the path of ``seguimiento import`` - ``gateway.db.importing.run_import`` parsing
  the CSV and ``gateway.db.importing.load_with`` calling ``sp_importar_lote`` through the
  procedure catalogue (``gateway.db.procedures.importar_lote``), 5,000 rows per batch and
  transaction. Timed from the CSV bytes to the last batch committed, parsing included.
* **single calls, Python**: one ``CALL sp_cargar_cliente(nombre, telefono, datos)`` per
  row from mysql-connector-python on one connection (each its own transaction).
* **single calls, C client**: the same CALLs as a SQL script piped into the ``mariadb``
  command-line client: what single calls cost without Python in the way.

Every repeat starts from empty tables (TRUNCATE), so each loads the same rows into the
same state. Methods alternate within a repeat. Where single calls are timed on a sample
(short and smoke modes), the rate is extrapolated to the file's size and labelled so.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    connect,
    execute,
    log,
    median,
    ratio,
    run_metadata,
    throwaway_database,
    timer,
)
from gateway.db.dburl import DatabaseUrl
from gateway.db.importing import BATCH_SIZE, Batch, load_with, run_import
from gateway.db.pool import Database
from gateway.db.rows import LoteImportado

NAME = "import"

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"rows": 2_000, "single_rows": 300, "c_rows": 300, "repeats": 1},
    "short": {"rows": 20_000, "single_rows": 2_000, "c_rows": 2_000, "repeats": 3},
    "full": {"rows": 100_000, "single_rows": 100_000, "c_rows": 20_000, "repeats": 3},
}


def make_csv(n: int) -> bytes:
    """A lead file: nombre, telefono (unique), and two columns that go into datos."""
    products = ("fibra", "movil", "tv", "pack")
    cities = ("Lima", "Arequipa", "Cusco", "Trujillo", "Piura")
    lines = ["nombre,telefono,producto,ciudad"]
    lines += [f"Cliente {i},+51 9{i:08d},{products[i % 4]},{cities[i % 5]}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def rows_of(n: int) -> list[tuple[str, str, str]]:
    """The same rows as make_csv, as sp_cargar_cliente arguments."""
    products = ("fibra", "movil", "tv", "pack")
    cities = ("Lima", "Arequipa", "Cusco", "Trujillo", "Piura")
    return [(f"Cliente {i}", f"+51 9{i:08d}",
             json.dumps({"producto": products[i % 4], "ciudad": cities[i % 5]}, ensure_ascii=False))
            for i in range(n)]


def empty_tables(conn: Any) -> None:
    for table in ("clientes_historial", "outbox", "importaciones", "clientes"):
        execute(conn, f"TRUNCATE TABLE {table}")


def count_clientes(conn: Any) -> int:
    ((n,),) = execute(conn, "SELECT COUNT(*) FROM clientes")
    return int(n)


async def _bulk(url: DatabaseUrl, data: bytes, skip_duplicates: bool) -> tuple[float, float, int]:
    """The import path: total seconds, seconds inside sp_importar_lote calls, rows loaded."""
    db = Database(url, size=1)
    in_db = 0.0
    try:
        load = load_with(db, "bench.csv", skip_duplicates)

        async def timed(batch: Batch) -> LoteImportado:
            nonlocal in_db
            started = time.perf_counter()
            try:
                return await load(batch)
            finally:
                in_db += time.perf_counter() - started

        started = time.perf_counter()
        report = await run_import(data, timed, batch_size=BATCH_SIZE)
        total = time.perf_counter() - started
    finally:
        await db.close()
    return total, in_db, report.cargados


def single_python(url: DatabaseUrl, rows: list[tuple[str, str, str]]) -> tuple[float, float]:
    """One CALL per row: wall seconds and this process's CPU seconds."""
    conn = connect(url)
    try:
        cur = conn.cursor()
        cpu0 = time.process_time()
        with timer() as t:
            for row in rows:
                cur.execute("CALL sp_cargar_cliente(%s, %s, %s)", row)
                while True:
                    if cur.with_rows:
                        cur.fetchall()
                    if not cur.nextset():
                        break
        cpu = time.process_time() - cpu0
        cur.close()
    finally:
        conn.close()
    return t[0], cpu


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def single_c_client(url: DatabaseUrl, rows: list[tuple[str, str, str]], script: Path) -> float:
    """The same CALLs piped into the mariadb/mysql command-line client."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        return float("nan")
    with script.open("w") as f:
        for nombre, telefono, datos in rows:
            f.write(f"CALL sp_cargar_cliente({_sql_string(nombre)}, {_sql_string(telefono)}, "
                    f"{_sql_string(datos)});\n")
    command = [client, f"--host={url.host}", f"--port={url.port}", f"--user={url.user}", "--silent",
               url.database]
    if url.password:
        command.insert(1, f"--password={url.password}")
    with script.open("rb") as stdin, timer() as t:
        subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
    return t[0]


def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    report = Report(NAME, "Benchmark 5: bulk import against single calls", mode, run_metadata(mode))
    n = cfg["rows"]
    data = make_csv(n)
    single_rows = rows_of(cfg["single_rows"])
    c_rows = rows_of(cfg["c_rows"])
    script = Path("/tmp") / f"bench_import_{time.time_ns()}.sql"
    m: dict[str, list[float]] = {k: [] for k in ("bulk", "bulk_db", "bulk_skip", "single", "single_cpu", "c")}
    with throwaway_database(NAME) as url:
        conn = connect(url)
        try:
            for r in range(cfg["repeats"]):
                empty_tables(conn)
                total, in_db, loaded = asyncio.run(_bulk(url, data, False))
                assert loaded == n and count_clientes(conn) == n, (loaded, n)
                m["bulk"].append(total)
                m["bulk_db"].append(in_db)
                empty_tables(conn)
                total, _, loaded = asyncio.run(_bulk(url, data, True))
                assert loaded == n, (loaded, n)
                m["bulk_skip"].append(total)
                empty_tables(conn)
                wall, cpu = single_python(url, single_rows)
                assert count_clientes(conn) == len(single_rows)
                m["single"].append(wall)
                m["single_cpu"].append(cpu)
                empty_tables(conn)
                c = single_c_client(url, c_rows, script)
                assert count_clientes(conn) == len(c_rows)
                m["c"].append(c)
                log(f"import: repeat {r + 1}: import {m['bulk'][-1]:.2f} s, with duplicate check "
                    f"{m['bulk_skip'][-1]:.2f} s, {len(single_rows):,} single calls (Python) {wall:.1f} s, "
                    f"{len(c_rows):,} single calls (C client) {c:.1f} s")
        finally:
            conn.close()
            script.unlink(missing_ok=True)

    bulk = median(m["bulk"])
    bulk_db = median(m["bulk_db"])
    bulk_skip = median(m["bulk_skip"])
    single = median(m["single"])
    single_cpu = median(m["single_cpu"])
    c = median(m["c"])
    single_rate = len(single_rows) / single
    c_rate = len(c_rows) / c
    single_est = n / single_rate
    c_est = n / c_rate
    sampled = len(single_rows) < n
    est = " (extrapolated)" if sampled else ""
    c_est_label = " (extrapolated)" if len(c_rows) < n else ""

    timed = []
    for label, rows_timed in (("Python", len(single_rows)), ("the C client", len(c_rows))):
        timed.append(f"all {n:,} single calls from {label} were measured" if rows_timed >= n else
                     f"single calls from {label} were timed on {rows_timed:,} rows and extrapolated linearly to "
                     f"{n:,} (labelled *extrapolated*)")
    report.summary = (
        f"{n:,}-row CSV (nombre, telefono, 2 columns into datos) loaded through the import path against one "
        f"`CALL sp_cargar_cliente` per row. Medians of {cfg['repeats']} repeats, methods alternating, each from "
        f"empty tables. {'; '.join(timed).capitalize()}.")
    report.table(
        f"Loading {n:,} rows",
        ["method", "rows timed", f"time for {n:,} rows (s)", "rows/s", "speed-up of the import"],
        [
            ["import (run_import + sp_importar_lote, 5,000-row batches)", n, bulk, n / bulk, 1.0],
            ["import with duplicate check (--skip-duplicates)", n, bulk_skip, n / bulk_skip, ratio(bulk, bulk_skip)],
            [f"single CALL sp_cargar_cliente, Python{est}", len(single_rows), single_est, single_rate,
             ratio(single_est, bulk)],
            [f"single CALL sp_cargar_cliente, mariadb C client{c_est_label}", len(c_rows), c_est, c_rate,
             ratio(c_est, bulk)],
        ],
        note="*speed-up of the import*: time of the method ÷ time of the import (same run, same rows).")
    report.table(
        "Where the time goes",
        ["part", "seconds (median)", "share"],
        [
            ["import: inside sp_importar_lote calls (server + connector)", bulk_db, bulk_db / bulk],
            ["import: CSV parsing, JSON batching, hashing (Python)", bulk - bulk_db, (bulk - bulk_db) / bulk],
            [f"single calls: Python CPU (connector, pure) for {len(single_rows):,} calls", single_cpu,
             single_cpu / single],
            [f"single calls: waiting on the server for {len(single_rows):,} calls", single - single_cpu,
             (single - single_cpu) / single],
        ],
        note="Import parts from timing each batch's call; single-call parts from this process's CPU time "
             "(time.process_time) against wall time.")
    full_size = n >= 100_000
    report.target(f"import of {n:,} rows", "<= 5 s for 100k rows", f"{bulk:.2f} s",
                  bulk <= 5.0 if full_size else None, "" if full_size else "100k rows run in full mode only")
    report.target("import vs single calls (Python)", ">= 20x", f"{ratio(single_est, bulk):.1f}x{est}",
                  ratio(single_est, bulk) >= 20 if full_size else None,
                  f"vs single calls from the C client: {ratio(c_est, bulk):.1f}x{c_est_label}")
    report.data = {"config": cfg, "rows": n, "raw_seconds": m,
                   "median_seconds": {"import": bulk, "import_in_db": bulk_db, "import_skip_duplicates": bulk_skip,
                                      "single_python_timed": single, "single_python_cpu": single_cpu,
                                      "single_c_timed": c},
                   "single_python_estimate_s": single_est, "single_c_estimate_s": c_est,
                   "extrapolated": sampled}
    return report
