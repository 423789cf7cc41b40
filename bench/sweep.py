"""Benchmark 3: the timeout sweep at scale, against the seed's row-by-row worker.

``clientes`` holds N rows (100k and 1M in full mode), of which 10k are active (derivado or
en_gestion, spread over the whole id range) and 0 or 1k are expired. We time one
``CALL sp_barrido_seguimiento()`` and, on the same data in the same run, the seed's
algorithm from a Python client: SELECT the expired rows, then one UPDATE per row. The
worker comes in two flavours:

* **row-by-row, UPDATE only** - exactly the seed's worker: autocommit UPDATEs, no history,
  no event.
* **row-by-row, fair** - per row, one transaction doing what the sweep does for it: the
  UPDATE (with the return count and the campaign's recycling rule, read from the campaign),
  the outbox id reservation, the outbox event, the history row and the asesor's timeout
  streak (6 statements + COMMIT). This is the baseline of the >= 20x target. Since issue 13
  the sweep writes the return count, the queue and the streak too; a worker that skipped
  them would not be doing the same work.

The expired set is restored between repeats (state, asesor, last_activity; the outbox and
history rows the previous repeat wrote are deleted) so every repeat sweeps the same rows.

The fixture is loaded set-based with direct table writes (INSERT ... SELECT from a numbers
table): it is a benchmark fixture, not application code. ``timeout_segundos`` is set to a
day so the 1M-row case can take its time: fresh rows have last_activity = now, expired ones
now - 2 days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import (
    Report,
    connect,
    execute,
    log,
    median,
    pyplot,
    ratio,
    run_metadata,
    save_plot,
    throwaway_database,
    timer,
    wait_for_purge,
)
from toolkit.db import call, explain_statement

NAME = "sweep"
TIMEOUT_S = 86400
N_ASESORES = 200

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"sizes": [2_000], "active": 500, "expired": 100, "repeats": 2, "worker_repeats": 1},
    "short": {"sizes": [10_000, 100_000], "active": 10_000, "expired": 500, "repeats": 7, "worker_repeats": 2},
    "full": {"sizes": [100_000, 1_000_000], "active": 10_000, "expired": 1_000, "repeats": 15,
             "worker_repeats": 5},
}

CANDIDATES = ("SELECT id, seguimiento_status, asesor_asignado FROM clientes "
              "WHERE seguimiento_status IN ('derivado', 'en_gestion') "
              "AND last_activity < UTC_TIMESTAMP(6) - INTERVAL {timeout} SECOND")
ISO_FORMAT = "%Y-%m-%dT%H:%i:%s.%fZ"
# The sweep's own candidate query, as written in sql/procedures/sp_barrido_seguimiento.sql: a
# range of the stored deadline (vence_en = last_activity + the customer's timeout).
SWEEP_CANDIDATES = ("SELECT id, seguimiento_status, asesor_asignado, campana_id, devoluciones FROM clientes "
                    "WHERE seguimiento_status IN ('derivado', 'en_gestion') AND vence_en < UTC_TIMESTAMP(6) "
                    "ORDER BY vence_en LIMIT 1000 FOR UPDATE SKIP LOCKED")


def load_fixture(conn: Any, n: int, active: int) -> None:
    """N customers, ``active`` of them derivado/en_gestion and fresh, spread over the ids."""
    execute(conn, "SET SESSION foreign_key_checks = 0, unique_checks = 0")
    for table in ("clientes_historial", "outbox", "clientes"):
        execute(conn, f"TRUNCATE TABLE {table}")
    execute(conn, "DROP TABLE IF EXISTS bench_seq")
    execute(conn, "CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB")
    execute(conn, "INSERT INTO bench_seq (n) SELECT a.d + 10 * b.d + 100 * c.d FROM "
                  "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                  "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a "
                  "CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                  "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b "
                  "CROSS JOIN (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
                  "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c")
    if not execute(conn, "SELECT 1 FROM asesores LIMIT 1"):
        execute(conn, "INSERT INTO asesores (nombre, activo, created_at) "
                      f"SELECT CONCAT('Asesor ', n), 1, UTC_TIMESTAMP(6) FROM bench_seq WHERE n < {N_ASESORES}")
    ((first_asesor,),) = execute(conn, "SELECT MIN(id) FROM asesores")
    step = max(1, n // active)
    chunk = 100_000
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        execute(conn, f"""
            INSERT INTO clientes (id, nombre, telefono, datos, seguimiento_status, asesor_asignado, created_at,
                                  derivado_at, opened_at, last_activity, plazo_segundos, wizard_completado,
                                  fecha_wizard_completado, updated_at)
            SELECT i + 1, CONCAT('Cliente ', i), CONCAT('9', LPAD(i, 8, '0')), '{{"origen":"bench"}}',
                   CASE WHEN act THEN IF((i DIV {step}) % 2 = 0, 'derivado', 'en_gestion')
                        WHEN i % 10 < 3 THEN 'nuevo' WHEN i % 10 < 9 THEN 'terminado' ELSE 'no_gestionado' END,
                   IF(act, {first_asesor} + (i DIV {step}) % {N_ASESORES}, NULL),
                   UTC_TIMESTAMP(6) - INTERVAL 3 DAY,
                   IF(act OR i % 10 >= 3, UTC_TIMESTAMP(6) - INTERVAL 3 DAY, NULL),
                   IF(act AND (i DIV {step}) % 2 = 1, UTC_TIMESTAMP(6), NULL),
                   IF(act, UTC_TIMESTAMP(6), NULL),
                   {TIMEOUT_S},
                   IF(NOT act AND i % 10 BETWEEN 3 AND 8, 1, 0),
                   IF(NOT act AND i % 10 BETWEEN 3 AND 8, UTC_TIMESTAMP(6) - INTERVAL 2 DAY, NULL),
                   UTC_TIMESTAMP(6)
              FROM (SELECT {lo} + a.n * 1000 + b.n AS i,
                           ({lo} + a.n * 1000 + b.n) % {step} = 0
                           AND ({lo} + a.n * 1000 + b.n) DIV {step} < {active} AS act
                      FROM bench_seq a CROSS JOIN bench_seq b
                     WHERE a.n < {(hi - lo + 999) // 1000}) s
             WHERE i < {hi}""")
    execute(conn, "SET SESSION foreign_key_checks = 1, unique_checks = 1")
    execute(conn, "ANALYZE TABLE clientes")


def mark_expired(conn: Any, expired: int) -> None:
    """Make ``expired`` of the active customers idle for two days and remember them."""
    execute(conn, "DROP TABLE IF EXISTS bench_expired")
    execute(conn, "CREATE TABLE bench_expired (id BIGINT PRIMARY KEY, estado VARCHAR(20), asesor BIGINT, "
                  "opened_at DATETIME(6), last_activity DATETIME(6)) ENGINE=InnoDB")
    if expired:
        ((active,),) = execute(conn, "SELECT COUNT(*) FROM clientes "
                                     "WHERE seguimiento_status IN ('derivado', 'en_gestion')")
        every = max(1, int(active) // expired)
        execute(conn, f"""
            INSERT INTO bench_expired (id, estado, asesor, opened_at, last_activity)
            SELECT id, seguimiento_status, asesor_asignado, opened_at, UTC_TIMESTAMP(6) - INTERVAL 2 DAY
              FROM (SELECT id, seguimiento_status, asesor_asignado, opened_at,
                           ROW_NUMBER() OVER (ORDER BY id) - 1 AS k
                      FROM clientes WHERE seguimiento_status IN ('derivado', 'en_gestion')) x
             WHERE k % {every} = 0 ORDER BY id LIMIT {expired}""")
    execute(conn, "DROP TABLE IF EXISTS bench_marks")
    execute(conn, "CREATE TABLE bench_marks AS SELECT (SELECT COALESCE(MAX(id), 0) FROM outbox) AS outbox_id, "
                  "(SELECT COALESCE(MAX(id), 0) FROM clientes_historial) AS historial_id")
    restore(conn)


def restore(conn: Any) -> None:
    """Put the expired set back as it was before a sweep, drop what the sweep wrote, and let
    InnoDB's purge catch up with those writes before the next measured run."""
    execute(conn, """
        UPDATE clientes c JOIN bench_expired e ON e.id = c.id
           SET c.seguimiento_status = e.estado, c.asesor_asignado = e.asesor, c.opened_at = e.opened_at,
               c.last_activity = e.last_activity, c.lock_token = NULL, c.lock_asesor_id = NULL,
               c.devoluciones = 0, c.en_cola = 0, c.cola_desde = NULL""")
    # The sweep counts each asesor's timeouts (the bench's asesores are desconectado, so none
    # is paused): start every repeat from zero.
    execute(conn, "UPDATE asesores SET timeouts_consecutivos = 0 WHERE timeouts_consecutivos <> 0")
    execute(conn, "DELETE FROM outbox WHERE id > (SELECT outbox_id FROM bench_marks)")
    execute(conn, "DELETE FROM clientes_historial WHERE id > (SELECT historial_id FROM bench_marks)")
    wait_for_purge(conn)


def handler_reads(conn: Any) -> int:
    rows = execute(conn, "SHOW SESSION STATUS LIKE 'Handler_read%'")
    return sum(int(v) for k, v in rows if k != "Handler_read_key")  # rows stepped through, not lookups


def time_sweep(conn: Any, expected: int) -> tuple[float, int]:
    """One CALL sp_barrido_seguimiento(): seconds and Handler_read_* rows it stepped through."""
    before = handler_reads(conn)
    with timer() as t:
        (row,) = call(conn, "sp_barrido_seguimiento")[0]
        devueltos, omitido = row["devueltos"], row["omitido"]
    after = handler_reads(conn)
    assert omitido == 0, "another sweep held the lock"
    assert devueltos == expected, f"sweep returned {devueltos}, expected {expected}"
    return t[0], after - before


def row_by_row(conn: Any, *, fair: bool, expected: int) -> float:
    """The seed's worker: SELECT the expired rows, then one UPDATE per row from the client;
    ``fair`` writes, per row in one transaction, everything the sweep writes for it."""
    with timer() as t:
        cur = conn.cursor()
        cur.execute(CANDIDATES.format(timeout=TIMEOUT_S))
        rows = cur.fetchall()
        for cliente_id, estado, asesor in rows:
            if fair:
                conn.start_transaction()
            if fair:
                cur.execute("UPDATE clientes c JOIN campanas k ON k.id = c.campana_id "
                            "SET c.seguimiento_status = 'no_gestionado', c.asesor_asignado = NULL, "
                            "c.last_activity = NULL, c.lock_token = NULL, c.lock_asesor_id = NULL, "
                            "c.devoluciones = c.devoluciones + 1, "
                            "c.en_cola = (c.devoluciones + 1 < k.max_devoluciones), "
                            "c.cola_desde = IF(c.devoluciones + 1 < k.max_devoluciones, "
                            "UTC_TIMESTAMP(6) + INTERVAL k.reciclaje_segundos SECOND, NULL), "
                            "c.updated_at = UTC_TIMESTAMP(6) WHERE c.id = %s "
                            "AND c.seguimiento_status IN ('derivado', 'en_gestion')", (cliente_id,))
                cur.execute("UPDATE asesores SET timeouts_consecutivos = timeouts_consecutivos + 1 WHERE id = %s",
                            (asesor,))
            else:
                cur.execute("UPDATE clientes SET seguimiento_status = 'no_gestionado', asesor_asignado = NULL, "
                            "last_activity = NULL, lock_token = NULL, lock_asesor_id = NULL, "
                            "updated_at = UTC_TIMESTAMP(6) WHERE id = %s "
                            "AND seguimiento_status IN ('derivado', 'en_gestion')", (cliente_id,))
            if fair:
                cur.execute("UPDATE outbox_secuencia SET ultimo_id = LAST_INSERT_ID(ultimo_id + 1) WHERE id = 1")
                cur.execute(
                    "INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, "
                    "created_at) VALUES (LAST_INSERT_ID(), 'CLIENT_RETURNED_TO_GTR', %s, NULL, %s, "
                    "JSON_OBJECT('clienteId', %s, 'reason', 'timeout_no_gestionado', 'previousAsesor', %s, "
                    "'seguimiento_status', 'no_gestionado', 'timestamp', "
                    "DATE_FORMAT(UTC_TIMESTAMP(6), %s)), UTC_TIMESTAMP(6))",
                    (cliente_id, asesor, cliente_id, asesor, ISO_FORMAT))
                cur.execute(
                    "INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id, "
                    "asesor_anterior_id, actor, motivo, outbox_id, created_at) VALUES "
                    "(%s, %s, 'no_gestionado', NULL, %s, 'system', 'timeout_no_gestionado', LAST_INSERT_ID(), "
                    "UTC_TIMESTAMP(6))", (cliente_id, estado, asesor))
                conn.commit()
        cur.close()
    assert len(rows) == expected, f"worker saw {len(rows)} rows, expected {expected}"
    return t[0]


def explain(conn: Any) -> tuple[list[str], list[list[Any]]]:
    cur = conn.cursor()
    cur.execute(explain_statement(conn, SWEEP_CANDIDATES.format(timeout=TIMEOUT_S)))
    rows = [list(r) for r in cur.fetchall()]
    headers = [d[0] for d in cur.description]
    cur.close()
    return headers, rows


def _measure(conn: Any, cfg: dict[str, Any], results: list[dict[str, Any]], explains: dict[int, Any]) -> None:
    execute(conn, "UPDATE seguimiento_config SET valor = %s WHERE clave = 'timeout_segundos'", (TIMEOUT_S,))
    for n in cfg["sizes"]:
        active = min(cfg["active"], n // 4)
        log(f"sweep: loading {n:,} clientes ({active:,} active)")
        with timer() as t_load:
            load_fixture(conn, n, active)
        log(f"sweep: loaded in {t_load[0]:.1f} s")
        for expired in (0, min(cfg["expired"], active)):
            mark_expired(conn, expired)
            headers, plan = explain(conn)
            explains[n] = {"headers": headers, "rows": plan}
            sweep_s: list[float] = []
            reads: list[int] = []
            fair_s: list[float] = []
            bare_s: list[float] = []
            for r in range(cfg["repeats"]):
                restore(conn)
                s, rd = time_sweep(conn, expired)
                sweep_s.append(s)
                reads.append(rd)
                # The worker runs interleaved with the sweep, fewer times (it is slow).
                if r < cfg["worker_repeats"]:
                    restore(conn)
                    fair_s.append(row_by_row(conn, fair=True, expected=expired))
                    restore(conn)
                    bare_s.append(row_by_row(conn, fair=False, expected=expired))
            row = {"rows": n, "active": active, "expired": expired,
                   "sweep_ms": median(sweep_s) * 1000, "sweep_ms_all": [x * 1000 for x in sweep_s],
                   "sweep_rows_read": median(reads),
                   "worker_fair_ms": median(fair_s) * 1000, "worker_fair_ms_all": [x * 1000 for x in fair_s],
                   "worker_bare_ms": median(bare_s) * 1000, "worker_bare_ms_all": [x * 1000 for x in bare_s]}
            row["speedup_fair"] = ratio(row["worker_fair_ms"], row["sweep_ms"])
            row["speedup_bare"] = ratio(row["worker_bare_ms"], row["sweep_ms"])
            results.append(row)
            log(f"sweep: n={n:,} expired={expired:,}: sweep {row['sweep_ms']:.2f} ms, "
                f"worker(fair) {row['worker_fair_ms']:.1f} ms, worker(update only) {row['worker_bare_ms']:.1f} ms")


def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    report = Report(NAME, "Benchmark 3: the timeout sweep at scale", mode, run_metadata(mode))
    results: list[dict[str, Any]] = []
    explains: dict[int, Any] = {}
    with throwaway_database(NAME) as url:
        conn = connect(url)
        try:
            _measure(conn, cfg, results, explains)
        finally:
            conn.close()

    report.data = {"config": cfg, "timeout_segundos": TIMEOUT_S, "results": results, "explain": explains}
    report.summary = (
        f"One `CALL sp_barrido_seguimiento()` against the seed's row-by-row worker (Python client, "
        f"{report.meta['connector']['path']} connector) on the same data, same run. Medians of "
        f"{cfg['repeats']} sweeps and {cfg['worker_repeats']} worker runs per case, interleaved; the "
        "expired set is restored between repeats. *fair* worker = per row, one transaction with the UPDATE (return "
        "count and recycling included), the outbox id reservation, the outbox event, the history row and the "
        "asesor's timeout streak (what the sweep writes); *UPDATE only* = the seed's worker as it was (no history, "
        "no event).")
    report.table("Sweep time (ms, median)",
                 ["clientes", "active", "expired", "sweep ms", "rows read by sweep", "worker fair ms",
                  "worker UPDATE-only ms", "speed-up vs fair", "speed-up vs UPDATE-only"],
                 [[r["rows"], r["active"], r["expired"], r["sweep_ms"], r["sweep_rows_read"], r["worker_fair_ms"],
                   r["worker_bare_ms"], r["speedup_fair"], r["speedup_bare"]] for r in results],
                 note="*rows read by sweep*: the session's Handler_read_* counters (next/prev/first/last/rnd) "
                      "around the CALL: rows the server stepped through. It does not grow with the table.")
    for n, ex in explains.items():
        report.table(f"EXPLAIN of the sweep's candidate query at {n:,} rows", ex["headers"], ex["rows"],
                     note=f"`EXPLAIN {SWEEP_CANDIDATES.format(timeout=TIMEOUT_S)}`")

    largest = max(cfg["sizes"])
    noop = [r for r in results if r["expired"] == 0 and r["rows"] == largest]
    busy = [r for r in results if r["expired"] > 0 and r["rows"] == largest]
    at = f"at {largest:,} rows"
    if noop:
        ok = noop[0]["sweep_ms"] <= 5.0
        report.target(f"no-op sweep {at}", "<= 5 ms", f"{noop[0]['sweep_ms']:.2f} ms",
                      ok if largest >= 1_000_000 else None,
                      "" if largest >= 1_000_000 else "the 1M-row case runs in full mode only")
    if busy:
        b = busy[0]
        report.target(f"{b['expired']:,} returns {at}", "<= 300 ms", f"{b['sweep_ms']:.1f} ms",
                      b["sweep_ms"] <= 300 if b["expired"] >= 1000 else None)
        report.target(f"speed-up vs row-by-row worker (fair) {at}", ">= 20x", f"{b['speedup_fair']:.1f}x",
                      b["speedup_fair"] >= 20 if b["expired"] >= 1000 else None,
                      f"vs the UPDATE-only worker: {b['speedup_bare']:.1f}x")
    for n, ex in explains.items():
        kinds = {str(r[ex["headers"].index("type")]) for r in ex["rows"]}
        keys = {str(r[ex["headers"].index("key")]) for r in ex["rows"]}
        # MariaDB may add a rowid filter from the status index ("range|filter"): still that range.
        report.target(f"candidate query is an index range scan at {n:,} rows", "type = range",
                      f"type {', '.join(sorted(kinds))} on {', '.join(sorted(keys))}",
                      all(k.split("|")[0] == "range" for k in kinds))

    plt = pyplot()
    if plt is not None and results:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for expired in sorted({r["expired"] for r in results}):
            sel = [r for r in results if r["expired"] == expired]
            xs = [r["rows"] for r in sel]
            ax.plot(xs, [r["sweep_ms"] for r in sel], "o-", label=f"sp_barrido_seguimiento, {expired:,} expired")
            if expired:
                ax.plot(xs, [r["worker_fair_ms"] for r in sel], "s--", label=f"row-by-row fair, {expired:,} expired")
                ax.plot(xs, [r["worker_bare_ms"] for r in sel], "^:", label=f"row-by-row UPDATE only, {expired:,}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows in clientes")
        ax.set_ylabel("time of one run (ms, median, log)")
        ax.set_title("Sweep time against table size")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        save_plot(report, fig, out, f"{NAME}.png")
        plt.close(fig)
    return report
