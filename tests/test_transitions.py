"""Every move of the follow-up state machine, allowed and refused, through the procedures.

An allowed move is checked as a whole: the customer's state columns, its history row and its
outbox event (type and parsed payload), which must share one timestamp and be linked by
history.outbox_id. A refused move must signal its catalogue code and change nothing at all
(Db.snapshot() before and after). The other public procedures (tokens, board, reads, outbox
retention, health) are covered at the end.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.db.errors import ErrorCode
from tests.support import Db, Row, refused

ASESOR_PROCS_WITH_TOKEN = (
    "sp_heartbeat_cliente",
    "sp_abrir_wizard",
    "sp_completar_wizard",
    "sp_liberar_cliente",
)


def event_time(payload: dict[str, Any]) -> datetime:
    return datetime.strptime(payload["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")


def last_change(db: Db, cliente_id: int) -> tuple[Row, Row]:
    """The customer's newest history row and the outbox event it links to (the newest event)."""
    history = db.historial(cliente_id)[-1]
    outbox = db.outbox()[-1]
    assert history["outbox_id"] == outbox["id"], "history row must link to the newest outbox event"
    assert outbox["cliente_id"] == cliente_id
    assert history["created_at"] == outbox["created_at"] == event_time(outbox["payload"])
    return history, outbox


def assert_refused(db: Db, code: ErrorCode, procedure: str, *args: Any) -> None:
    """The call signals ``code`` and leaves every data table exactly as it was."""
    before = db.snapshot()
    with refused(code):
        db.call(procedure, *args)
    assert db.snapshot() == before


def call_with_token(db: Db, procedure: str, cliente_id: int, asesor_id: int, token: str | None) -> None:
    """Any of the token-taking asesor procedures, with a harmless datos for sp_actualizar_cliente."""
    if procedure == "sp_actualizar_cliente":
        db.call(procedure, cliente_id, asesor_id, token, '{"nota": "x"}')
    else:
        db.call(procedure, cliente_id, asesor_id, token)


def asesor_call_args(procedure: str, cliente_id: int, asesor_id: int, token: str | None) -> tuple[Any, ...]:
    if procedure == "sp_tomar_cliente":
        return (cliente_id, asesor_id)
    if procedure == "sp_actualizar_cliente":
        return (cliente_id, asesor_id, token, '{"nota": "x"}')
    return (cliente_id, asesor_id, token)


def make_idle(db: Db, cliente_id: int, seconds: float) -> None:
    """Pretend the customer's last activity was ``seconds`` ago (faster than sleeping)."""
    db.execute(
        "UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL %s MICROSECOND WHERE id = %s",
        (int(seconds * 1_000_000), cliente_id),
    )


def now_utc(db: Db) -> datetime:
    return db.query("SELECT UTC_TIMESTAMP(6) AS t")[0]["t"]


# --- allowed moves ------------------------------------------------------------------------


def test_cargar_cliente_creates_a_nuevo_customer_with_its_event(db: Db) -> None:
    cliente_id = int(db.call_one("sp_cargar_cliente", "Juan Pérez", "+51 999-888 777", '{"origen": "web"}')
                     ["cliente_id"])
    c = db.cliente(cliente_id)
    assert c["seguimiento_status"] == "nuevo"
    assert c["nombre"] == "Juan Pérez" and c["telefono"] == "+51999888777"
    assert json.loads(c["datos"]) == {"origen": "web"}
    assert c["asesor_asignado"] is None and c["last_activity"] is None and c["lock_token"] is None
    assert c["derivado_at"] is None and c["opened_at"] is None and c["wizard_completado"] == 0

    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == (None, "nuevo")
    assert (history["actor"], history["motivo"]) == ("gtr", "cargado")
    assert history["created_at"] == c["created_at"]
    assert event["event_type"] == "CLIENT_CREATED"
    assert event["payload"] == {
        "clienteId": cliente_id, "nombre": "Juan Pérez", "telefono": "+51999888777",
        "seguimiento_status": "nuevo", "campanaId": 1, "prioridad": 0, "timestamp": event["payload"]["timestamp"],
    }


@pytest.mark.parametrize("actor", ["gtr", "dba"])
def test_nuevo_to_derivado(db: Db, actor: str) -> None:
    asesor = db.asesor()
    cliente_id = db.nuevo_cliente()
    assert db.call("sp_derivar_cliente", cliente_id, asesor, actor) == []

    c = db.cliente(cliente_id)
    assert c["seguimiento_status"] == "derivado" and c["asesor_asignado"] == asesor
    assert c["derivado_at"] == c["last_activity"] == c["updated_at"]
    assert c["opened_at"] is None and c["lock_token"] is None

    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("nuevo", "derivado")
    assert (history["asesor_id"], history["asesor_anterior_id"]) == (asesor, None)
    assert (history["actor"], history["motivo"]) == (actor, "asignado")
    assert history["created_at"] == c["derivado_at"]
    assert event["event_type"] == "CLIENT_REASSIGNED"
    assert (event["asesor_id"], event["previous_asesor_id"]) == (asesor, None)
    assert event["payload"] == {"clienteId": cliente_id, "asesorId": asesor, "previousAsesor": None,
                                "timestamp": event["payload"]["timestamp"]}


