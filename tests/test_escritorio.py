"""The supervisor's desk in SQL (issue 14): reports and their summaries, the wallboard, an
asesor's customer timeline in one call, and administration from the desk with its audit."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import mysql.connector

from gateway.db.errors import ErrorCode
from tests.support import Connections, Db, Row, call, refused
from tests.test_views import DAY, T0, at, daily, figures, make_idle, set_times, worked

DESDE = T0.replace(hour=0)
HASTA = DESDE + timedelta(days=1)


def reporte(db: Db, asesor: int | None = None, desde: datetime = DESDE, hasta: datetime = HASTA) -> dict[int, Row]:
    (rows,) = db.call("sp_reporte_asesores", desde, hasta, asesor)
    return {r["asesor_id"]: r for r in rows}


def numbers(row: Row) -> tuple[Any, ...]:
    def number(value: Any) -> Any:
        return None if value is None else Decimal(value).normalize()

    return (row["asignados"], row["abiertos"], row["completados"], row["devueltos_timeout"],
            number(row["mediana_segundos_hasta_abrir"]), number(row["mediana_segundos_gestion"]))


def busy_day(db: Db) -> tuple[int, int]:
    """The day of test_views' per-asesor test: Ana 4 assigned, 3 opened and completed, one
    timeout; Bea 4 assigned and opened, 2 completed."""
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    worked(db, ana, 10, 60)
    worked(db, ana, 30, 180)
    worked(db, ana, 100, 600)
    returned = db.derivado(ana)
    make_idle(db, returned, 400)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    set_times(db, returned, [at(-60), at(0), at(400)])
    worked(db, bea, 20, 100)
    worked(db, bea, 40, 300)
    worked(db, bea, 60, None)
    cliente_id, token = db.en_gestion(bea)
    db.call("sp_actualizar_cliente", cliente_id, bea, token, '{"nota": "llamar luego"}')
    set_times(db, cliente_id, [at(-60), at(0), at(1000), at(1100)])
    return ana, bea


# --- reports ---------------------------------------------------------------------------------


def test_the_asesor_report_agrees_with_the_daily_view(db: Db) -> None:
    ana, bea = busy_day(db)
    rows = reporte(db)
    view = daily(db)
    assert set(rows) == {ana, bea}
    for asesor, nombre in ((ana, "Ana"), (bea, "Bea")):
        assert numbers(rows[asesor]) == figures(view[nombre, DAY])
        assert rows[asesor]["asesor_nombre"] == nombre and rows[asesor]["activo"] == 1
    assert numbers(rows[ana]) == (4, 3, 3, 1, Decimal(30), Decimal(180))
    # One asesor only; a range that misses the day has nothing.
    assert set(reporte(db, bea)) == {bea} and numbers(reporte(db, bea)[bea]) == numbers(rows[bea])
    assert reporte(db, desde=HASTA, hasta=HASTA + timedelta(days=1)) == {}


def test_medians_are_exact_across_minute_boundaries(db: Db) -> None:
    """Medians against Python's, with even and odd counts and values a second apart."""
    import random
    import statistics

    rng = random.Random(14)
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    handling = {ana: [59.5, 60.25, 1.5, 3000, 61, 119.75, 45, 120, 59.999, 7200.5],  # middle: 60.25 | 61
                bea: [round(rng.uniform(1, 900), 3) for _ in range(13)]}
    opening = {ana: [round(rng.uniform(1, 300), 2) for _ in range(10)], bea: [30.0] * 12 + [90.0]}
    for asesor in (ana, bea):
        for k, (o, h) in enumerate(zip(opening[asesor], handling[asesor], strict=True)):
            worked(db, asesor, o, h, start=k * 10)
    rows = reporte(db)
    for asesor in (ana, bea):
        assert Decimal(rows[asesor]["mediana_segundos_gestion"]) == Decimal(
            str(statistics.median(handling[asesor]))).quantize(Decimal("0.000001")), asesor
        assert Decimal(rows[asesor]["mediana_segundos_hasta_abrir"]) == Decimal(
            str(statistics.median(opening[asesor]))).quantize(Decimal("0.000001")), asesor


