"""Who may do what: an asesor token can neither act on, read, nor hear about another
asesor's customer. (401 without a live token and 403 for the wrong role, route by route:
tests/gateway/test_guard.py.)"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from gateway.web.guard import PATH_IDS
from tests.gateway import route_samples as samples
from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db

# The asesor's actions on a customer, from the route table (tests/gateway/test_guard.py
# walks every route for 401/403/404; this file checks what an asesor token may reach).
ASESOR_ACTIONS = [r for r in samples.GUARDED if r.access == "asesor" and r.path_id == PATH_IDS["clientes"]]


@run()
async def test_asesor_cannot_act_on_or_read_another_asesors_customer(db: Db, people: People) -> None:
    suyo, suyo_lock = db.en_gestion(people.beto)
    mio = db.derivado(people.ana)
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        # Acting on Beto's customer, even with Beto's own lock token.
        assert ASESOR_ACTIONS
        for route in ASESOR_ACTIONS:
            data, headers = samples.body(route, lock_token=suyo_lock)
            status, answer = await ana.raw(route.method, samples.path(route, suyo), data=data, headers=headers)
            assert (status, error_code(answer)) == (403, "not_assigned"), (samples.name(route), answer)
        # Acting as Beto on her own customer.
        status, answer = await ana.status("POST", f"/api/clientes/{mio}/lock", {"asesorId": people.beto})
        assert (status, error_code(answer)) == (403, "forbidden")
        # Reading it.
        for path in (f"/api/clientes/{suyo}", f"/api/clientes/{suyo}/historial",
                     f"/api/clientes?asesorId={people.beto}"):
            status, answer = await ana.status("GET", path)
            assert status == 403, (path, answer)
        board = await ana.call("GET", "/api/clientes", expect=200)
        assert [c["cliente_id"] for c in board["clientes"]] == [mio] and board["total"] == 1
        board = await ana.call("GET", "/api/clientes?estado=en_gestion", expect=200)
        assert board["clientes"] == []
        assert (await ana.call("GET", f"/api/clientes/{mio}", expect=200))["cliente_id"] == mio
    assert db.snapshot() == before


@run()
async def test_asesor_socket_hears_only_its_own_customers(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana_ws = await listen(session, gw.base, people.ana_token, since=0)
        beto_ws = await listen(session, gw.base, people.beto_token, since=0)
        gtr_ws = await listen(session, gw.base, people.gtr, since=0)
        a = (await gtr.call("POST", "/api/clientes", {"nombre": "Para Ana"}, expect=201))["clienteId"]
        b = (await gtr.call("POST", "/api/clientes", {"nombre": "Para Beto"}, expect=201))["clienteId"]
        await gtr.call("POST", f"/api/clientes/{a}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}, expect=200)
        await gtr.call("POST", f"/api/clientes/{b}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.beto}, expect=200)
        # Ana's customer goes to Beto: Ana hears that it left her, then nothing more of it.
        await gtr.call("POST", f"/api/clientes/{a}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.beto}, expect=200)
        beto = Api(session, gw.base, people.beto_token)
        lock = (await beto.call("POST", f"/api/clientes/{a}/lock", {}, expect=200))["lockToken"]
        await beto.call("POST", f"/api/clientes/{a}/open-wizard", {"lockToken": lock}, expect=200)
        await gtr_ws.until_id(6)
        await beto_ws.until_id(6)
        await asyncio.sleep(0.3)
        assert [(m["type"], m["data"]["clienteId"]) for m in ana_ws.messages] == [
            ("CLIENT_REASSIGNED", a), ("CLIENT_REASSIGNED", a)]
        assert ana_ws.messages[1]["data"]["previousAsesor"] == people.ana
        assert [(m["type"], m["data"]["clienteId"]) for m in beto_ws.messages] == [
            ("CLIENT_REASSIGNED", b), ("CLIENT_REASSIGNED", a), ("CLIENT_IN_GESTION", a)]
        assert gtr_ws.ids() == [1, 2, 3, 4, 5, 6]


@run()
async def test_websocket_origin_is_checked(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(gw.base + "/ws", params={"token": people.gtr},
                                     headers={"Origin": "http://evil.example"})
        assert info.value.status == 403
        ws = await session.ws_connect(gw.base + "/ws", params={"token": people.gtr},
                                      headers={"Origin": gw.base})
        await ws.close()
    async with running_gateway(db.url, allowed_origins=("http://board.example",)) as gw, \
            aiohttp.ClientSession() as session:
        ws = await session.ws_connect(gw.base + "/ws", params={"token": people.gtr},
                                      headers={"Origin": "http://board.example"})
        await ws.close()
