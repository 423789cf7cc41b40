"""PATCH /api/campanas/{id} over real HTTP: the fields of one request are applied whole or not
at all (one sp_configurar_campana_varios call, one transaction, one CAMPAIGN_CHANGED).

Before, each field was its own sp_configurar_campana call and transaction: a later field that
failed left the earlier ones changed, with an error for an answer, and two PATCHes at once
could leave a mix of both. The procedure's own checks are tests/test_configurar_campana_varios.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, Listener, error_code, listen, run, running_gateway
from tests.support import Db
from tests.test_bad_input import everything

EVERY_FIELD = {"nombre": "Fibra Norte", "timeoutSegundos": 900, "prioridad": 9, "modo": "auto",
               "reciclajeSegundos": 0, "maxDevoluciones": 5, "pausaTrasTimeouts": None, "activa": True}
# The answer's column for each field of the body.
COLUMNS = {"nombre": "nombre", "timeoutSegundos": "timeout_segundos", "prioridad": "prioridad", "modo": "modo",
           "reciclajeSegundos": "reciclaje_segundos", "maxDevoluciones": "max_devoluciones",
           "pausaTrasTimeouts": "pausa_tras_timeouts", "activa": "activa"}


def as_row(body: dict[str, Any]) -> dict[str, Any]:
    return {COLUMNS[k]: v for k, v in body.items()}


def worked_customer(db: Db, campana_id: int, asesor_id: int) -> int:
    """A customer of the campaign being worked (derivado), so a new timeout has a deadline to move."""
    cliente = int(db.call_one("sp_cargar_cliente_en_campana", "Trabajado", None, None, campana_id, 0)["cliente_id"])
    db.call("sp_derivar_cliente", cliente, asesor_id, "gtr")
    return cliente


async def one_event(board: Listener) -> Any:
    """The one CAMPAIGN_CHANGED the board got since it opened (a moment more for a second)."""
    await board.until_type("CAMPAIGN_CHANGED")
    await asyncio.sleep(0.3)
    events = board.events("CAMPAIGN_CHANGED")
    assert len(events) == 1, f"one CAMPAIGN_CHANGED for the whole PATCH, got {len(events)}"
    return events[0]


async def create(gtr: Api, nombre: str) -> int:
    body = {"nombre": nombre, "timeoutSegundos": 300, "prioridad": 1, "modo": "manual"}
    return int((await gtr.call("POST", "/api/campanas", body, expect=201))["campanaId"])


@run(timeout=60)
async def test_a_later_field_that_fails_leaves_every_field_as_it_was(db: Db, people: People) -> None:
    """The first fields would commit, then the timeout's new deadlines wait on a customer row
    another session holds until innodb_lock_wait_timeout: 503, and nothing changed."""
    # query_timeout 2 s: the gateway's sessions give up on a row lock after 1 s.
    async with running_gateway(db.url, query_timeout=2.0) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        fibra = await create(gtr, "Fibra")
        cliente = worked_customer(db, fibra, people.ana)
        board = await listen(session, gw.base, people.gtr)
        blocker = Db(db.url)
        try:
            blocker.execute("START TRANSACTION")
            blocker.query("SELECT id FROM clientes WHERE id = %s FOR UPDATE", (cliente,))
            before = everything(db)
            status, body = await gtr.status("PATCH", f"/api/campanas/{fibra}",
                                            {"nombre": "Fibra Norte", "timeoutSegundos": 900, "prioridad": 4})
            assert (status, error_code(body)) == (503, "database_busy")
            blocker.execute("ROLLBACK")
            assert everything(db) == before, "a refused PATCH changed something"
        finally:
            blocker.close()
        # Once the row is free the same request applies whole, with one event.
        after = await gtr.call("PATCH", f"/api/campanas/{fibra}",
                               {"nombre": "Fibra Norte", "timeoutSegundos": 900, "prioridad": 4}, expect=200)
        assert (after["nombre"], after["timeout_segundos"], after["prioridad"]) == ("Fibra Norte", 900, 4)
        assert db.cliente(cliente)["plazo_segundos"] == 900
        changed = await one_event(board)
        assert (changed["data"]["nombre"], changed["data"]["timeoutSegundos"]) == ("Fibra Norte", 900)
        await board.close()


@run(timeout=60)
async def test_every_field_at_once_is_one_change_and_every_refusal_changes_nothing(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        fibra = await create(gtr, "Fibra")
        await create(gtr, "Ventas")
        cliente = worked_customer(db, fibra, people.ana)
        board = await listen(session, gw.base, people.gtr)

        # Refused by the database, whatever the field's place: nothing changed, no event.
        for body, expected in (
                ({"timeoutSegundos": 900, "prioridad": 4, "maxDevoluciones": 0, "nombre": "Ventas"},
                 (409, "campana_exists")),
                ({"prioridad": 4, "activa": False, "nombre": " VENTAS "}, (409, "campana_exists")),
                ({"nombre": "   ", "timeoutSegundos": 900, "modo": "auto"}, (422, "invalid_input"))):
            before = everything(db)
            status, answer = await gtr.status("PATCH", f"/api/campanas/{fibra}", body)
            assert (status, error_code(answer)) == expected, body
            assert everything(db) == before, body
        before = everything(db)
        status, answer = await gtr.status("PATCH", "/api/campanas/999999", EVERY_FIELD)
        assert (status, error_code(answer)) == (404, "campana_not_found")
        assert everything(db) == before

        # Every field at once: the answer, the row, the deadline and one event agree.
        answer = await gtr.call("PATCH", f"/api/campanas/{fibra}", EVERY_FIELD, expect=200)
        assert answer == {"campana_id": fibra, **as_row(EVERY_FIELD)}
        listed = {c["campana_id"]: c for c in (await gtr.call("GET", "/api/campanas", expect=200))["campanas"]}
        assert {k: listed[fibra][k] for k in answer} == answer
        assert db.cliente(cliente)["plazo_segundos"] == 900
        changed = await one_event(board)
        assert changed["data"] | {"timestamp": None} == {
            "campanaId": fibra, **EVERY_FIELD, "timestamp": None}
        await board.close()


@run(timeout=120)
async def test_two_patches_at_once_end_in_one_whole_state_never_a_mix(db: Db, people: People) -> None:
    uno = {"nombre": "Uno", "timeoutSegundos": 100, "prioridad": 1, "modo": "manual", "reciclajeSegundos": 10,
           "maxDevoluciones": 1, "pausaTrasTimeouts": 1, "activa": True}
    dos = {"nombre": "Dos", "timeoutSegundos": 200, "prioridad": 2, "modo": "auto", "reciclajeSegundos": 20,
           "maxDevoluciones": 2, "pausaTrasTimeouts": None, "activa": False}
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        fibra = await create(gtr, "Fibra")
        cliente = worked_customer(db, fibra, people.ana)
        board = await listen(session, gw.base, people.gtr)
        seen = 0
        for _ in range(10):
            seen = len(board.events("CAMPAIGN_CHANGED"))
            a, b = await asyncio.gather(gtr.status("PATCH", f"/api/campanas/{fibra}", uno),
                                        gtr.status("PATCH", f"/api/campanas/{fibra}", dos))
            assert (a[0], b[0]) == (200, 200), (a, b)
            final = next(c for c in (await gtr.call("GET", "/api/campanas", expect=200))["campanas"]
                         if c["campana_id"] == fibra)
            state = {k: final[k] for k in as_row(uno)}
            assert state in (as_row(uno), as_row(dos)), f"a mix of two PATCHes: {state}"
            # Each answer is the campaign once its call committed: a whole state too (the other
            # PATCH's when that one committed in between).
            for answer in (a[1], b[1]):
                assert {k: answer[k] for k in as_row(uno)} in (as_row(uno), as_row(dos)), answer
            assert db.cliente(cliente)["plazo_segundos"] == state["timeout_segundos"]
            events = (await board.until_type("CAMPAIGN_CHANGED", count=seen + 2))[seen:]
            assert len(events) == 2
            assert {k: events[-1]["data"][k] for k in ("nombre", "timeoutSegundos", "activa")} == {
                "nombre": state["nombre"], "timeoutSegundos": state["timeout_segundos"], "activa": state["activa"]}
        await asyncio.sleep(0.3)
        assert len(board.events("CAMPAIGN_CHANGED")) == seen + 2, "one event per PATCH"
        await board.close()
