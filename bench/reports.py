"""Benchmark 6: the supervisor's desk reports and wallboard at scale (issue 14).

Target: with 1M customers and 5M history rows, each report answers in <= 1 s. The fixture
(full mode) is 1M customers over 90 days, 200 asesores, five history rows each:

* 80%: cargado, asignado, wizard_abierto, datos_actualizados, wizard_completado;
* 20%: cargado, asignado, timeout_no_gestionado, asignado (again), wizard_abierto;

spread over N_CAMPANAS campaigns (sp_reporte_campanas splits speed to lead by campaign).

Durations are spread (time to open 5 s to ~30 min, handling 1 to ~40 min). In ``clientes``
2,000 customers are live (derivado/en_gestion, for the wallboard) and the rest terminado, as a
floor's table looks at the end of a shift (the history of the 20% ends in an opening; the
wallboard reads the table, the reports the history). Each history row's outbox_id is
its own id and the outbox sequence stands at the last one, as if the events had been purged:
the summaries follow outbox ids and read no outbox row. The fixture is written with direct
table writes (INSERT ... SELECT from a numbers table): a benchmark fixture, not application code.

Measured, medians over repeats: the backfill (sp_resumir_historial until nothing is left:
what an upgrade costs once), each report over 1, 7, 31 and 90 days for every asesor and for
one, the report after 1,000 new history rows it must fold in first, and the wallboard. The
baseline: v_asesor_diario for one day (it reads the whole history), once, in the same run.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import mysql.connector

from bench.common import Report, connect, execute, log, median, run_metadata, throwaway_database, timer
from toolkit.db import call

NAME = "reports"
N_ASESORES = 200
N_CAMPANAS = 5  # customer i is in campaign 1 + i % N_CAMPANAS
DAYS = 90
START = datetime(2026, 1, 1)

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"clientes": 2_000, "repeats": 2, "baseline": True},
    "short": {"clientes": 100_000, "repeats": 5, "baseline": True},
    "full": {"clientes": 1_000_000, "repeats": 9, "baseline": True},
}
RANGES = (1, 7, 31, 90)
TAIL = 1_000  # new history rows a report folds in before reading
BASELINE_LIMIT_S = 60


def _numbers(conn: Any) -> None:
    execute(conn, "DROP TABLE IF EXISTS bench_seq")
    execute(conn, "CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB")
    digits = " UNION ALL ".join(f"SELECT {d} d" for d in range(10))
    execute(conn, f"INSERT INTO bench_seq (n) SELECT a.d + 10 * b.d + 100 * c.d FROM ({digits}) a "
                  f"CROSS JOIN ({digits}) b CROSS JOIN ({digits}) c")


def load_fixture(conn: Any, n: int) -> None:
    """n customers and 5 n history rows over DAYS days (see the module's docstring)."""
    execute(conn, "SET SESSION foreign_key_checks = 0, unique_checks = 0")
    for table in ("clientes_historial", "outbox", "clientes", "reporte_asesor_hora", "reporte_tiempos",
                  "reporte_tiempos_dia"):
        execute(conn, f"TRUNCATE TABLE {table}")
    _numbers(conn)
    execute(conn, "DELETE FROM api_tokens")
    execute(conn, "DELETE FROM asesores")
    execute(conn, "INSERT INTO asesores (id, nombre, activo, created_at) "
                  f"SELECT n + 1, CONCAT('Asesor ', n + 1), 1, '{START}' FROM bench_seq WHERE n < {N_ASESORES}")
    execute(conn, "DELETE FROM campanas WHERE id > 1")
    execute(conn, "INSERT INTO campanas (id, nombre, created_at, updated_at) "
                  f"SELECT n + 1, CONCAT('Campaña ', n + 1), '{START}', '{START}' FROM bench_seq "
                  f"WHERE n BETWEEN 1 AND {N_CAMPANAS - 1}")
    span = DAYS * 86400
    chunk = 100_000
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        # Per customer i: t0 its load, a its asesor, o seconds to open, h seconds of handling.
        base = (f"SELECT i, '{START}' + INTERVAL (i * {span} DIV {n}) SECOND AS t0, 1 + i % {N_ASESORES} AS a, "
                f"5 + (i * 7919) % 1800 AS o, 60 + (i * 104729) % 2400 AS h, i % 5 = 4 AS vuelto "
                f"FROM (SELECT {lo} + x.n * 1000 + y.n AS i FROM bench_seq x CROSS JOIN bench_seq y "
                f"WHERE x.n < {(hi - lo + 999) // 1000}) s WHERE i < {hi}")
        live = f"i % {max(1, n // 2000)} = 0"
        execute(conn, f"""
            INSERT INTO clientes (id, nombre, telefono, seguimiento_status, asesor_asignado, created_at,
                                  derivado_at, opened_at, last_activity, wizard_completado, updated_at, campana_id)
            SELECT i + 1, CONCAT('Cliente ', i), CONCAT('9', LPAD(i, 8, '0')),
                   CASE WHEN {live} THEN IF(i % 2 = 0, 'derivado', 'en_gestion') ELSE 'terminado' END,
                   IF({live}, a, NULL), t0, t0 + INTERVAL 10 SECOND, NULL,
                   IF({live}, UTC_TIMESTAMP(6) - INTERVAL (i % 280) SECOND, NULL),
                   IF({live} OR vuelto, 0, 1), t0 + INTERVAL (o + h) SECOND, 1 + i % {N_CAMPANAS}
              FROM ({base}) f""")
        # Five rows per customer; outbox_id = id.
        rows = [
            ("1", "NULL", "'nuevo'", "NULL", "NULL", "'gtr'", "'cargado'", "0"),
            ("2", "'nuevo'", "'derivado'", "a", "NULL", "'gtr'", "'asignado'", "10"),
            ("3", "'derivado'", "IF(vuelto, 'no_gestionado', 'en_gestion')", "IF(vuelto, NULL, a)",
             "IF(vuelto, a, NULL)", "IF(vuelto, 'system', 'asesor')",
             "IF(vuelto, 'timeout_no_gestionado', 'wizard_abierto')", "IF(vuelto, 310, 10 + o)"),
            ("4", "IF(vuelto, 'no_gestionado', 'en_gestion')", "IF(vuelto, 'derivado', 'en_gestion')",
             "IF(vuelto, 1 + (a % 200), a)", "NULL", "IF(vuelto, 'gtr', 'asesor')",
             "IF(vuelto, 'asignado', 'datos_actualizados')", "IF(vuelto, 400, 10 + o + h DIV 2)"),
            ("5", "IF(vuelto, 'derivado', 'en_gestion')", "IF(vuelto, 'en_gestion', 'terminado')",
             "IF(vuelto, 1 + (a % 200), a)", "NULL", "'asesor'",
             "IF(vuelto, 'wizard_abierto', 'wizard_completado')", "IF(vuelto, 400 + o, 10 + o + h)"),
        ]
        for k, prev, new, asesor, previous, actor, motivo, secs in rows:
            # One kind of row per statement: no large UNION in a temporary table.
            execute(conn, f"""
                INSERT INTO clientes_historial (id, cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                                asesor_anterior_id, actor, motivo, outbox_id, created_at)
                SELECT i * 5 + {k}, i + 1, {prev}, {new}, {asesor}, {previous}, {actor}, {motivo}, i * 5 + {k},
                       t0 + INTERVAL ({secs}) SECOND
                  FROM ({base}) f""")
        log(f"reports: loaded {hi:,} clientes")
    ((last,),) = execute(conn, "SELECT MAX(id) FROM clientes_historial")
    execute(conn, "UPDATE outbox_secuencia SET ultimo_id = %s WHERE id = 1", (last,))
    execute(conn, "UPDATE reporte_progreso SET ultimo_outbox_id = 0 WHERE id = 1")
    execute(conn, "SET SESSION foreign_key_checks = 1, unique_checks = 1")
    execute(conn, "ANALYZE TABLE clientes, clientes_historial")


def backfill(conn: Any) -> tuple[float, int]:
    """sp_resumir_historial until nothing is pending: seconds and history rows read."""
    total = 0
    with timer() as t:
        while True:
            (folded,) = call(conn, "sp_resumir_historial")[0]
            resumidos, omitido, pendientes = folded["resumidos"], folded["omitido"], folded["pendientes"]
            assert omitido == 0
            total += int(resumidos)
            if pendientes == 0:
                break
    execute(conn, "ANALYZE TABLE reporte_asesor_hora, reporte_tiempos, reporte_tiempos_dia")
    return t[0], total


def add_tail(conn: Any, rows: int) -> None:
    """``rows`` new history rows (assignments and completions at the end of the range), with
    outbox ids above the summary's, as the procedures would have written them."""
    ((last,),) = execute(conn, "SELECT ultimo_id FROM outbox_secuencia WHERE id = 1")
    ((hist,),) = execute(conn, "SELECT MAX(id) FROM clientes_historial")
    end = START + timedelta(days=DAYS) - timedelta(hours=1)
    execute(conn, f"""
        INSERT INTO clientes_historial (id, cliente_id, estado_anterior, estado_nuevo, asesor_id, asesor_anterior_id,
                                        actor, motivo, outbox_id, created_at)
        SELECT {hist} + 1 + i, 1 + i, 'nuevo', 'derivado', 1 + i % {N_ASESORES}, NULL, 'gtr', 'asignado',
               {last} + 1 + i, '{end}' + INTERVAL i SECOND
          FROM (SELECT x.n * 1000 + y.n AS i FROM bench_seq x CROSS JOIN bench_seq y WHERE x.n < {rows // 1000 + 1}) s
         WHERE i < {rows}""")
    execute(conn, "UPDATE outbox_secuencia SET ultimo_id = %s WHERE id = 1", (last + rows,))


def timed(conn: Any, repeats: int, procedure: str, *args: Any) -> tuple[float, list[float], int]:
    """Median ms of ``repeats`` calls, every time, and the rows of the first result set."""
    times = []
    rows = 0
    for _ in range(repeats):
        with timer() as t:
            sets = call(conn, procedure, *args)
        times.append(t[0] * 1000)
        rows = len(sets[0]) if sets else 0
    return median(times), times, rows


def _measure(conn: Any, cfg: dict[str, Any], data: dict[str, Any]) -> None:
    n = cfg["clientes"]
    log(f"reports: loading {n:,} clientes, {5 * n:,} history rows")
    with timer() as t_load:
        load_fixture(conn, n)
    data["load_s"] = t_load[0]
    seconds, resumidos = backfill(conn)
    data["backfill"] = {"seconds": seconds, "history_rows": 5 * n, "rows_read": resumidos,
                        "rows_per_s": 5 * n / seconds if seconds else None}
    log(f"reports: backfill of {5 * n:,} history rows in {seconds:.1f} s")
    end = START + timedelta(days=DAYS)
    results = []
    for days in RANGES:
        desde = end - timedelta(days=days)
        for asesor in (None, 7):
            for procedure, extra in (("sp_reporte_asesores", ()), ("sp_reporte_por_hora", ()),
                                     ("sp_reporte_velocidad", (None,)), ("sp_reporte_campanas", (None, None))):
                try:
                    ms, all_ms, rows = timed(conn, cfg["repeats"], procedure, desde, end, asesor, *extra)
                    error = None
                except mysql.connector.Error as exc:
                    # Seen on the shared test machine: another process's private server, started
                    # with tmpdir /tmp, deletes the on-disk temporary table a long range's sort
                    # spilled to (error 6). Recorded as a failed case, not a lost run.
                    ms, all_ms, rows, error = float("inf"), [], 0, f"{exc.errno}: {exc.msg}"
                results.append({"procedure": procedure, "days": days, "asesor": "all" if asesor is None else "one",
                                "ms": ms, "ms_all": all_ms, "rows": rows, "error": error})
                log(f"reports: {procedure} {days} d {'all' if asesor is None else 'one'}: {ms:.1f} ms {error or ''}")
    data["results"] = results
    # The wallboard.
    ms, all_ms, _ = timed(conn, cfg["repeats"] * 3, "sp_tablero", 60, 20)
    data["tablero"] = {"ms": ms, "ms_all": all_ms}
    # A report that first folds in TAIL new history rows (the event had not run yet).
    tail_ms = []
    fold_ms = []
    for _ in range(cfg["repeats"]):
        add_tail(conn, TAIL)
        with timer() as t:
            call(conn, "sp_reporte_asesores", end - timedelta(days=1), end, None)
        tail_ms.append(t[0] * 1000)
        add_tail(conn, TAIL)
        with timer() as t:
            call(conn, "sp_resumir_historial")
        fold_ms.append(t[0] * 1000)
    data["tail"] = {"rows": TAIL, "ms": median(tail_ms), "ms_all": tail_ms,
                    "fold_ms": median(fold_ms), "fold_ms_all": fold_ms}
    if cfg["baseline"]:
        day = (end - timedelta(days=1)).date()
        # The view reads the whole history: stop it after BASELINE_LIMIT_S (MariaDB's
        # max_statement_time, MySQL's max_execution_time) and report "over" that.
        for setting in (f"SET SESSION max_statement_time = {BASELINE_LIMIT_S}",
                        f"SET SESSION max_execution_time = {BASELINE_LIMIT_S * 1000}"):
            with contextlib.suppress(mysql.connector.Error):  # the other engine's variable
                execute(conn, setting)
        try:
            with timer() as t:
                execute(conn, "SELECT * FROM v_asesor_diario WHERE dia = %s", (day,))
            data["baseline_view_ms"] = t[0] * 1000
        except Exception as exc:
            data["baseline_view_ms"] = None
            data["baseline_view_note"] = f"stopped after {BASELINE_LIMIT_S} s ({exc.__class__.__name__})"
        log(f"reports: v_asesor_diario for one day: {data['baseline_view_ms']} ms")


def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    report = Report(NAME, "Benchmark 6: the desk's reports and wallboard at scale", mode, run_metadata(mode))
    data: dict[str, Any] = {"config": cfg}
    with throwaway_database(NAME) as url:
        conn = connect(url)
        try:
            _measure(conn, cfg, data)
        finally:
            conn.close()
    report.data = data
    n = cfg["clientes"]
    report.summary = (
        f"{n:,} customers and {5 * n:,} history rows over {DAYS} days, {N_ASESORES} asesores. Each report is one "
        f"CALL from a Python client ({report.meta['connector']['path']} connector), median of {cfg['repeats']} "
        "repeats; the range ends at the fixture's last hour. *one* = asesor 7 only.")
    by = {(r["procedure"], r["days"], r["asesor"]): r for r in data["results"]}
    errors = [f"{r['procedure']} {r['days']} d {r['asesor']}: {r['error']}" for r in data["results"] if r["error"]]
    report.table("Report time (ms, median)", ["days", "asesores", "sp_reporte_asesores", "sp_reporte_por_hora",
                                              "sp_reporte_velocidad", "sp_reporte_campanas"],
                 [[d, who, by["sp_reporte_asesores", d, who]["ms"], by["sp_reporte_por_hora", d, who]["ms"],
                   by["sp_reporte_velocidad", d, who]["ms"], by["sp_reporte_campanas", d, who]["ms"]]
                  for d in RANGES for who in ("all", "one")],
                 note=("inf: the case failed: " + "; ".join(errors)) if errors else "")
    b = data["backfill"]
    rows = [["backfill: sp_resumir_historial until nothing pending (once)", b["seconds"] * 1000,
             f"{b['history_rows']:,} history rows, {b['rows_per_s'] or 0:,.0f} rows/s"],
            ["sp_tablero (wallboard)", data["tablero"]["ms"], "median of "
             f"{len(data['tablero']['ms_all'])}"],
            [f"sp_reporte_asesores, 1 day, after {TAIL:,} new history rows", data["tail"]["ms"],
             "includes folding them in"],
            [f"sp_resumir_historial folding {TAIL:,} new history rows", data["tail"]["fold_ms"],
             "what the event does every 10 s"],
            ["fixture load (once)", data["load_s"] * 1000, ""]]
    if "baseline_view_ms" in data:
        rows.append(["baseline: SELECT * FROM v_asesor_diario WHERE dia = <last day> (once)",
                     data["baseline_view_ms"] if data["baseline_view_ms"] is not None
                     else f">{BASELINE_LIMIT_S * 1000}",
                     data.get("baseline_view_note", "reads the whole history")])
    report.table("Other figures (ms)", ["what", "ms", "note"], rows)
    full = n >= 1_000_000
    worst = max(r["ms"] for r in data["results"] if r["days"] <= 31)
    report.target(f"every report, ranges up to 31 days, at {n:,} customers / {5 * n:,} history rows", "<= 1000 ms",
                  f"{worst:.0f} ms (slowest)", worst <= 1000 if full else None,
                  "" if full else "the 1M-customer case runs in full mode only")
    worst90 = max(r["ms"] for r in data["results"])
    report.target(f"every report, the whole {DAYS} days", "<= 1000 ms", f"{worst90:.0f} ms (slowest)",
                  worst90 <= 1000 if full else None)
    report.target("wallboard (sp_tablero)", "<= 50 ms", f"{data['tablero']['ms']:.1f} ms",
                  data["tablero"]["ms"] <= 50 if full else None)
    return report
