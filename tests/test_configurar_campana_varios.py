"""sp_configurar_campana_varios: several settings of a campaign in one transaction, all or none.

Each clave alone does what sp_configurar_campana does with it (the same row, the same
CAMPAIGN_CHANGED payload, the same side effects); several at once are one transaction with one
event; every refusal, wherever the bad setting sits in the object, leaves every table as it
was; two callers at once leave the campaign as one of them left it, never a mix. Bad input of
every kind is also in tests/test_bad_input.py; the PATCH route over HTTP in
tests/gateway/test_campana_patch.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.db.errors import ErrorCode
from tests.support import Connections, Db, Row, refused
from tests.test_bad_input import everything
from tests.test_races import assert_consistent, attempt, race

# The payload keys of CAMPAIGN_CHANGED, by column.
PAYLOAD = {"campana_id": "campanaId", "nombre": "nombre", "timeout_segundos": "timeoutSegundos",
           "prioridad": "prioridad", "modo": "modo", "reciclaje_segundos": "reciclajeSegundos",
           "max_devoluciones": "maxDevoluciones", "pausa_tras_timeouts": "pausaTrasTimeouts", "activa": "activa"}


def campana(db: Db, nombre: str, modo: str = "manual") -> int:
    return int(db.call_one("sp_crear_campana", nombre, 300, 1, modo, 60, 3)["campana_id"])


def settings(db: Db, campana_id: int) -> Row:
    (row,) = db.query("SELECT id AS campana_id, nombre, timeout_segundos, prioridad, modo, reciclaje_segundos, "
                      "max_devoluciones, pausa_tras_timeouts, activa FROM campanas WHERE id = %s", (campana_id,))
    return row


def varios(db: Db, campana_id: int, cambios: dict[str, Any]) -> Row:
    return db.call_one("sp_configurar_campana_varios", campana_id, json.dumps(cambios))


def worked_customer(db: Db, campana_id: int) -> tuple[int, int]:
    """Asesor Ana and a customer of the campaign she is working (derivado): a new timeout
    has a deadline to move."""
    ana = db.asesor("Ana")
    cliente = int(db.call_one("sp_cargar_cliente_en_campana", "Trabajado", None, None, campana_id, 0)["cliente_id"])
    db.call("sp_derivar_cliente", cliente, ana, "gtr")
    return ana, cliente


def campaign_events(db: Db, after: int = 0) -> list[Row]:
    return [e for e in db.outbox() if e["event_type"] == "CAMPAIGN_CHANGED" and e["id"] > after]


def as_payload(row: Row) -> dict[str, Any]:
    return {PAYLOAD[k]: (bool(v) if k == "activa" else v) for k, v in row.items()}


def last_outbox_id(db: Db) -> int:
    return int(db.query("SELECT COALESCE(MAX(id), 0) AS n FROM outbox")[0]["n"])


def is_mariadb(db: Db) -> bool:
    return "mariadb" in str(db.query("SELECT VERSION() AS v")[0]["v"]).lower()


# Each clave alone: (clave, JSON value, the text sp_configurar_campana is given, the column after).
ALONE = [
    ("nombre", "  Fibra Norte ", "  Fibra Norte ", "Fibra Norte"),
    ("timeout_segundos", 900, "900", 900),
    ("timeout_segundos", None, None, None),
    ("prioridad", -7, "-7", -7),
    ("modo", " AUTO ", " AUTO ", "auto"),
    ("reciclaje_segundos", 3600, "3600", 3600),
    ("max_devoluciones", 0, "0", 0),
    ("pausa_tras_timeouts", 2, "2", 2),
    ("pausa_tras_timeouts", None, None, None),
    ("activa", False, "0", 0),
    ("activa", 0, "0", 0),
    ("activa", True, "1", 1),
]


@pytest.mark.parametrize(("clave", "valor", "texto", "columna"), ALONE,
                         ids=[f"{c}={json.dumps(v)}" for c, v, _, _ in ALONE])
def test_each_clave_alone_does_what_sp_configurar_campana_does(
        db: Db, clave: str, valor: Any, texto: str | None, columna: Any) -> None:
    a, b = campana(db, "A"), campana(db, "B")
    if clave == "activa" and columna == 1:
        for c in (a, b):
            db.call("sp_configurar_campana", c, "activa", "0")
    mark = last_outbox_id(db)
    answer_a = db.call_one("sp_configurar_campana", a, clave, texto)
    if clave == "nombre":  # one name per campaign: B gets the same change under a name of its own
        valor, columna = "  Fibra Sur ", "Fibra Sur"
    answer_b = varios(db, b, {clave: valor})

    assert answer_b == settings(db, b) and answer_b[clave] == columna
    assert answer_a == settings(db, a)
    same = {k: v for k, v in answer_a.items() if k not in ("campana_id", "nombre")}
    assert {k: v for k, v in answer_b.items() if k not in ("campana_id", "nombre")} == same
    (event_a, event_b) = campaign_events(db, mark)
    for event, row in ((event_a, answer_a), (event_b, answer_b)):
        assert event["payload"] | {"timestamp": None} == as_payload(row) | {"timestamp": None}
        assert (event["cliente_id"], event["asesor_id"]) == (None, None)


def test_several_settings_are_one_transaction_with_one_event(db: Db) -> None:
    fibra = campana(db, "Fibra")
    ana, trabajado = worked_customer(db, fibra)
    devuelto = int(db.call_one("sp_cargar_cliente_en_campana", "Devuelto", None, None, fibra, 0)["cliente_id"])
    db.call("sp_derivar_cliente", devuelto, ana, "gtr")
    db.call("sp_devolver_cliente", devuelto, ana, "no contesta")
    db.execute("UPDATE clientes SET cola_desde = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = %s", (devuelto,))
    db.call("sp_configurar_campana", fibra, "max_devoluciones", "1")  # returned once: it stays with GTR
    assert db.cliente(devuelto)["en_cola"] == 0
    bea = db.asesor("Bea")
    db.call("sp_asignar_habilidad", bea, fibra)
    db.call("sp_cambiar_presencia", bea, "disponible", None, "dba")
    history = db.historial()
    mark = last_outbox_id(db)

    cambios = {"nombre": "Fibra Norte", "timeout_segundos": 900, "prioridad": 9, "modo": "auto",
               "reciclaje_segundos": 0, "max_devoluciones": 5, "pausa_tras_timeouts": None, "activa": True}
    answer = varios(db, fibra, cambios)

    assert answer == settings(db, fibra) == {"campana_id": fibra, **cambios, "activa": 1}
    # The new timeout reached the customer being worked, in the same transaction.
    assert db.cliente(trabajado)["plazo_segundos"] == 900
    # max_devoluciones put the returned customer back in the queue, and the campaign, now auto,
    # was distributed once the change had committed: Bea got it.
    assert db.cliente(devuelto)["asesor_asignado"] == bea
    (changed, *after) = [e for e in db.outbox() if e["id"] > mark]
    assert changed["event_type"] == "CAMPAIGN_CHANGED"
    assert changed["payload"] | {"timestamp": None} == as_payload(answer) | {"timestamp": None}
    assert [e["event_type"] for e in after] == ["CLIENT_REASSIGNED"], "one campaign event, then the distribution"
    assert db.historial()[:len(history)] == history
    assert [h["motivo"] for h in db.historial()[len(history):]] == ["asignado"]
    assert_consistent(db)


def test_without_modo_activa_or_max_devoluciones_nothing_is_distributed(db: Db) -> None:
    fibra = campana(db, "Fibra", modo="auto")
    lead = int(db.call_one("sp_cargar_cliente_en_campana", "Lead", None, None, fibra, 0)["cliente_id"])
    ana = db.asesor("Ana")
    db.call("sp_asignar_habilidad", ana, fibra)
    db.execute("UPDATE asesores SET presencia = 'disponible' WHERE id = %s", (ana,))  # by hand: no distribution
    varios(db, fibra, {"prioridad": 4, "reciclaje_segundos": 10})
    assert db.cliente(lead)["asesor_asignado"] is None, "as sp_configurar_campana: ev_distribuir's job"
    varios(db, fibra, {"prioridad": 5, "activa": True})
    assert db.cliente(lead)["asesor_asignado"] == ana


def refusals(fibra: int) -> list[tuple[str, Any, ErrorCode]]:
    """(what, cambios_json, the code): a good setting beside each bad one, on both sides of it
    in the object (MariaDB applies them in the object's order, MySQL by key length first)."""
    return [
        ("unknown campaign", (10**12, {"prioridad": 4}), ErrorCode.CAMPANA_NOT_FOUND),
        ("nombre taken, last", (fibra, {"modo": "auto", "prioridad": 4, "timeout_segundos": 900, "nombre": "Ventas"}),
         ErrorCode.CAMPANA_EXISTS),
        ("nombre taken, first", (fibra, {"nombre": "VENTAS", "modo": "auto", "max_devoluciones": 0}),
         ErrorCode.CAMPANA_EXISTS),
        ("bad value, last", (fibra, {"nombre": "Nueva", "timeout_segundos": 900, "prioridad": 4001}),
         ErrorCode.INVALID_INPUT),
        ("wrong kind, last", (fibra, {"nombre": "Nueva", "max_devoluciones": 0, "activa": "no"}),
         ErrorCode.INVALID_INPUT),
        ("unknown clave, last", (fibra, {"nombre": "Nueva", "timeout_segundos": 900, "zz_color": 1}),
         ErrorCode.INVALID_INPUT),
        ("unknown clave, first", (fibra, {"a": 1, "nombre": "Nueva"}), ErrorCode.INVALID_INPUT),
        ("empty", (fibra, {}), ErrorCode.INVALID_INPUT),
        ("not an object", (fibra, [{"prioridad": 4}]), ErrorCode.INVALID_INPUT),
    ]


def test_every_refusal_leaves_the_campaign_history_audit_and_outbox_as_they_were(db: Db) -> None:
    fibra = campana(db, "Fibra")
    campana(db, "Ventas")
    _, trabajado = worked_customer(db, fibra)
    db.call_one("sp_crear_token", "a" * 64, "gtr", None, "mesa")
    for what, (campana_id, cambios), code in refusals(fibra):
        before = everything(db)
        with refused(code):
            db.call("sp_configurar_campana_varios", campana_id, json.dumps(cambios))
        assert everything(db) == before, what
    assert_consistent(db)


def test_a_clave_given_twice_is_refused_where_the_engine_sees_it(db: Db) -> None:
    fibra = campana(db, "Fibra")
    twice = '{"prioridad": 4, "reciclaje_segundos": 5, "prioridad": 6}'
    if is_mariadb(db):
        before = everything(db)
        with refused(ErrorCode.INVALID_INPUT):
            db.call("sp_configurar_campana_varios", fibra, twice)
        assert everything(db) == before
    else:
        # MySQL's JSON parser keeps the last of a repeated key: the procedure never sees two.
        assert varios(db, fibra, {"prioridad": 6, "reciclaje_segundos": 5}) == settings(db, fibra)
        assert db.call_one("sp_configurar_campana_varios", fibra, twice)["prioridad"] == 6


def test_a_lock_wait_in_a_later_setting_rolls_back_the_earlier_ones(db: Db, conns: Connections) -> None:
    """A later setting that cannot finish (here its customers' deadlines wait on a row another
    session holds, past innodb_lock_wait_timeout) takes the earlier ones back with it."""
    fibra = campana(db, "Fibra")
    _, trabajado = worked_customer(db, fibra)
    blocker = conns.new()
    blocker.start_transaction()
    cur = blocker.cursor()
    cur.execute("SELECT id FROM clientes WHERE id = %s FOR UPDATE", (trabajado,))
    cur.fetchall()
    before = everything(db)
    caller = conns.new()
    cur2 = caller.cursor()
    cur2.execute("SET SESSION innodb_lock_wait_timeout = 1")
    cur2.close()
    result = attempt(caller, "sp_configurar_campana_varios", fibra,
                     json.dumps({"nombre": "Fibra Norte", "prioridad": 8, "timeout_segundos": 900}))
    assert (result.ok, result.errno) == (False, 1205)
    blocker.rollback()
    assert everything(db) == before
    assert db.cliente(trabajado)["plazo_segundos"] == 300


def test_two_callers_at_once_leave_one_whole_state(db: Db, conns: Connections) -> None:
    fibra = campana(db, "Fibra")
    _, trabajado = worked_customer(db, fibra)
    uno = {"nombre": "Uno", "timeout_segundos": 100, "prioridad": 1, "modo": "manual", "reciclaje_segundos": 10,
           "max_devoluciones": 1, "pausa_tras_timeouts": 1, "activa": True}
    dos = {"nombre": "Dos", "timeout_segundos": 200, "prioridad": 2, "modo": "manual", "reciclaje_segundos": 20,
           "max_devoluciones": 2, "pausa_tras_timeouts": None, "activa": False}
    left, right = conns.new(), conns.new()
    for _ in range(10):
        mark = last_outbox_id(db)
        a, b = race(lambda: attempt(left, "sp_configurar_campana_varios", fibra, json.dumps(uno)),
                    lambda: attempt(right, "sp_configurar_campana_varios", fibra, json.dumps(dos)))
        assert a.ok and b.ok, (a, b)
        final = settings(db, fibra)
        assert final in ({"campana_id": fibra, **uno, "activa": 1}, {"campana_id": fibra, **dos, "activa": 0}), final
        assert db.cliente(trabajado)["plazo_segundos"] == final["timeout_segundos"]
        events = campaign_events(db, mark)
        assert len(events) == 2 and events[-1]["payload"] | {"timestamp": None} == (
            as_payload(final) | {"timestamp": None})
    assert_consistent(db)

