"""Routing (issue 13), procedure by procedure: campaigns and their timeouts, skills, capacity,
presence, the automatic distribution, the pull, the hand-back, recycling, the auto-pause after
consecutive timeouts, the stale-socket step and the reporting views. Races are in
tests/test_routing_races.py; bad input of every procedure in tests/test_bad_input.py.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from gateway.db.errors import ErrorCode
from tests.support import Db, Row, refused


def campana(db: Db, nombre: str, *, timeout: int | None = None, prioridad: int = 0, modo: str = "auto",
            reciclaje: int = 0, max_devoluciones: int = 3) -> int:
    return int(db.call_one("sp_crear_campana", nombre, timeout, prioridad, modo, reciclaje,
                           max_devoluciones)["campana_id"])


def cargar(db: Db, nombre: str, campana_id: int | None, prioridad: int = 0) -> Row:
    return db.call_one("sp_cargar_cliente_en_campana", nombre, None, None, campana_id, prioridad)


def asesor_listo(db: Db, nombre: str, *campanas: int, capacidad: int = 1) -> int:
    """An asesor with those skills and capacity, disponible (set by a DBA)."""
    asesor = db.asesor(nombre)
    if capacidad != 1:
        db.call("sp_fijar_capacidad", asesor, capacidad)
    for campana_id in campanas:
        db.call("sp_asignar_habilidad", asesor, campana_id)
    db.call("sp_cambiar_presencia", asesor, "disponible", None, "dba")
    return asesor


def distribuir(db: Db) -> Row:
    return db.call_one("sp_distribuir")


def en_manos(db: Db) -> dict[int, int | None]:
    """cliente_id -> asesor_asignado."""
    return {r["id"]: r["asesor_asignado"] for r in db.query("SELECT id, asesor_asignado FROM clientes")}


def make_idle(db: Db, cliente_id: int, seconds: float) -> None:
    db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND WHERE id = %s",
               (int(seconds * 1_000_000), cliente_id))


def events(db: Db, event_type: str) -> list[Row]:
    return [e for e in db.outbox() if e["event_type"] == event_type]


# --- campaigns -----------------------------------------------------------------------------------


def test_every_customer_has_a_campaign_and_the_old_calls_use_the_default(db: Db) -> None:
    (general,) = db.call("sp_listar_campanas")[0]
    assert (general["campana_id"], general["nombre"], general["modo"], general["timeout_segundos"]) == (
        1, "general", "manual", None)
    cliente = db.nuevo_cliente()
    lote = json.dumps([{"linea": 2, "nombre": "Imp"}])
    db.call("sp_importar_lote", "a" * 64, "f.csv", lote, 0)
    rows = db.query("SELECT campana_id, prioridad, en_cola, seguimiento_status FROM clientes ORDER BY id")
    assert rows == [{"campana_id": 1, "prioridad": 0, "en_cola": 1, "seguimiento_status": "nuevo"}] * 2
    # General is manual: nothing assigns them by itself.
    asesor_listo(db, "Ana", 1)
    assert distribuir(db)["asignados"] == 0
    assert db.cliente(cliente)["asesor_asignado"] is None


def test_a_campaign_is_created_and_configured_with_events(db: Db) -> None:
    ventas = campana(db, "  Ventas  ", timeout=120, prioridad=5, modo="AUTO", reciclaje=60, max_devoluciones=2)
    (row,) = [c for c in db.call("sp_listar_campanas")[0] if c["campana_id"] == ventas]
    assert (row["nombre"], row["timeout_segundos"], row["prioridad"], row["modo"], row["reciclaje_segundos"],
            row["max_devoluciones"], row["pausa_tras_timeouts"], row["activa"]) == (
        "Ventas", 120, 5, "auto", 60, 2, None, 1)
    changed = db.call_one("sp_configurar_campana", ventas, "timeout_segundos", None)
    assert changed["timeout_segundos"] is None
    db.call("sp_configurar_campana", ventas, "pausa_tras_timeouts", "2")
    db.call("sp_configurar_campana", ventas, "nombre", "Ventas Norte")
    with refused(ErrorCode.CAMPANA_EXISTS):
        db.call("sp_configurar_campana", ventas, "nombre", "general")
    payloads = [e["payload"] for e in events(db, "CAMPAIGN_CHANGED")]
    assert len(payloads) == 4 and all(e["cliente_id"] is None for e in events(db, "CAMPAIGN_CHANGED"))
    assert payloads[-1] | {"timestamp": None} == {
        "campanaId": ventas, "nombre": "Ventas Norte", "timeoutSegundos": None, "prioridad": 5, "modo": "auto",
        "reciclajeSegundos": 60, "maxDevoluciones": 2, "pausaTrasTimeouts": 2, "activa": True, "timestamp": None}


def test_each_campaign_has_its_own_timeout_and_the_sweep_reads_the_deadline(db: Db) -> None:
    rapida = campana(db, "Rapida", timeout=60, modo="manual")
    ana = db.asesor("Ana")
    corto = int(cargar(db, "Corto", rapida)["cliente_id"])
    largo = db.nuevo_cliente("Largo")
    for cliente_id in (corto, largo):
        db.call("sp_derivar_cliente", cliente_id, ana, "gtr")
    token = db.call_one("sp_tomar_cliente", corto, ana)
    assert 59 <= (token["lock_expires_at"] - db.cliente(corto)["last_activity"]).total_seconds() <= 60
    assert db.cliente(corto)["plazo_segundos"] == 60 and db.cliente(largo)["plazo_segundos"] == 300
    make_idle(db, corto, 61)
    make_idle(db, largo, 61)
    with refused(ErrorCode.INACTIVITY_EXPIRED):
        db.call("sp_heartbeat_cliente", corto, ana, token["lock_token"])
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    assert en_manos(db) == {corto: None, largo: ana}

    # A new global timeout reaches customers being worked in campaigns without one of their own.
    db.call("sp_configurar", "timeout_segundos", 30)
    assert db.cliente(largo)["plazo_segundos"] == 30
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    # And a campaign's new timeout reaches its own.
    db.call("sp_derivar_cliente", corto, ana, "gtr")
    db.call("sp_configurar_campana", rapida, "timeout_segundos", "900")
    assert db.cliente(corto)["plazo_segundos"] == 900
    (activo,) = db.query("SELECT * FROM v_clientes_activos")
    assert (activo["timeout_segundos"], activo["campana_id"]) == (900, rapida)


# --- distribution -------------------------------------------------------------------------------


def test_distribution_serves_campaign_priority_then_customer_priority_then_age(db: Db) -> None:
    baja = campana(db, "Baja", prioridad=1, modo="manual")
    alta = campana(db, "Alta", prioridad=9, modo="manual")
    orden = []
    for nombre, campana_id, prioridad in (("b-viejo", baja, 0), ("a-viejo", alta, 0), ("a-urgente", alta, 5),
                                          ("a-nuevo", alta, 0), ("b-urgente", baja, 9)):
        orden.append((nombre, int(cargar(db, nombre, campana_id, prioridad)["cliente_id"])))
        time.sleep(0.002)
    ids = dict(orden)
    asesores = [asesor_listo(db, f"A{i}", baja, alta) for i in range(3)]
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id IN (%s, %s)", (baja, alta))  # by hand: no trigger

    assert distribuir(db) == {"asignados": 3, "desconectados": 0, "omitido": 0}
    assigned = [r["cliente_id"] for r in db.query(
        "SELECT cliente_id FROM clientes_historial WHERE motivo = 'asignado' ORDER BY outbox_id")]
    assert assigned == [ids["a-urgente"], ids["a-viejo"], ids["a-nuevo"]]
    # One each: nobody got a second before everyone had a first.
    assert sorted(a for a in en_manos(db).values() if a) == sorted(asesores)


def test_asesores_least_loaded_first_then_longest_idle_and_capacity_is_kept(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual")
    for i in range(7):
        cargar(db, f"c{i}", ventas)
    cargado = asesor_listo(db, "Cargado", ventas, capacidad=3)
    db.derivado(cargado)  # holds one customer of general, by GTR
    libre = asesor_listo(db, "Libre", ventas, capacidad=3)
    sin_habilidad = asesor_listo(db, "Otra", 1, capacidad=5)
    pausado = asesor_listo(db, "Pausado", ventas, capacidad=5)
    db.call("sp_cambiar_presencia", pausado, "en_pausa", "almuerzo", "asesor")
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (ventas,))

    assert distribuir(db)["asignados"] == 5  # 2 places left for Cargado, 3 for Libre
    carga = {r["asesor_asignado"]: r["n"] for r in db.query(
        "SELECT asesor_asignado, COUNT(*) AS n FROM clientes WHERE asesor_asignado IS NOT NULL GROUP BY 1")}
    assert carga == {cargado: 3, libre: 3}
    assert sin_habilidad not in carga and pausado not in carga
    # The first customer went to the least loaded asesor.
    first = db.query("SELECT asesor_id FROM clientes_historial WHERE motivo = 'asignado' AND actor = 'system' "
                     "ORDER BY outbox_id LIMIT 1")
    assert first == [{"asesor_id": libre}]
    assert distribuir(db)["asignados"] == 0
    assert db.query("SELECT COUNT(*) AS n FROM clientes WHERE en_cola = 1")[0]["n"] == 2


def test_assignments_write_what_a_manual_derivation_writes(db: Db) -> None:
    ventas = campana(db, "Ventas")
    ana = asesor_listo(db, "Ana", ventas)
    cliente_id = int(cargar(db, "Lead", ventas)["cliente_id"])  # assigned in the same call
    assert db.cliente(cliente_id)["asesor_asignado"] == ana
    manual = db.derivado(db.asesor("Beto"))
    auto_event, manual_event = (e for e in events(db, "CLIENT_REASSIGNED"))
    assert set(auto_event["payload"]) == set(manual_event["payload"]) == {
        "clienteId", "asesorId", "previousAsesor", "timestamp"}
    assert (auto_event["payload"]["asesorId"], auto_event["payload"]["previousAsesor"]) == (ana, None)
    assert (auto_event["asesor_id"], auto_event["previous_asesor_id"]) == (ana, None)
    history = db.historial(cliente_id)[-1]
    assert (history["estado_anterior"], history["estado_nuevo"], history["actor"], history["motivo"],
            history["asesor_id"], history["outbox_id"]) == ("nuevo", "derivado", "system", "asignado", ana,
                                                            auto_event["id"])
    assert db.historial(manual)[-1]["motivo"] == "asignado"
    c = db.cliente(cliente_id)
    assert c["en_cola"] == 0 and c["vence_en"] is not None and c["plazo_segundos"] == 300


def test_an_asesor_becoming_available_gets_work_at_once(db: Db) -> None:
    ventas = campana(db, "Ventas")
    lead = int(cargar(db, "Lead", ventas)["cliente_id"])
    ana = db.asesor("Ana")
    db.call("sp_asignar_habilidad", ana, ventas)  # desconectado: nothing yet
    assert db.cliente(lead)["asesor_asignado"] is None
    result = db.call_one("sp_cambiar_presencia", ana, "disponible", None, "asesor")
    assert result == {"asesor_id": ana, "presencia": "disponible", "motivo_pausa": None, "asignados": 1}
    assert db.cliente(lead)["asesor_asignado"] == ana


def test_inactive_campaigns_and_deactivated_asesores_get_nothing(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual")
    cargar(db, "Lead", ventas)
    ana = asesor_listo(db, "Ana", ventas)
    db.call("sp_configurar_campana", ventas, "activa", "0")
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (ventas,))
    assert distribuir(db)["asignados"] == 0
    db.call("sp_desactivar_asesor", ana, "gtr")
    db.call("sp_configurar_campana", ventas, "activa", "1")
    assert distribuir(db)["asignados"] == 0


def test_a_run_is_bounded_and_a_second_run_is_skipped_while_one_runs(db: Db, conns: Any) -> None:
    ventas = campana(db, "Ventas", modo="manual")
    for i in range(5):
        cargar(db, f"c{i}", ventas)
    asesor_listo(db, "Ana", ventas, capacidad=10)
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (ventas,))
    db.set_config("distribucion_lote", 2)
    other = conns.new()
    cur = other.cursor()
    cur.execute("SELECT GET_LOCK(CONCAT(DATABASE(), '.distribuir'), 0)")
    assert cur.fetchone() == (1,)
    assert distribuir(db) == {"asignados": 0, "desconectados": 0, "omitido": 1}
    cur.execute("DO RELEASE_LOCK(CONCAT(DATABASE(), '.distribuir'))")
    assert [distribuir(db)["asignados"] for _ in range(4)] == [2, 2, 1, 0]


# --- pull and hand-back --------------------------------------------------------------------------


def test_the_pull_gives_the_best_waiting_customer_and_refuses_when_it_must(db: Db) -> None:
    ventas = campana(db, "Ventas", prioridad=1, modo="manual")
    vip = campana(db, "VIP", prioridad=5, modo="manual")
    normal = int(cargar(db, "Normal", ventas, 9)["cliente_id"])
    mejor = int(cargar(db, "Mejor", vip, 0)["cliente_id"])
    ana = asesor_listo(db, "Ana", ventas, vip, capacidad=2)
    with refused(ErrorCode.ASESOR_NOT_FOUND):
        db.call("sp_siguiente_cliente", 10**12)
    assert db.call_one("sp_siguiente_cliente", ana) == {"cliente_id": None, "campana_id": None}  # manual campaigns
    db.execute("UPDATE campanas SET modo = 'auto'")
    assert db.call_one("sp_siguiente_cliente", ana) == {"cliente_id": mejor, "campana_id": vip}
    h = db.historial(mejor)[-1]
    assert (h["actor"], h["motivo"], h["asesor_id"]) == ("asesor", "asignado", ana)
    assert db.call_one("sp_siguiente_cliente", ana) == {"cliente_id": normal, "campana_id": ventas}
    before = db.snapshot()
    with refused(ErrorCode.CAPACITY_FULL):
        db.call("sp_siguiente_cliente", ana)
    assert db.snapshot() == before
    db.call("sp_cambiar_presencia", ana, "en_pausa", "descanso", "asesor")
    before = db.snapshot()
    with refused(ErrorCode.ASESOR_NOT_AVAILABLE):
        db.call("sp_siguiente_cliente", ana)
    assert db.snapshot() == before


def test_a_customer_handed_back_waits_its_recycling_delay_and_then_stays_with_gtr(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual", reciclaje=3600, max_devoluciones=2)
    lead = int(cargar(db, "Lead", ventas)["cliente_id"])
    ana = db.asesor("Ana")
    db.call("sp_derivar_cliente", lead, ana, "gtr")
    db.call("sp_devolver_cliente", lead, ana, "  no contesta  ")
    c = db.cliente(lead)
    assert (c["seguimiento_status"], c["asesor_asignado"], c["devoluciones"], c["en_cola"]) == (
        "no_gestionado", None, 1, 1)
    assert 3599 <= (c["cola_desde"] - c["updated_at"]).total_seconds() <= 3600
    (event,) = events(db, "CLIENT_RETURNED_TO_GTR")
    assert event["payload"] | {"timestamp": None} == {
        "clienteId": lead, "reason": "devuelto_por_asesor", "previousAsesor": ana,
        "seguimiento_status": "no_gestionado", "motivo": "no contesta", "timestamp": None}
    h = db.historial(lead)[-1]
    assert (h["actor"], h["motivo"], h["asesor_anterior_id"]) == ("asesor", "devuelto_por_asesor", ana)

    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (ventas,))
    asesor_listo(db, "Bea", ventas)
    assert distribuir(db)["asignados"] == 0, "still inside its recycling delay"
    db.execute("UPDATE clientes SET cola_desde = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = %s", (lead,))
    assert distribuir(db)["asignados"] == 1
    bea = db.cliente(lead)["asesor_asignado"]
    assert db.historial(lead)[-1]["estado_anterior"] == "no_gestionado"
    db.call("sp_devolver_cliente", lead, bea, "equivocado")  # the second return: max_devoluciones
    c = db.cliente(lead)
    assert (c["devoluciones"], c["en_cola"], c["cola_desde"]) == (2, 0, None)
    db.execute("UPDATE clientes SET updated_at = updated_at - INTERVAL 2 HOUR WHERE id = %s", (lead,))
    assert distribuir(db)["asignados"] == 0
    # GTR can still assign it by hand; raising max_devoluciones puts it back in the queue.
    db.call("sp_configurar_campana", ventas, "max_devoluciones", "5")
    assert db.cliente(lead)["asesor_asignado"] is not None


# --- the sweep: recycling and consecutive timeouts -----------------------------------------------


def test_timeouts_recycle_count_and_pause_the_asesor_after_n_in_a_row(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual", reciclaje=0, max_devoluciones=1)
    db.call("sp_configurar_campana", ventas, "pausa_tras_timeouts", "2")
    ana = asesor_listo(db, "Ana", ventas, capacidad=5)
    clientes = [int(cargar(db, f"c{i}", ventas)["cliente_id"]) for i in range(3)]
    for cliente_id in clientes:
        db.call("sp_derivar_cliente", cliente_id, ana, "gtr")

    make_idle(db, clientes[0], 400)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    assert db.query("SELECT timeouts_consecutivos, presencia FROM asesores WHERE id = %s", (ana,)) == [
        {"timeouts_consecutivos": 1, "presencia": "disponible"}]
    c = db.cliente(clientes[0])
    assert (c["devoluciones"], c["en_cola"]) == (1, 0), "max_devoluciones 1: it stays with GTR"

    # Opening a customer ends the streak.
    token = db.call_one("sp_tomar_cliente", clientes[1], ana)["lock_token"]
    db.call("sp_abrir_wizard", clientes[1], ana, token)
    assert db.query("SELECT timeouts_consecutivos FROM asesores WHERE id = %s", (ana,))[0][
        "timeouts_consecutivos"] == 0
    make_idle(db, clientes[1], 400)
    make_idle(db, clientes[2], 400)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 2
    (row,) = db.query("SELECT timeouts_consecutivos, presencia, motivo_pausa FROM asesores WHERE id = %s", (ana,))
    assert row == {"timeouts_consecutivos": 2, "presencia": "en_pausa", "motivo_pausa": "timeouts"}
    paused = events(db, "ASESOR_STATUS_CHANGED")[-1]
    assert paused["payload"] | {"timestamp": None} == {
        "asesorId": ana, "presencia": "en_pausa", "motivoPausa": "timeouts", "presenciaAnterior": "disponible",
        "motivoPausaAnterior": None, "actor": "system", "timestamp": None}
    (hist,) = db.query("SELECT * FROM asesores_presencia WHERE outbox_id = %s", (paused["id"],))
    assert (hist["asesor_id"], hist["estado_nuevo"], hist["motivo_pausa"], hist["actor"]) == (
        ana, "en_pausa", "timeouts", "system")
    # Back to work: the streak starts again.
    db.call("sp_cambiar_presencia", ana, "disponible", None, "asesor")
    assert db.query("SELECT timeouts_consecutivos FROM asesores WHERE id = %s", (ana,))[0][
        "timeouts_consecutivos"] == 0


def test_the_global_threshold_applies_and_zero_never_pauses(db: Db) -> None:
    ana = asesor_listo(db, "Ana", 1, capacidad=5)
    db.call("sp_configurar", "pausa_timeouts_consecutivos", 0)
    for _ in range(4):
        make_idle(db, db.derivado(ana), 400)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 4
    assert db.query("SELECT presencia FROM asesores WHERE id = %s", (ana,))[0]["presencia"] == "disponible"
    db.call("sp_configurar", "pausa_timeouts_consecutivos", 5)
    make_idle(db, db.derivado(ana), 400)
    db.call("sp_barrido_seguimiento")
    assert db.query("SELECT presencia, timeouts_consecutivos FROM asesores WHERE id = %s", (ana,)) == [
        {"presencia": "en_pausa", "timeouts_consecutivos": 5}]


# --- presence ---------------------------------------------------------------------------------------


def test_presence_changes_write_history_and_events(db: Db) -> None:
    ana = db.asesor("Ana")
    db.call("sp_cambiar_presencia", ana, "disponible", None, "asesor")
    db.call("sp_cambiar_presencia", ana, "en_pausa", "ALMUERZO", "gtr")
    db.call("sp_cambiar_presencia", ana, "en_pausa", "reunion", "dba")
    db.call("sp_cambiar_presencia", ana, "desconectado", None, "asesor")
    changes = events(db, "ASESOR_STATUS_CHANGED")
    assert [(e["payload"]["presencia"], e["payload"]["motivoPausa"], e["payload"]["actor"]) for e in changes] == [
        ("disponible", None, "asesor"), ("en_pausa", "almuerzo", "gtr"), ("en_pausa", "reunion", "dba"),
        ("desconectado", None, "asesor")]
    assert all(e["asesor_id"] == ana and e["cliente_id"] is None for e in changes)
    history = db.query("SELECT * FROM asesores_presencia ORDER BY id")
    assert [h["outbox_id"] for h in history] == [e["id"] for e in changes]
    assert [h["estado_anterior"] for h in history] == ["desconectado", "disponible", "en_pausa", "en_pausa"]
    db.call("sp_configurar_motivo_pausa", "cafe", "Coffee", 1)
    db.call("sp_cambiar_presencia", ana, "en_pausa", "cafe", "asesor")
    db.call("sp_configurar_motivo_pausa", "cafe", "Coffee", 0)
    assert "cafe" not in {m["codigo"] for m in db.call("sp_listar_motivos_pausa")[0]}
    with refused(ErrorCode.PAUSE_REASON_INVALID):
        db.call("sp_cambiar_presencia", ana, "en_pausa", "cafe", "asesor")
    panel = db.call("sp_panel_asesores")[0][0]
    assert (panel["presencia"], panel["motivo_pausa"], panel["carga"], panel["capacidad"]) == (
        "en_pausa", "cafe", 0, 1)


def test_asesores_without_a_live_socket_anywhere_go_desconectado(db: Db) -> None:
    ana, bea, carla = db.asesor("Ana"), db.asesor("Bea"), db.asesor("Carla")
    for asesor in (ana, bea):
        db.call("sp_cambiar_presencia", asesor, "disponible", None, "asesor")  # seen: its dashboard is open
    db.call("sp_cambiar_presencia", carla, "disponible", None, "dba")  # never seen by a gateway
    db.set_config("presencia_socket_segundos", 5)
    db.execute("UPDATE asesores_conexion SET visto_at = UTC_TIMESTAMP(6) - INTERVAL 6 SECOND")
    # One gateway still has Bea's socket (and reports an unknown id too: ignored).
    assert db.call_one("sp_reportar_conectados", json.dumps([bea, bea, 10**12])) == {"vistos": 1}
    assert distribuir(db) == {"asignados": 0, "desconectados": 1, "omitido": 0}
    presencia = {r["id"]: r["presencia"] for r in db.query("SELECT id, presencia FROM asesores")}
    assert presencia == {ana: "desconectado", bea: "disponible", carla: "disponible"}
    last = events(db, "ASESOR_STATUS_CHANGED")[-1]
    assert (last["asesor_id"], last["payload"]["presencia"], last["payload"]["actor"]) == (
        ana, "desconectado", "system")
    assert distribuir(db)["desconectados"] == 0
    assert db.call_one("sp_reportar_conectados", "[]") == {"vistos": 0}


def test_skills_and_capacity_write_events(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual")
    ana = db.asesor("Ana")
    assert db.call_one("sp_asignar_habilidad", ana, ventas)["cambiado"] == 1
    assert db.call_one("sp_asignar_habilidad", ana, 1)["cambiado"] == 1
    assert db.call_one("sp_asignar_habilidad", ana, 1)["cambiado"] == 0
    assert db.call_one("sp_quitar_habilidad", ana, ventas)["cambiado"] == 1
    assert db.call_one("sp_quitar_habilidad", ana, ventas)["cambiado"] == 0
    skills = [e["payload"] for e in events(db, "ASESOR_SKILLS_CHANGED")]
    assert [(p["campanaId"], p["habilidad"], p["campanas"]) for p in skills] == [
        (ventas, True, [ventas]), (1, True, [1, ventas]), (ventas, False, [1])]
    db.call("sp_fijar_capacidad", ana, 4)
    (cap,) = events(db, "ASESOR_CAPACITY_CHANGED")
    assert (cap["payload"]["capacidad"], cap["payload"]["capacidadAnterior"]) == (4, 1)
    assert json.loads(db.call("sp_panel_asesores")[0][0]["campanas"]) == [1]


# --- reporting views ----------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, 0)


def test_the_campaign_day_view_counts_and_measures_speed_to_lead(db: Db) -> None:
    ventas = campana(db, "Ventas", modo="manual")
    ana = db.asesor("Ana")
    # Five leads of one day: opened after 10, 20, 30, 400 s; one never opened.
    speeds = [10, 20, 30, 400, None]
    for i, speed in enumerate(speeds):
        cliente_id = int(cargar(db, f"c{i}", ventas)["cliente_id"])
        db.call("sp_derivar_cliente", cliente_id, ana, "gtr")
        times = [T0, T0 + timedelta(seconds=5)]
        if speed is not None:
            token = db.call_one("sp_tomar_cliente", cliente_id, ana)["lock_token"]
            db.call("sp_abrir_wizard", cliente_id, ana, token)
            times.append(T0 + timedelta(seconds=speed))
        for history_id, when in zip([h["id"] for h in db.historial(cliente_id)], times, strict=True):
            db.execute("UPDATE clientes_historial SET created_at = %s WHERE id = %s", (when, history_id))
    (row,) = db.query("SELECT * FROM v_campana_diaria WHERE campana_id = %s", (ventas,))
    assert (row["dia"], row["cargados"], row["asignados"], row["abiertos"]) == (T0.date(), 5, 5, 4)
    assert row["mediana_segundos_hasta_abrir"] == Decimal(25)
    assert row["p90_segundos_hasta_abrir"] == Decimal(400)
    assert row["nivel_servicio"] == Decimal("0.6") and row["nivel_servicio_segundos"] == 300
    db.call("sp_configurar", "nivel_servicio_segundos", 15)
    (row,) = db.query("SELECT nivel_servicio FROM v_campana_diaria WHERE campana_id = %s", (ventas,))
    assert row["nivel_servicio"] == Decimal("0.2")


def test_the_presence_view_adds_up_time_per_state_and_reason(db: Db) -> None:
    ana = db.asesor("Ana")
    steps = [("disponible", None, 0), ("en_pausa", "almuerzo", 600), ("disponible", None, 1800),
             ("en_pausa", "descanso", 2000), ("desconectado", None, 2300)]
    for presencia, motivo, _ in steps:
        db.call("sp_cambiar_presencia", ana, presencia, motivo, "asesor")
    for (_, _, offset), h in zip(steps, db.query("SELECT id FROM asesores_presencia ORDER BY id"), strict=True):
        db.execute("UPDATE asesores_presencia SET created_at = %s WHERE id = %s",
                   (T0 + timedelta(seconds=offset), h["id"]))
    rows = {(r["presencia"], r["motivo_pausa"]): r for r in db.query(
        "SELECT * FROM v_presencia_asesor WHERE asesor_id = %s AND presencia <> 'desconectado'", (ana,))}
    assert {k: (int(v["segundos"]), v["veces"]) for k, v in rows.items()} == {
        ("disponible", None): (600 + 200, 2), ("en_pausa", "almuerzo"): (1200, 1),
        ("en_pausa", "descanso"): (300, 1)}