def test_the_summary_counts_each_history_row_once_and_follows_new_ones(db: Db) -> None:
    ana = db.asesor("Ana")
    worked(db, ana, 10, 60)
    first = reporte(db)
    assert numbers(reporte(db)[ana]) == numbers(first[ana])  # a second report adds nothing
    summary = db.call_one("sp_resumir_historial")
    assert (summary["resumidos"], summary["omitido"], summary["pendientes"]) == (0, 0, 0)
    worked(db, ana, 30, 180)
    assert db.call_one("sp_resumir_historial")["resumidos"] == 3  # assigned, opened, completed
    assert numbers(reporte(db)[ana]) == (2, 2, 2, 0, Decimal(20), Decimal(120))


def test_the_summary_never_skips_a_history_row_that_commits_late(db: Db, conns: Connections) -> None:
    """A transaction that reserved an earlier outbox id but commits after a later one: the
    summary stops at the sequence's committed value, so the late row is summarised too."""
    ana = db.asesor("Ana")
    cliente = db.nuevo_cliente()
    slow = conns.new()
    slow.autocommit = False
    cur = slow.cursor()
    # What _registrar_cambio does, held open: reserve an id, write the event and the history row.
    cur.execute("UPDATE outbox_secuencia SET ultimo_id = LAST_INSERT_ID(ultimo_id + 1) WHERE id = 1")
    cur.execute("INSERT INTO outbox (id, event_type, cliente_id, asesor_id, payload, created_at) "
                "VALUES (LAST_INSERT_ID(), 'CLIENT_REASSIGNED', %s, %s, '{}', %s)", (cliente, ana, at(0)))
    cur.execute("INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id, actor, "
                "motivo, outbox_id, created_at) VALUES (%s, 'nuevo', 'derivado', %s, 'gtr', 'asignado', "
                "LAST_INSERT_ID(), %s)", (cliente, ana, at(0)))
    summariser = conns.new()
    done = threading.Event()

    def summarise() -> None:
        call(summariser, "sp_resumir_historial")
        done.set()

    worker = threading.Thread(target=summarise)
    worker.start()
    worker.join(timeout=2)
    # Nothing later than the open transaction could commit, so the summary is where it was.
    assert done.is_set() and db.query("SELECT ultimo_outbox_id FROM reporte_progreso")[0]["ultimo_outbox_id"] == 1
    slow.commit()
    assert numbers(reporte(db)[ana])[0] == 1


def test_completions_per_hour(db: Db) -> None:
    ana, bea = busy_day(db)
    worked(db, ana, 10, 20, start=7200)  # 12:00: the 11:00 hour stays empty and is left out
    (rows,) = db.call("sp_reporte_por_hora", DESDE, HASTA, None)
    hours = {r["hora"]: r for r in rows}
    assert list(hours) == [T0, T0 + timedelta(hours=2)]
    assert (hours[T0]["asignados"], hours[T0]["abiertos"], hours[T0]["completados"],
            hours[T0]["devueltos_timeout"]) == (8, 7, 5, 1)
    assert (hours[T0 + timedelta(hours=2)]["asignados"], hours[T0 + timedelta(hours=2)]["completados"]) == (1, 1)
    (only_ana,) = db.call("sp_reporte_por_hora", DESDE, HASTA, ana)
    assert [r["completados"] for r in only_ana] == [3, 1]