def test_no_gestionado_to_derivado(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id = db.derivado(ana)
    make_idle(db, cliente_id, 301)
    assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
    assert db.cliente(cliente_id)["seguimiento_status"] == "no_gestionado"

    db.call("sp_derivar_cliente", cliente_id, bea, "gtr")
    c = db.cliente(cliente_id)
    assert (c["seguimiento_status"], c["asesor_asignado"]) == ("derivado", bea)
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("no_gestionado", "derivado")
    # The sweep already took the customer from Ana: nobody is displaced by this assignment.
    assert (history["asesor_anterior_id"], history["motivo"]) == (None, "asignado")
    assert event["event_type"] == "CLIENT_REASSIGNED"
    assert event["payload"]["previousAsesor"] is None and event["payload"]["asesorId"] == bea


def test_derivado_to_derivado_moves_the_customer_to_another_asesor(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, token = db.tomado(ana)

    db.call("sp_derivar_cliente", cliente_id, bea, "gtr")
    c = db.cliente(cliente_id)
    assert (c["seguimiento_status"], c["asesor_asignado"]) == ("derivado", bea)
    assert c["lock_token"] is None and c["lock_asesor_id"] is None
    assert c["derivado_at"] == c["last_activity"]
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("derivado", "derivado")
    assert (history["asesor_id"], history["asesor_anterior_id"]) == (bea, ana)
    assert history["motivo"] == "reasignado"
    assert event["event_type"] == "CLIENT_REASSIGNED"
    assert (event["asesor_id"], event["previous_asesor_id"]) == (bea, ana)
    assert event["payload"] == {"clienteId": cliente_id, "asesorId": bea, "previousAsesor": ana,
                                "timestamp": event["payload"]["timestamp"]}
    # Ana lost the customer, token and all.
    assert_refused(db, ErrorCode.NOT_ASSIGNED, "sp_heartbeat_cliente", cliente_id, ana, token)


def test_gtr_reassigns_a_customer_en_gestion_and_the_old_asesor_loses_its_lock(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, token = db.en_gestion(ana)

    db.call("sp_derivar_cliente", cliente_id, bea, "gtr")
    c = db.cliente(cliente_id)
    assert (c["seguimiento_status"], c["asesor_asignado"]) == ("derivado", bea)
    assert c["opened_at"] is None, "Bea has not opened the wizard yet"
    assert c["lock_token"] is None and c["lock_asesor_id"] is None
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("en_gestion", "derivado")
    assert (history["asesor_id"], history["asesor_anterior_id"], history["actor"]) == (bea, ana, "gtr")
    assert event["event_type"] == "CLIENT_REASSIGNED" and event["payload"]["previousAsesor"] == ana

    for procedure in (*ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"):
        before = db.snapshot()
        with refused(ErrorCode.NOT_ASSIGNED):
            call_with_token(db, procedure, cliente_id, ana, token)
        assert db.snapshot() == before
    # Even Bea cannot use the old lock: it died with the reassignment.
    assert_refused(db, ErrorCode.LOCK_INVALID, "sp_abrir_wizard", cliente_id, bea, token)


def test_derivado_to_en_gestion(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.tomado(asesor)
    derivado_at = db.cliente(cliente_id)["derivado_at"]

    assert db.call("sp_abrir_wizard", cliente_id, asesor, token) == []
    c = db.cliente(cliente_id)
    assert (c["seguimiento_status"], c["asesor_asignado"]) == ("en_gestion", asesor)
    assert c["opened_at"] == c["last_activity"] and c["opened_at"] > derivado_at
    assert c["derivado_at"] == derivado_at and c["lock_token"] == token
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("derivado", "en_gestion")
    assert (history["asesor_id"], history["actor"], history["motivo"]) == (asesor, "asesor", "wizard_abierto")
    assert history["created_at"] == c["opened_at"]
    assert event["event_type"] == "CLIENT_IN_GESTION"
    assert event["payload"] == {"clienteId": cliente_id, "asesorId": asesor,
                                "timestamp": event["payload"]["timestamp"]}


def test_en_gestion_to_terminado(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    opened_at = db.cliente(cliente_id)["opened_at"]

    assert db.call("sp_completar_wizard", cliente_id, asesor, token) == []
    c = db.cliente(cliente_id)
    assert c["seguimiento_status"] == "terminado"
    assert c["wizard_completado"] == 1 and c["fecha_wizard_completado"] > opened_at
    assert c["asesor_asignado"] is None and c["last_activity"] is None
    assert c["lock_token"] is None and c["lock_asesor_id"] is None
    assert c["opened_at"] == opened_at
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("en_gestion", "terminado")
    assert (history["asesor_id"], history["actor"], history["motivo"]) == (asesor, "asesor", "wizard_completado")
    assert history["created_at"] == c["fecha_wizard_completado"]
    assert event["event_type"] == "CLIENT_COMPLETED" and event["asesor_id"] == asesor
    assert event["payload"] == {"clienteId": cliente_id, "asesorId": asesor,
                                "timestamp": event["payload"]["timestamp"]}


@pytest.mark.parametrize("estado", ["derivado", "en_gestion"])
def test_the_sweep_returns_an_idle_customer_to_gtr(db: Db, estado: str) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor) if estado == "en_gestion" else db.tomado(asesor)
    make_idle(db, cliente_id, 300.5)

    assert db.call_one("sp_barrido_seguimiento") == {"devueltos": 1, "omitido": 0}
    c = db.cliente(cliente_id)
    assert c["seguimiento_status"] == "no_gestionado"
    assert c["asesor_asignado"] is None and c["last_activity"] is None
    assert c["lock_token"] is None and c["lock_asesor_id"] is None
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == (estado, "no_gestionado")
    assert (history["asesor_id"], history["asesor_anterior_id"]) == (None, asesor)
    assert (history["actor"], history["motivo"]) == ("system", "timeout_no_gestionado")
    assert event["event_type"] == "CLIENT_RETURNED_TO_GTR"
    assert (event["asesor_id"], event["previous_asesor_id"]) == (None, asesor)
    assert event["payload"] == {
        "clienteId": cliente_id, "reason": "timeout_no_gestionado", "previousAsesor": asesor,
        "seguimiento_status": "no_gestionado", "timestamp": event["payload"]["timestamp"],
    }
    assert_refused(db, ErrorCode.INVALID_TRANSITION, "sp_heartbeat_cliente", cliente_id, asesor, token)


def test_every_history_row_links_to_its_own_outbox_event(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, token = db.en_gestion(ana)
    db.call("sp_actualizar_cliente", cliente_id, ana, token, '{"interes": "alto"}')
    db.call("sp_derivar_cliente", cliente_id, bea, "gtr")
    token = db.call_one("sp_tomar_cliente", cliente_id, bea)["lock_token"]
    db.call("sp_abrir_wizard", cliente_id, bea, token)
    db.call("sp_completar_wizard", cliente_id, bea, token)

    rows = db.query(
        "SELECT h.estado_anterior, h.estado_nuevo, o.event_type, h.created_at = o.created_at AS same_time,"
        "       o.cliente_id = h.cliente_id AS same_cliente"
        "  FROM clientes_historial h JOIN outbox o ON o.id = h.outbox_id ORDER BY h.id")
    assert [(r["estado_anterior"], r["estado_nuevo"], r["event_type"]) for r in rows] == [
        (None, "nuevo", "CLIENT_CREATED"),
        ("nuevo", "derivado", "CLIENT_REASSIGNED"),
        ("derivado", "en_gestion", "CLIENT_IN_GESTION"),
        ("en_gestion", "en_gestion", "CLIENT_UPDATED"),
        ("en_gestion", "derivado", "CLIENT_REASSIGNED"),
        ("derivado", "en_gestion", "CLIENT_IN_GESTION"),
        ("en_gestion", "terminado", "CLIENT_COMPLETED"),
    ]
    assert all(r["same_time"] and r["same_cliente"] for r in rows)
    assert [o["id"] for o in db.outbox()] == list(range(1, 8))
    assert db.query("SELECT ultimo_id FROM outbox_secuencia")[0]["ultimo_id"] == 7


# --- refused moves --------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", ["sp_tomar_cliente", *ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"])
def test_a_terminado_customer_cannot_be_worked(db: Db, procedure: str) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    db.call("sp_completar_wizard", cliente_id, asesor, token)
    assert_refused(db, ErrorCode.INVALID_TRANSITION, procedure,
                   *asesor_call_args(procedure, cliente_id, asesor, token))


@pytest.mark.parametrize("to", ["same", "other"])
def test_a_terminado_customer_cannot_be_assigned_again(db: Db, to: str) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, token = db.en_gestion(ana)
    db.call("sp_completar_wizard", cliente_id, ana, token)
    assert_refused(db, ErrorCode.INVALID_TRANSITION, "sp_derivar_cliente",
                   cliente_id, ana if to == "same" else bea, "gtr")


@pytest.mark.parametrize("estado", ["derivado", "en_gestion"])
def test_reassigning_to_the_same_asesor_is_refused(db: Db, estado: str) -> None:
    asesor = db.asesor()
    cliente_id, _token = db.en_gestion(asesor) if estado == "en_gestion" else db.tomado(asesor)
    assert_refused(db, ErrorCode.INVALID_TRANSITION, "sp_derivar_cliente", cliente_id, asesor, "gtr")


def test_opening_the_wizard_twice_is_refused(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    assert_refused(db, ErrorCode.INVALID_TRANSITION, "sp_abrir_wizard", cliente_id, asesor, token)


def test_completing_before_opening_is_refused(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.tomado(asesor)
    assert_refused(db, ErrorCode.INVALID_TRANSITION, "sp_completar_wizard", cliente_id, asesor, token)


@pytest.mark.parametrize("estado", ["nuevo", "no_gestionado"])
@pytest.mark.parametrize("procedure", ["sp_tomar_cliente", *ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"])
def test_nobody_works_an_unassigned_customer(db: Db, estado: str, procedure: str) -> None:
    asesor = db.asesor()
    if estado == "nuevo":
        cliente_id, token = db.nuevo_cliente(), str(uuid.uuid4())
    else:
        cliente_id, token = db.tomado(asesor)
        make_idle(db, cliente_id, 400)
        db.call("sp_barrido_seguimiento")
    assert db.cliente(cliente_id)["seguimiento_status"] == estado
    assert_refused(db, ErrorCode.INVALID_TRANSITION, procedure,
                   *asesor_call_args(procedure, cliente_id, asesor, token))


@pytest.mark.parametrize("procedure", ["sp_tomar_cliente", *ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"])
def test_another_asesor_cannot_work_the_customer(db: Db, procedure: str) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, token = db.en_gestion(ana) if procedure == "sp_completar_wizard" else db.tomado(ana)
    # Bea uses Ana's real token: the assignment is checked, not only the token.
    assert_refused(db, ErrorCode.NOT_ASSIGNED, procedure, *asesor_call_args(procedure, cliente_id, bea, token))


def bad_tokens(token: str) -> dict[str, str | None]:
    return {
        "missing": None,
        "empty": "",
        "random": str(uuid.uuid4()),
        "other case": token.upper() if token != token.upper() else token.lower(),
        "with a space": token + " ",
        "prefix": token[:35],
    }


@pytest.mark.parametrize("kind", ["missing", "empty", "random", "other case", "with a space", "prefix"])
@pytest.mark.parametrize("procedure", [*ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"])
def test_a_wrong_lock_token_is_refused(db: Db, procedure: str, kind: str) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor) if procedure == "sp_completar_wizard" else db.tomado(asesor)
    wrong = bad_tokens(token)[kind]
    assert wrong != token
    assert_refused(db, ErrorCode.LOCK_INVALID, procedure, *asesor_call_args(procedure, cliente_id, asesor, wrong))


def test_an_old_token_dies_when_the_lock_is_released(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, old = db.tomado(asesor)
    db.call("sp_liberar_cliente", cliente_id, asesor, old)
    assert_refused(db, ErrorCode.LOCK_INVALID, "sp_abrir_wizard", cliente_id, asesor, old)

    new = db.call_one("sp_tomar_cliente", cliente_id, asesor)["lock_token"]
    assert new != old
    for procedure in (*ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"):
        before = db.snapshot()
        with refused(ErrorCode.LOCK_INVALID):
            call_with_token(db, procedure, cliente_id, asesor, old)
        assert db.snapshot() == before
    db.call("sp_heartbeat_cliente", cliente_id, asesor, new)


def test_a_customer_idle_past_the_timeout_is_refused_even_before_the_sweep(db: Db) -> None:
    asesor = db.asesor()
    tomado, token_tomado = db.tomado(asesor)
    abierto, token_abierto = db.en_gestion(asesor)
    db.set_config("timeout_segundos", 1)
    time.sleep(1.1)

    for procedure in ("sp_tomar_cliente", *ASESOR_PROCS_WITH_TOKEN, "sp_actualizar_cliente"):
        cliente_id, token = (abierto, token_abierto) if procedure == "sp_completar_wizard" \
            else (tomado, token_tomado)
        assert_refused(db, ErrorCode.INACTIVITY_EXPIRED, procedure,
                       *asesor_call_args(procedure, cliente_id, asesor, token))
    # GTR may still move it: the sweep would have returned it to GTR anyway.
    db.call("sp_derivar_cliente", tomado, db.asesor("Bea"), "gtr")


@pytest.mark.parametrize("actor", ["asesor", "system", "", None, "gtr; --", "x" * 11])
def test_only_gtr_or_a_dba_assigns(db: Db, actor: str | None) -> None:
    asesor = db.asesor()
    cliente_id = db.nuevo_cliente()
    assert_refused(db, ErrorCode.INVALID_INPUT, "sp_derivar_cliente", cliente_id, asesor, actor)


def test_actor_is_recorded_in_lower_case(db: Db) -> None:
    asesor = db.asesor()
    cliente_id = db.nuevo_cliente()
    db.call("sp_derivar_cliente", cliente_id, asesor, "DBA")
    assert db.historial(cliente_id)[-1]["actor"] == "dba"


def test_assigning_to_an_inactive_or_unknown_asesor_is_refused(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    db.execute("UPDATE asesores SET activo = 0 WHERE id = %s", (bea,))
    nuevo = db.nuevo_cliente()
    assert_refused(db, ErrorCode.ASESOR_NOT_FOUND, "sp_derivar_cliente", nuevo, bea, "gtr")
    assert_refused(db, ErrorCode.ASESOR_NOT_FOUND, "sp_derivar_cliente", nuevo, bea + 1000, "gtr")
    derivado = db.derivado(ana)
    assert_refused(db, ErrorCode.ASESOR_NOT_FOUND, "sp_derivar_cliente", derivado, bea, "gtr")


def test_assigning_an_unknown_customer_is_refused(db: Db) -> None:
    asesor = db.asesor()
    assert_refused(db, ErrorCode.CLIENTE_NOT_FOUND, "sp_derivar_cliente", 10**12, asesor, "gtr")


def test_lock_held_by_another_asesor_is_refused(db: Db) -> None:
    # The procedures never leave a lock owned by anyone but the assigned asesor (assignment
    # drops it), so LOCK_HELD can only follow a hand edit of the table, e.g. a DBA moving
    # asesor_asignado with an UPDATE instead of sp_derivar_cliente. We make that edit here.
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    cliente_id, _token = db.tomado(ana)
    db.execute("UPDATE clientes SET asesor_asignado = %s WHERE id = %s", (bea, cliente_id))
    assert_refused(db, ErrorCode.LOCK_HELD, "sp_tomar_cliente", cliente_id, bea)

    otro = db.derivado(ana)
    db.execute("UPDATE clientes SET lock_token = %s, lock_asesor_id = %s WHERE id = %s",
               (str(uuid.uuid4()), bea, otro))
    assert_refused(db, ErrorCode.LOCK_HELD, "sp_tomar_cliente", otro, ana)


# --- taking, heartbeat, release, update ---------------------------------------------------------


def test_taking_again_while_the_lock_lives_returns_the_same_token(db: Db) -> None:
    asesor = db.asesor()
    cliente_id = db.derivado(asesor)
    events = len(db.outbox())
    first = db.call_one("sp_tomar_cliente", cliente_id, asesor)
    c = db.cliente(cliente_id)
    assert c["lock_token"] == first["lock_token"] and c["lock_asesor_id"] == asesor
    assert len(first["lock_token"]) == 36
    assert first["lock_expires_at"] == c["last_activity"] + timedelta(seconds=300)

    second = db.call_one("sp_tomar_cliente", cliente_id, asesor)
    assert second["lock_token"] == first["lock_token"]
    assert second["lock_expires_at"] > first["lock_expires_at"]
    assert db.cliente(cliente_id)["seguimiento_status"] == "derivado"
    assert len(db.outbox()) == events and len(db.historial(cliente_id)) == events


@pytest.mark.parametrize("procedure", ["sp_tomar_cliente", "sp_heartbeat_cliente", "sp_liberar_cliente",
                                       "sp_actualizar_cliente", "sp_abrir_wizard"])
def test_every_asesor_action_refreshes_last_activity(db: Db, procedure: str) -> None:
    asesor = db.asesor()
    cliente_id, token = db.tomado(asesor)
    make_idle(db, cliente_id, 200)
    stale = db.cliente(cliente_id)["last_activity"]
    before_call = now_utc(db)

    db.call(procedure, *asesor_call_args(procedure, cliente_id, asesor, token))
    fresh = db.cliente(cliente_id)["last_activity"]
    assert fresh >= before_call > stale
    assert fresh <= now_utc(db)


def test_completing_refreshes_activity_by_ending_it(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    make_idle(db, cliente_id, 200)
    db.call("sp_completar_wizard", cliente_id, asesor, token)
    assert db.cliente(cliente_id)["last_activity"] is None


def test_heartbeat_writes_no_history_and_no_event(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    before = db.snapshot()
    row = db.call_one("sp_heartbeat_cliente", cliente_id, asesor, token)
    after = db.snapshot()
    assert after["clientes_historial"] == before["clientes_historial"]
    assert after["outbox"] == before["outbox"] and after["outbox_secuencia"] == before["outbox_secuencia"]
    c = db.cliente(cliente_id)
    assert row["lock_expires_at"] == c["last_activity"] + timedelta(seconds=300)
    assert c["seguimiento_status"] == "en_gestion" and c["lock_token"] == token


def test_liberar_drops_the_lock_and_keeps_the_assignment(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, token = db.en_gestion(asesor)
    events = db.outbox()
    assert db.call("sp_liberar_cliente", cliente_id, asesor, token) == []
    c = db.cliente(cliente_id)
    assert (c["seguimiento_status"], c["asesor_asignado"]) == ("en_gestion", asesor)
    assert c["lock_token"] is None and c["lock_asesor_id"] is None
    assert db.outbox() == events and len(db.historial(cliente_id)) == len(events)


def test_actualizar_merges_datos_and_updates_contact_fields(db: Db) -> None:
    asesor = db.asesor()
    cliente_id = int(db.call_one("sp_cargar_cliente", "Juan", "999888777", '{"a": 1, "b": {"c": 2}, "d": 4}')
                     ["cliente_id"])
    db.call("sp_derivar_cliente", cliente_id, asesor, "gtr")
    token = db.call_one("sp_tomar_cliente", cliente_id, asesor)["lock_token"]

    db.call("sp_actualizar_cliente", cliente_id, asesor, token,
            '{"b": {"e": 5}, "d": null, "f": [1, 2], "nombre": "  Juan Carlos ", "telefono": "(01) 234-5678"}')
    c = db.cliente(cliente_id)
    assert json.loads(c["datos"]) == {"a": 1, "b": {"c": 2, "e": 5}, "f": [1, 2]}
    assert (c["nombre"], c["telefono"]) == ("Juan Carlos", "012345678")
    assert c["seguimiento_status"] == "derivado"
    history, event = last_change(db, cliente_id)
    assert (history["estado_anterior"], history["estado_nuevo"]) == ("derivado", "derivado")
    assert (history["actor"], history["motivo"], history["asesor_id"]) == ("asesor", "datos_actualizados", asesor)
    assert event["event_type"] == "CLIENT_UPDATED"
    assert event["payload"] == {
        "clienteId": cliente_id, "asesorId": asesor, "nombre": "Juan Carlos", "telefono": "012345678",
        "datos": {"a": 1, "b": {"c": 2, "e": 5}, "f": [1, 2]}, "timestamp": event["payload"]["timestamp"],
    }

    # Only nombre: telefono is kept (and re-validated as stored).
    db.call("sp_actualizar_cliente", cliente_id, asesor, token, '{"nombre": "Juana"}')
    c = db.cliente(cliente_id)
    assert (c["nombre"], c["telefono"]) == ("Juana", "012345678")
    # telefono null clears the phone, as a NULL telefono does in sp_cargar_cliente.
    db.call("sp_actualizar_cliente", cliente_id, asesor, token, '{"telefono": null}')
    assert db.cliente(cliente_id)["telefono"] is None


@pytest.mark.parametrize("patch", [
    '{"telefono": "12ab"}', '{"telefono": "12345"}', '{"nombre": ""}', '{"nombre": "   "}',
    '{"nombre": null}', '{"nombre": {"x": 1}}', '{"nombre": ["Ana"]}', '{"telefono": {"n": 1}}',
    '{"nombre": "' + "n" * 201 + '"}',
])
def test_actualizar_validates_contact_fields(db: Db, patch: str) -> None:
    asesor = db.asesor()
    cliente_id, token = db.tomado(asesor)
    assert_refused(db, ErrorCode.INVALID_INPUT, "sp_actualizar_cliente", cliente_id, asesor, token, patch)


# --- tokens of the gateway ----------------------------------------------------------------------


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_tokens_are_created_validated_and_revoked(db: Db) -> None:
    asesor = db.asesor()
    gtr_id = int(db.call_one("sp_crear_token", sha("gtr-secret"), "gtr", None, "supervisor desk")["token_id"])
    ase_id = int(db.call_one("sp_crear_token", sha("ana-secret"), "asesor", asesor, None)["token_id"])
    stored = db.query("SELECT token_sha256, rol, asesor_id, descripcion, revoked_at FROM api_tokens ORDER BY id")
    assert stored == [
        {"token_sha256": sha("gtr-secret"), "rol": "gtr", "asesor_id": None,
         "descripcion": "supervisor desk", "revoked_at": None},
        {"token_sha256": sha("ana-secret"), "rol": "asesor", "asesor_id": asesor,
         "descripcion": None, "revoked_at": None},
    ]

    expires = db.query("SELECT expires_at FROM api_tokens WHERE id = %s", (ase_id,))[0]["expires_at"]
    assert db.call("sp_validar_token", sha("gtr-secret")) == [[{"token_id": gtr_id, "rol": "gtr", "asesor_id": None,
                                                               "expires_at": None}]]
    assert db.call("sp_validar_token", sha("ana-secret")) == [[{"token_id": ase_id, "rol": "asesor",
                                                               "asesor_id": asesor, "expires_at": expires}]]
    assert db.call("sp_validar_token", sha("unknown")) == [[]]

    assert db.call_one("sp_revocar_token", gtr_id) == {"revocados": 1}
    assert db.call("sp_validar_token", sha("gtr-secret")) == [[]]
    assert db.call_one("sp_revocar_token", gtr_id) == {"revocados": 0}

    # An asesor token stops working when its asesor is deactivated.
    db.execute("UPDATE asesores SET activo = 0 WHERE id = %s", (asesor,))
    assert db.call("sp_validar_token", sha("ana-secret")) == [[]]


def test_token_creation_is_refused_for_bad_roles(db: Db) -> None:
    asesor = db.asesor()
    db.execute("UPDATE asesores SET activo = 0 WHERE id = %s", (asesor,))
    assert_refused(db, ErrorCode.ASESOR_NOT_FOUND, "sp_crear_token", sha("a"), "asesor", asesor, None)
    assert_refused(db, ErrorCode.ASESOR_NOT_FOUND, "sp_crear_token", sha("a"), "asesor", None, None)
    assert_refused(db, ErrorCode.INVALID_INPUT, "sp_crear_token", sha("a"), "gtr", asesor, None)
    assert_refused(db, ErrorCode.INVALID_INPUT, "sp_crear_token", sha("a"), "admin", None, None)


def test_the_same_token_cannot_be_recorded_twice(db: Db) -> None:
    db.call("sp_crear_token", sha("twice"), "gtr", None, None)
    assert_refused(db, ErrorCode.INVALID_INPUT, "sp_crear_token", sha("twice"), "gtr", None, None)


# --- reads --------------------------------------------------------------------------------------


def test_listar_clientes_filters_pages_and_names_its_snapshot(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    nuevos = [db.nuevo_cliente() for _ in range(2)]
    de_ana = [db.derivado(ana) for _ in range(2)]
    de_bea, _token = db.tomado(bea)
    todos = sorted([*nuevos, *de_ana, de_bea], reverse=True)

    def listar(estado: str | None, asesor: int | None, limite: int, desde: int) -> tuple[Row, list[Row]]:
        head, page = db.call("sp_listar_clientes", estado, asesor, limite, desde)
        assert len(head) == 1
        return head[0], page

    head, page = listar(None, None, 100, 0)
    assert head == {"snapshot_outbox_id": len(db.outbox()), "total": 5, "timeout_segundos": 300}
    assert [r["cliente_id"] for r in page] == todos
    assert "lock_token" not in page[0]
    assert {r["cliente_id"]: r["bloqueado"] for r in page}[de_bea] == 1
    assert {r["cliente_id"]: r["bloqueado"] for r in page}[de_ana[0]] == 0

    assert [r["cliente_id"] for r in listar("nuevo", None, 100, 0)[1]] == sorted(nuevos, reverse=True)
    head, page = listar("derivado", None, 100, 0)
    assert head["total"] == 3 and {r["cliente_id"] for r in page} == {*de_ana, de_bea}
    head, page = listar(None, ana, 100, 0)
    assert head["total"] == 2 and [r["cliente_id"] for r in page] == sorted(de_ana, reverse=True)
    head, page = listar("derivado", bea, 100, 0)
    assert head["total"] == 1 and [r["cliente_id"] for r in page] == [de_bea]
    head, page = listar("terminado", None, 100, 0)
    assert head["total"] == 0 and page == []
    head, page = listar(None, -1, 100, 0)
    assert head["total"] == 0 and page == []

    pages = [listar(None, None, 2, offset)[1] for offset in (0, 2, 4, 6)]
    assert [[r["cliente_id"] for r in p] for p in pages] == [todos[0:2], todos[2:4], todos[4:], []]
    assert all(listar(None, None, 2, offset)[0]["total"] == 5 for offset in (0, 4))


def test_obtener_cliente_shows_the_customer_without_its_lock_token(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, _token = db.tomado(asesor)
    row = db.call_one("sp_obtener_cliente", cliente_id)
    c = db.cliente(cliente_id)
    assert "lock_token" not in row and "lock_asesor_id" not in row
    assert row["cliente_id"] == cliente_id and row["bloqueado"] == 1
    for column in ("nombre", "telefono", "seguimiento_status", "asesor_asignado", "created_at",
                   "derivado_at", "last_activity", "wizard_completado", "updated_at"):
        assert row[column] == c[column], column
    assert_refused(db, ErrorCode.CLIENTE_NOT_FOUND, "sp_obtener_cliente", cliente_id + 1000)


def test_historial_cliente_lists_the_customers_history_oldest_first(db: Db) -> None:
    asesor = db.asesor()
    cliente_id, _token = db.en_gestion(asesor)
    other = db.nuevo_cliente()
    (rows,) = db.call("sp_historial_cliente", cliente_id)
    assert [(r["estado_anterior"], r["estado_nuevo"]) for r in rows] == [
        (None, "nuevo"), ("nuevo", "derivado"), ("derivado", "en_gestion")]
    assert [r["historial_id"] for r in rows] == [h["id"] for h in db.historial(cliente_id)]
    assert [r["outbox_id"] for r in rows] == [h["outbox_id"] for h in db.historial(cliente_id)]
    assert db.call("sp_historial_cliente", other)[0][0]["estado_nuevo"] == "nuevo"
    assert_refused(db, ErrorCode.CLIENTE_NOT_FOUND, "sp_historial_cliente", other + 1000)


def test_listar_asesores(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    db.execute("UPDATE asesores SET activo = 0 WHERE id = %s", (bea,))
    assert db.call("sp_listar_asesores") == [[
        {"asesor_id": ana, "nombre": "Ana", "activo": 1}, {"asesor_id": bea, "nombre": "Bea", "activo": 0}]]


# --- the outbox ---------------------------------------------------------------------------------


def test_outbox_leer_returns_events_after_an_id_in_order(db: Db) -> None:
    asesor = db.asesor()
    db.en_gestion(asesor)
    db.nuevo_cliente()
    (everything,) = db.call("sp_outbox_leer", 0, 100)
    assert [e["id"] for e in everything] == [1, 2, 3, 4]
    assert [e["event_type"] for e in everything] == [
        "CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_CREATED"]
    assert [json.loads(e["payload"]) for e in everything] == [e["payload"] for e in db.outbox()]
    assert [e["id"] for e in db.call("sp_outbox_leer", 1, 2)[0]] == [2, 3]
    assert db.call("sp_outbox_leer", 4, 100) == [[]]
    assert db.call("sp_outbox_leer", 99, 100) == [[]]


def test_outbox_limites_and_the_retention_purge(db: Db) -> None:
    assert db.call_one("sp_outbox_limites") == {"primer_id": None, "ultimo_id": 0}
    asesor = db.asesor()
    for _ in range(3):
        db.derivado(asesor)  # two events each: 6 in all
    assert db.call_one("sp_outbox_limites") == {"primer_id": 1, "ultimo_id": 6}
    history = db.historial()

    # Events 1-4 are older than the retention (168 h), 5 is just inside it.
    db.execute("UPDATE outbox SET created_at = created_at - INTERVAL 200 HOUR WHERE id <= 4")
    db.execute("UPDATE outbox SET created_at = UTC_TIMESTAMP(6) - INTERVAL 167 HOUR WHERE id = 5")
    assert db.call_one("sp_purgar_outbox") == {"borrados": 4}
    assert [e["id"] for e in db.outbox()] == [5, 6]
    assert db.call_one("sp_outbox_limites") == {"primer_id": 5, "ultimo_id": 6}
    assert db.historial() == history, "history is the audit trail: the purge keeps it"
    assert db.call_one("sp_purgar_outbox") == {"borrados": 0}

    # A shorter retention purges the rest; the sequence still says what was last written.
    db.set_config("outbox_retencion_horas", 1)
    db.execute("UPDATE outbox SET created_at = created_at - INTERVAL 2 HOUR WHERE id = 6")
    assert db.call_one("sp_purgar_outbox") == {"borrados": 2}
    assert db.call_one("sp_outbox_limites") == {"primer_id": None, "ultimo_id": 6}
    # New events carry on from the sequence, not from what is left in the table.
    db.nuevo_cliente()
    assert [e["id"] for e in db.outbox()] == [7]


def test_estado_servidor(db: Db) -> None:
    asesor = db.asesor()
    row = db.call_one("sp_estado_servidor")
    scheduler = db.query("SELECT @@GLOBAL.event_scheduler AS v")[0]["v"]
    assert row["event_scheduler"] == scheduler
    assert row["barrido_estado"] == "DISABLED", "the test fixture disables the sweep event"
    assert row["ultimo_outbox_id"] == 0 and row["barrido_atraso_segundos"] is None

    cliente_id = db.derivado(asesor)
    db.derivado(asesor)
    make_idle(db, cliente_id, 400)
    row = db.call_one("sp_estado_servidor")
    assert row["ultimo_outbox_id"] == 4
    assert 99 <= row["barrido_atraso_segundos"] <= 101
    db.call("sp_barrido_seguimiento")
    assert db.call_one("sp_estado_servidor")["barrido_atraso_segundos"] is None
