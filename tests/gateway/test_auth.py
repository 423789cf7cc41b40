"""Who may do what: 401 without a live token, 403 for the wrong role, and an asesor token
that can neither act on, read, nor hear about another asesor's customer."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, make_token, run, running_gateway
from tests.support import Db

# (method, path template, body) of every route that needs a token.
ROUTES = [
    ("POST", "/api/clientes", {"nombre": "X"}),
    ("GET", "/api/clientes", None),
    ("GET", "/api/clientes/{c}", None),
    ("GET", "/api/clientes/{c}/historial", None),
    ("POST", "/api/clientes/{c}/estatus", {"tipo": "gtr", "estatus": "derivado", "asesorId": 1}),
    ("PATCH", "/api/clientes/{c}/estatus", {"estatus": "en_gestion", "lockToken": "x" * 36}),
    ("POST", "/api/clientes/{c}/lock", {}),
    ("POST", "/api/clientes/{c}/heartbeat", {"lockToken": "x" * 36}),
    ("POST", "/api/clientes/{c}/open-wizard", {"lockToken": "x" * 36}),
    ("PUT", "/api/clientes/{c}", {"lockToken": "x" * 36, "nombre": "Y"}),
    ("POST", "/api/clientes/{c}/complete-wizard", {"lockToken": "x" * 36}),
    ("POST", "/api/clientes/{c}/release", {"lockToken": "x" * 36}),
    ("GET", "/api/asesores", None),
    ("POST", "/api/asesores", {"nombre": "Z"}),
]
GTR_ONLY = {("POST", "/api/clientes"), ("POST", "/api/clientes/{c}/estatus"), ("POST", "/api/asesores")}
ASESOR_ONLY = {(m, p) for m, p, _ in ROUTES if p.endswith(("lock", "heartbeat", "open-wizard", "complete-wizard",
                                                           "release"))} | {("PATCH", "/api/clientes/{c}/estatus"),
                                                                           ("PUT", "/api/clientes/{c}")}


@run()
async def test_no_bad_or_revoked_token_is_401_everywhere(db: Db, people: People) -> None:
    cliente = db.nuevo_cliente()
    revoked = make_token(db, "gtr")
    token_id = db.query("SELECT MAX(id) AS id FROM api_tokens")[0]["id"]
    db.call("sp_revocar_token", token_id)
    before = db.snapshot()
    # Dozens of failed lookups from one address: above the failed-login limit's default,
    # which has its own test (test_limits.py).
    async with running_gateway(db.url, auth_max_failures=1000) as gw, aiohttp.ClientSession() as session:
        for token in (None, "seg_" + "A" * 43, revoked, "' OR ''='"):
            api = Api(session, gw.base, token)
            for method, path, body in ROUTES:
                status, answer = await api.status(method, path.format(c=cliente), body)
                assert status == 401 and error_code(answer) == "unauthorized", (token, method, path, answer)
        status, answer = await Api(session, gw.base, None).raw(
            "GET", "/api/clientes", headers={"Authorization": "Basic Zm9vOmJhcg=="})
        assert status == 401 and error_code(answer) == "unauthorized"
        for token in (None, revoked):
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(gw.base + "/ws", params={"token": token} if token else {})
            assert info.value.status == 401
    assert db.snapshot() == before


@run()
async def test_wrong_role_is_403(db: Db, people: People) -> None:
    cliente, _lock = db.tomado(people.ana)
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana = Api(session, gw.base, people.ana_token)
        for method, path, body in ROUTES:
            key = (method, path)
            if key in GTR_ONLY:
                status, answer = await ana.status(method, path.format(c=cliente), body)
                assert (status, error_code(answer)) == (403, "forbidden"), (method, path, answer)
            if key in ASESOR_ONLY:
                status, answer = await gtr.status(method, path.format(c=cliente), body)
                assert (status, error_code(answer)) == (403, "forbidden"), (method, path, answer)
    assert db.snapshot() == before


@run()
async def test_asesor_cannot_act_on_or_read_another_asesors_customer(db: Db, people: People) -> None:
    suyo, suyo_lock = db.en_gestion(people.beto)
    mio = db.derivado(people.ana)
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        # Acting on Beto's customer, even with Beto's own lock token.
        for method, path, body in ROUTES:
            if (method, path) not in ASESOR_ONLY:
                continue
            body = {**(body or {}), **({"lockToken": suyo_lock} if "lockToken" in (body or {}) else {})}
            if method == "PATCH":
                body["estatus"] = "terminado"
            status, answer = await ana.status(method, path.format(c=suyo), body)
            assert (status, error_code(answer)) == (403, "not_assigned"), (method, path, answer)
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