def test_speed_to_lead_buckets_median_and_service_level(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    # Loaded at 0, assigned at 10, opened at 10 + open_after: speed to lead 10 + open_after.
    for open_after in (20, 50, 290, 600, 4000):
        cliente, token = db.en_gestion(ana)
        set_times(db, cliente, [at(0), at(10), at(10 + open_after)])
    # Opened a second time after a reassignment: only the first opening is speed to lead.
    again, token = db.en_gestion(ana)
    db.call("sp_derivar_cliente", again, bea, "gtr")
    token = db.call_one("sp_tomar_cliente", again, bea)["lock_token"]
    db.call("sp_abrir_wizard", again, bea, token)
    set_times(db, again, [at(0), at(10), at(40), at(5000), at(5100)])
    buckets, (summary,) = db.call("sp_reporte_velocidad", DESDE, HASTA, None, None)
    assert [b["tramo"] for b in buckets] == ["< 1 min", "1-5 min", "5-15 min", "15-60 min", "1-4 h", "4-24 h",
                                             "> 24 h"]
    assert [b["clientes"] for b in buckets] == [2, 1, 2, 0, 1, 0, 0]  # 30, 40 | 60 | 300, 610 | 4010
    assert summary["clientes"] == 6 and Decimal(summary["mediana_segundos"]) == Decimal(180)
    assert (summary["umbral_segundos"], summary["dentro_del_umbral"]) == (300, 4)
    assert Decimal(summary["nivel_servicio"]).quantize(Decimal("0.0001")) == Decimal("0.6667")
    _, (tight,) = db.call("sp_reporte_velocidad", DESDE, HASTA, ana, 45)
    assert tight["dentro_del_umbral"] == 2
    empty_buckets, (empty,) = db.call("sp_reporte_velocidad", HASTA, HASTA + timedelta(hours=1), None, None)
    assert sum(b["clientes"] for b in empty_buckets) == 0
    assert (empty["clientes"], empty["mediana_segundos"], empty["nivel_servicio"]) == (0, None, None)


def test_the_report_reads_its_summaries_through_their_indexes(db: Db) -> None:
    ana = db.asesor("Ana")
    worked(db, ana, 10, 60)
    db.call("sp_resumir_historial")
    plan = db.explain("SELECT asesor_id, segundos FROM reporte_tiempos WHERE medida = 'gestion' "
                      f"AND created_at >= '{DESDE}' AND created_at < '{HASTA}'")
    assert plan[0]["key"] == "idx_tiempos_medida" and plan[0]["type"] == "range"
    plan = db.explain(f"SELECT * FROM reporte_asesor_hora WHERE hora >= '{DESDE}' AND hora < '{HASTA}'")
    assert plan[0]["type"] in ("range", "ALL")  # a tiny table may be read whole; the bench shows the large case


# --- the wallboard ---------------------------------------------------------------------------


def test_the_wallboard_counts_the_states_today_the_oldest_waiting_and_the_imminent(db: Db) -> None:
    ana = db.asesor("Ana")
    old_nuevo = db.nuevo_cliente("Primero")
    db.execute("UPDATE clientes SET created_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = %s", (old_nuevo,))
    db.nuevo_cliente("Segundo")
    idle = db.derivado(ana)
    make_idle(db, idle, 250)  # 50 s left
    fresh = db.derivado(ana)
    working, token = db.en_gestion(ana)
    make_idle(db, working, 280)  # 20 s left
    done, token_done = db.en_gestion(ana)
    db.call("sp_completar_wizard", done, ana, token_done)
    gone = db.derivado(ana)
    make_idle(db, gone, 400)
    db.call("sp_barrido_seguimiento")  # gone returned: no_gestionado, returned today

    estados, (totales,), oldest, imminent = db.call("sp_tablero", 60, 10)
    assert {r["seguimiento_status"]: r["clientes"] for r in estados} == {
        "nuevo": 2, "derivado": 2, "en_gestion": 1, "terminado": 1, "no_gestionado": 1}
    assert (totales["esperando"], totales["sin_abrir"], totales["en_gestion"]) == (3, 2, 1)
    assert (totales["asignados_hoy"], totales["terminados_hoy"], totales["devueltos_hoy"]) == (5, 1, 1)
    assert totales["timeout_segundos"] == 300
    assert [r["cliente_id"] for r in oldest] == [old_nuevo]
    assert 3590 < float(oldest[0]["segundos_esperando"]) < 3700
    assert [r["cliente_id"] for r in imminent] == [working, idle]
    assert 15 < float(imminent[0]["segundos_restantes"]) <= 20 and imminent[0]["asesor_nombre"] == "Ana"
    assert fresh not in {r["cliente_id"] for r in imminent}
    (_, _, _, wider) = db.call("sp_tablero", 400, 1)
    assert [r["cliente_id"] for r in wider] == [working]  # the limit keeps the closest


def test_each_wallboard_figure_is_an_index_range(db: Db) -> None:
    ana = db.asesor("Ana")
    for _ in range(3):
        db.derivado(ana)
        db.nuevo_cliente()
    db.execute("ANALYZE TABLE clientes, clientes_historial")
    queries = {
        "SELECT COUNT(*) FROM clientes WHERE seguimiento_status = 'nuevo'": None,
        "SELECT COUNT(*) FROM clientes_historial WHERE motivo = 'wizard_completado' "
        "AND created_at >= UTC_DATE()": "idx_historial_motivo",
        "SELECT id FROM clientes WHERE seguimiento_status = 'no_gestionado' AND last_activity IS NULL "
        "ORDER BY id LIMIT 1": "idx_seguimiento_activity",
        "SELECT id FROM clientes WHERE vence_en <= UTC_TIMESTAMP(6) + INTERVAL 60 SECOND "
        "ORDER BY vence_en, id LIMIT 20":
            "idx_vence_en",
    }
    for sql, key in queries.items():
        (plan,) = db.explain(sql)
        assert plan["type"] in ("ref", "range"), (sql, plan)
        assert plan["key"] is not None and (key is None or plan["key"] == key), (sql, plan)


# --- the customer timeline -------------------------------------------------------------------


def test_an_asesor_reads_its_own_customers_history_only(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente, _ = db.en_gestion(ana)
    (rows,) = db.call("sp_historial_cliente_de_asesor", ana, cliente)
    assert [r["motivo"] for r in rows] == ["cargado", "asignado", "wizard_abierto"]
    assert rows == db.call("sp_historial_cliente", cliente)[0]
    with refused(ErrorCode.NOT_ASSIGNED):
        db.call("sp_historial_cliente_de_asesor", bea, cliente)
    db.call("sp_derivar_cliente", cliente, bea, "gtr")
    with refused(ErrorCode.NOT_ASSIGNED):
        db.call("sp_historial_cliente_de_asesor", ana, cliente)
    assert db.call("sp_historial_cliente_de_asesor", bea, cliente)[0][-1]["motivo"] == "reasignado"


def test_the_timeline_check_and_read_see_one_moment_while_gtr_reassigns(db: Db, conns: Connections) -> None:
    """GTR moves a customer back and forth between Ana and Bea while Ana reads its history:
    every read that is answered ends with the assignment to Ana (never a history in which the
    customer has already gone to Bea), and the refusals are 45004."""
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente = db.derivado(ana)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reassign() -> None:
        conn = conns.new()
        try:
            while not stop.is_set():
                for asesor in (bea, ana):
                    call(conn, "sp_derivar_cliente", cliente, asesor, "gtr")
        except BaseException as exc:
            errors.append(exc)

    gtr = threading.Thread(target=reassign)
    gtr.start()
    reader = conns.new()
    answered = refusals = 0
    try:
        for _ in range(300):
            try:
                (rows,) = call(reader, "sp_historial_cliente_de_asesor", ana, cliente)
            except mysql.connector.Error as exc:
                assert exc.errno == ErrorCode.NOT_ASSIGNED, exc
                refusals += 1
                continue
            answered += 1
            last = rows[-1]
            assert last["motivo"] in ("asignado", "reasignado") and last["asesor_id"] == ana, last
    finally:
        stop.set()
        gtr.join()
    assert not errors, errors
    assert answered > 0 and refusals > 0, (answered, refusals)


# --- administration from the desk ------------------------------------------------------------


def gtr_token(db: Db, char: str = "1", descripcion: str = "mesa de Carla") -> int:
    return int(db.call_one("sp_crear_token", char * 64, "gtr", None, descripcion)["token_id"])


def audit(db: Db) -> list[Row]:
    rows = db.query("SELECT * FROM auditoria_admin ORDER BY id")
    for row in rows:
        row["detalle"] = json.loads(row["detalle"])
    return rows


def test_gtr_hands_an_asesor_a_token_audited_with_its_event(db: Db) -> None:
    ana = db.asesor("Ana")
    emisor = gtr_token(db)
    issued = db.call_one("sp_gtr_emitir_token_asesor", emisor, ana, "a" * 64, "turno tarde", 3600)
    assert db.call_one("sp_validar_token", "a" * 64)["asesor_id"] == ana
    (event,) = [e for e in db.outbox() if e["event_type"] == "ASESOR_TOKEN_ISSUED"]
    assert event["asesor_id"] == ana and event["cliente_id"] is None
    assert event["payload"]["tokenId"] == issued["token_id"] and event["payload"]["emisorTokenId"] == emisor
    assert "a" * 64 not in json.dumps(event["payload"])
    (row,) = audit(db)
    assert (row["event_type"], row["asesor_id"], row["token_id"], row["emisor_token_id"], row["actor"]) == (
        "ASESOR_TOKEN_ISSUED", ana, issued["token_id"], emisor, "gtr")
    assert row["outbox_id"] == event["id"] and row["detalle"] == event["payload"]
    (listed,) = db.call("sp_auditoria_admin", ana, 10)[0]
    assert listed["emisor_descripcion"] == "mesa de Carla"
    # The default lifetime applies as for any asesor token (12 h).
    default = db.call_one("sp_gtr_emitir_token_asesor", emisor, ana, "b" * 64, None, None)
    assert default["expires_at"] is not None


def test_an_asesor_token_a_revoked_or_expired_gtr_token_may_administer_nothing(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    asesor_token = int(db.call_one("sp_crear_token", "2" * 64, "asesor", ana, None)["token_id"])
    revoked = gtr_token(db, "3")
    db.call("sp_revocar_token", revoked)
    expired = int(db.call_one("sp_crear_token_con_vigencia", "4" * 64, "gtr", None, None, 1)["token_id"])
    db.execute("UPDATE api_tokens SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = %s", (expired,))
    before = {t: db.query(f"SELECT * FROM {t} ORDER BY 1") for t in
              ("asesores", "api_tokens", "outbox", "auditoria_admin", "seguimiento_config")}
    for emisor in (asesor_token, revoked, expired):
        for procedure, args in (("sp_gtr_emitir_token_asesor", (bea, "c" * 64, None, None)),
                                ("sp_gtr_crear_asesor", ("Carla",)), ("sp_gtr_desactivar_asesor", (bea,)),
                                ("sp_gtr_configurar", ("timeout_segundos", 600))):
            with refused(ErrorCode.NOT_PERMITTED):
                db.call(procedure, emisor, *args)
    after = {t: db.query(f"SELECT * FROM {t} ORDER BY 1") for t in before}
    assert after == before


def test_desk_changes_write_their_event_and_audit_row_dba_changes_their_audit_row(db: Db) -> None:
    emisor = gtr_token(db)
    carla = db.call_one("sp_gtr_crear_asesor", emisor, "  Carla  ")["asesor_id"]
    assert db.query("SELECT nombre, activo FROM asesores WHERE id = %s", (carla,)) == [{"nombre": "Carla", "activo": 1}]
    cliente = db.derivado(carla)
    assert db.call_one("sp_gtr_desactivar_asesor", emisor, carla) == {"clientes_devueltos": 1, "tokens_revocados": 0}
    assert db.cliente(cliente)["seguimiento_status"] == "no_gestionado"
    db.call("sp_gtr_activar_asesor", emisor, carla)
    changed = db.call_one("sp_gtr_configurar", emisor, "timeout_segundos", 600)
    assert (changed["valor_anterior"], changed["valor"]) == (300, 600)
    db.call("sp_desactivar_asesor", carla, "dba")
    db.call("sp_activar_asesor", carla, "dba")

    rows = audit(db)
    assert [(r["event_type"], r["emisor_token_id"], r["actor"]) for r in rows] == [
        ("ASESOR_CREATED", emisor, "gtr"), ("ASESOR_DEACTIVATED", emisor, "gtr"), ("ASESOR_ACTIVATED", emisor, "gtr"),
        ("CONFIG_CHANGED", emisor, "gtr"), ("ASESOR_DEACTIVATED", None, "dba"), ("ASESOR_ACTIVATED", None, "dba")]
    events = {e["id"]: e for e in db.outbox()}
    for row in rows:
        assert events[row["outbox_id"]]["event_type"] == row["event_type"]
        assert events[row["outbox_id"]]["payload"] == row["detalle"]
    assert rows[3]["detalle"]["clave"] == "timeout_segundos" and rows[3]["detalle"]["valorAnterior"] == 300
    assert rows[1]["detalle"]["clientesDevueltos"] == 1


def test_a_gtr_token_revoked_while_it_issues_tokens_issues_none_after(db: Db, conns: Connections) -> None:
    """Issuing (a shared lock on the emisor's token row) against revoking it (an exclusive
    one): every token issued by it has an event before TOKEN_REVOKED, every later try is
    refused with 45015, and no call fails otherwise."""
    ana = db.asesor("Ana")
    emisor = gtr_token(db)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    started = threading.Event()

    def issue(n: int) -> None:
        conn = conns.new()
        try:
            for i in range(200):
                try:
                    call(conn, "sp_gtr_emitir_token_asesor", emisor, ana, f"{n:032x}{i:032x}", None, None)
                    outcomes.append("issued")
                except mysql.connector.Error as exc:
                    if exc.errno != ErrorCode.NOT_PERMITTED:
                        raise
                    outcomes.append("refused")
                started.set()
        except BaseException as exc:
            errors.append(exc)
            started.set()

    issuers = [threading.Thread(target=issue, args=(n,)) for n in range(3)]
    for t in issuers:
        t.start()
    started.wait(10)
    revoker = conns.new()
    call(revoker, "sp_revocar_token", emisor)
    for t in issuers:
        t.join()
    assert not errors, errors
    events = db.outbox()
    (revoked,) = [e["id"] for e in events if e["event_type"] == "TOKEN_REVOKED"]
    issued = [e["id"] for e in events if e["event_type"] == "ASESOR_TOKEN_ISSUED"]
    assert len(issued) == outcomes.count("issued") == len(audit(db)) > 0
    assert max(issued) < revoked
    assert outcomes.count("refused") > 0


def test_medians_agree_whether_days_are_whole_or_partial(db: Db) -> None:
    """Whole UTC days come from the per-day histogram (reporte_tiempos_dia), a range's partial
    first and last days from the raw durations: medians, speed to lead and the campaign p90
    match Python's for ranges that mix both, with repeated values counted as often as seen."""
    import math
    import random
    import statistics

    rng = random.Random(9)
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    seen: list[tuple[int, datetime, float, datetime, float]] = []  # asesor, opened, o, done, h
    for asesor in (ana, bea):
        for _ in range(14):
            start = rng.randrange(-2 * 86400, 2 * 86400, 600)
            o = rng.choice([30.0, 30.0, 45.5, round(rng.uniform(1, 600), 3)])
            h = rng.choice([120.0, round(rng.uniform(1, 900), 3)])
            worked(db, asesor, o, h, start=start)
            seen.append((asesor, at(start + o), o, at(start + o + h), h))
    ranges = [(DESDE, HASTA), (DESDE - timedelta(hours=11), HASTA + timedelta(hours=5)),
              (DESDE + timedelta(hours=9), DESDE + timedelta(hours=13)),
              (DESDE + timedelta(hours=3), HASTA + timedelta(hours=20)),
              (DESDE - timedelta(days=2), HASTA + timedelta(days=2)),
              (DESDE + timedelta(hours=10), HASTA + timedelta(days=1))]
    for desde, hasta in ranges:
        rows = reporte(db, desde=desde, hasta=hasta)
        for asesor in (ana, bea):
            opening = [o for a, t, o, _, _ in seen if a == asesor and desde <= t < hasta]
            handling = [h for a, _, _, t, h in seen if a == asesor and desde <= t < hasta]
            row = rows.get(asesor, {})
            for column, values in (("mediana_segundos_hasta_abrir", opening), ("mediana_segundos_gestion", handling)):
                expected = Decimal(str(statistics.median(values))).quantize(Decimal("0.000001")) if values else None
                got = None if row.get(column) is None else Decimal(row[column])
                assert got == expected, (desde, hasta, asesor, column)
        # Speed to lead: from the customer's load (60 s before its assignment) to its opening.
        speed = sorted(o + 60 for _, t, o, _, _ in seen if desde <= t < hasta)
        _, (summary,) = db.call("sp_reporte_velocidad", desde, hasta, None, None)
        assert summary["clientes"] == len(speed)
        (campaigns,) = db.call("sp_reporte_campanas", desde, hasta, None, None, None)
        if not speed:
            assert (summary["mediana_segundos"], campaigns) == (None, [])
            continue
        assert Decimal(summary["mediana_segundos"]) == Decimal(str(statistics.median(speed))).quantize(
            Decimal("0.000001")), (desde, hasta)
        (general,) = campaigns
        assert general["clientes"] == len(speed)
        assert Decimal(general["p90_segundos"]) == Decimal(str(speed[math.ceil(0.9 * len(speed)) - 1])).quantize(
            Decimal("0.000001")), (desde, hasta)
    assert db.query("SELECT MAX(n) AS n FROM reporte_tiempos_dia")[0]["n"] > 1
