"""The seed's manual flow end to end over real HTTP and WebSockets, the timeout branch, and
a DBA's direct procedure call reaching the sockets."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, listen, run, running_gateway
from tests.support import Db


@run()
async def test_seed_flow_reaches_both_sockets(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana = Api(session, gw.base, people.ana_token)
        board = await gtr.call("GET", "/api/clientes", expect=200)
        gtr_ws = await listen(session, gw.base, people.gtr, since=board["snapshotOutboxId"])
        ana_ws = await listen(session, gw.base, people.ana_token, since=board["snapshotOutboxId"])

        # GTR loads a customer: only GTR hears of it (no asesor yet).
        created = await gtr.call("POST", "/api/clientes",
                                 {"nombre": "Juan Pérez", "telefono": "+51 999 888 777", "datos": {"plan": "A"}},
                                 expect=201)
        cliente = created["clienteId"]
        [event] = await gtr_ws.until_type("CLIENT_CREATED")
        assert event["data"]["clienteId"] == cliente
        assert event["data"]["nombre"] == "Juan Pérez" and event["data"]["seguimiento_status"] == "nuevo"

        # GTR assigns it to Ana: both sockets see CLIENT_REASSIGNED.
        await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}, expect=200)
        for ws in (gtr_ws, ana_ws):
            [event] = await ws.until_type("CLIENT_REASSIGNED")
            assert event["data"]["asesorId"] == people.ana and event["data"]["previousAsesor"] is None
        mine = await ana.call("GET", "/api/clientes", expect=200)
        assert [c["cliente_id"] for c in mine["clientes"]] == [cliente]

        # Ana locks and opens the wizard: CLIENT_IN_GESTION reaches GTR without a reload.
        lock = await ana.call("POST", f"/api/clientes/{cliente}/lock", {}, expect=200)
        token = lock["lockToken"]
        assert lock["lockExpiresAt"].endswith("Z")
        await ana.call("POST", f"/api/clientes/{cliente}/heartbeat", {"lockToken": token}, expect=200)
        await ana.call("POST", f"/api/clientes/{cliente}/open-wizard",
                       {"asesorId": people.ana, "lockToken": token}, expect=200)
        [event] = await gtr_ws.until_type("CLIENT_IN_GESTION")
        assert event["data"] == {"clienteId": cliente, "asesorId": people.ana, "timestamp": event["data"]["timestamp"]}

        # Ana updates the customer.
        await ana.call("PUT", f"/api/clientes/{cliente}",
                       {"lockToken": token, "telefono": "+51 111 222 333", "datos": {"interes": "alto"}},
                       expect=200)
        for ws in (gtr_ws, ana_ws):
            [event] = await ws.until_type("CLIENT_UPDATED")
            assert event["data"]["telefono"] == "+51111222333"
            assert event["data"]["datos"] == {"plan": "A", "interes": "alto"}

        # Ana completes: CLIENT_COMPLETED, and the customer leaves her list.
        await ana.call("PATCH", f"/api/clientes/{cliente}/estatus",
                       {"estatus": "terminado", "lockToken": token}, expect=200)
        for ws in (gtr_ws, ana_ws):
            await ws.until_type("CLIENT_COMPLETED")
        mine = await ana.call("GET", "/api/clientes", expect=200)
        assert mine["clientes"] == [] and mine["total"] == 0
        one = await gtr.call("GET", f"/api/clientes/{cliente}", expect=200)
        assert one["seguimiento_status"] == "terminado" and one["wizard_completado"] is True

        historial = await gtr.call("GET", f"/api/clientes/{cliente}/historial", expect=200)
        assert [h["motivo"] for h in historial["historial"]] == [
            "cargado", "asignado", "wizard_abierto", "datos_actualizados", "wizard_completado"]

        # Each socket got its events once, in id order, with the outbox's own ids.
        outbox = db.outbox()
        assert gtr_ws.ids() == [e["id"] for e in outbox]
        assert [m["type"] for m in gtr_ws.messages] == [e["event_type"] for e in outbox]
        # Ana: only the events about her customer (not its creation, before it was hers).
        assert [m["type"] for m in ana_ws.messages] == [
            "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_UPDATED", "CLIENT_COMPLETED"]
        await gtr_ws.close()
        await ana_ws.close()


@run()
async def test_seed_flow_through_the_open_wizard_and_complete_routes(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana = Api(session, gw.base, people.ana_token)
        cliente = (await gtr.call("POST", "/api/clientes", {"nombre": "Rosa"}, expect=201))["clienteId"]
        await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}, expect=200)
        token = (await ana.call("POST", f"/api/clientes/{cliente}/lock", None, expect=200))["lockToken"]
        await ana.call("PATCH", f"/api/clientes/{cliente}/estatus", {"estatus": "en_gestion", "lockToken": token},
                       expect=200)
        await ana.call("POST", f"/api/clientes/{cliente}/release", {"lockToken": token}, expect=200)
        assert db.cliente(cliente)["lock_token"] is None
        token = (await ana.call("POST", f"/api/clientes/{cliente}/lock", None, expect=200))["lockToken"]
        await ana.call("POST", f"/api/clientes/{cliente}/complete-wizard", {"lockToken": token}, expect=200)
        assert db.cliente(cliente)["seguimiento_status"] == "terminado"
        asesores = await gtr.call("GET", "/api/asesores", expect=200)
        assert [a["nombre"] for a in asesores["asesores"]] == ["Ana", "Beto"]


@run()
async def test_timeout_branch_returns_the_customer_to_gtr(db: Db, people: People) -> None:
    db.set_config("timeout_segundos", 1)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana = Api(session, gw.base, people.ana_token)
        gtr_ws = await listen(session, gw.base, people.gtr, since=0)
        ana_ws = await listen(session, gw.base, people.ana_token, since=0)
        cliente = (await gtr.call("POST", "/api/clientes", {"nombre": "Lento"}, expect=201))["clienteId"]
        await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}, expect=200)
        await ana_ws.until_type("CLIENT_REASSIGNED")
        await asyncio.sleep(1.3)
        # Too late to act: refused even before the sweep has run.
        status, body = await ana.status("POST", f"/api/clientes/{cliente}/lock", {})
        assert status == 409 and body["error"]["code"] == "inactivity_expired"
        # The sweep (normally the EVENT) runs over a plain connection, as the scheduler would.
        assert db.call_one("sp_barrido_seguimiento")["devueltos"] == 1
        for ws in (gtr_ws, ana_ws):
            [event] = await ws.until_type("CLIENT_RETURNED_TO_GTR")
            assert event["data"]["reason"] == "timeout_no_gestionado"
            assert event["data"]["previousAsesor"] == people.ana
            assert event["data"]["clienteId"] == cliente
        mine = await ana.call("GET", "/api/clientes", expect=200)
        assert mine["clientes"] == []
        back = await gtr.call("GET", "/api/clientes?estado=no_gestionado", expect=200)
        assert [c["cliente_id"] for c in back["clientes"]] == [cliente]


@run()
async def test_dba_call_over_a_plain_connection_reaches_the_sockets(db: Db, people: People) -> None:
    async with running_gateway(db.url, poll_interval=0.2) as gw, aiohttp.ClientSession() as session:
        gtr_ws = await listen(session, gw.base, people.gtr, since=0)
        beto_ws = await listen(session, gw.base, people.beto_token, since=0)
        cliente = db.nuevo_cliente("Desde la consola")
        started = time.monotonic()
        db.call("sp_derivar_cliente", cliente, people.beto, "dba")
        [event] = await beto_ws.until_type("CLIENT_REASSIGNED", timeout=5)
        latency = time.monotonic() - started
        assert event["data"]["asesorId"] == people.beto and event["data"]["clienteId"] == cliente
        await gtr_ws.until_type("CLIENT_REASSIGNED")
        assert [m["type"] for m in gtr_ws.messages] == ["CLIENT_CREATED", "CLIENT_REASSIGNED"]
        # Written outside the gateway, so found by the poll: within one interval plus a read.
        assert latency < 0.2 + 0.5, latency
