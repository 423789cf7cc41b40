"""An asesor's backlog (``/ws?since=``) holds only what it may see now: everything about the
customers it holds, and of a customer taken away from it only the state changes (no name,
phone or wizard answers). Issue 10: ``since=0`` replayed a week of a reassigned customer's
personal data after ``GET /api/clientes/{id}`` already answered 403."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, last_outbox_id, listen, run, running_gateway
from tests.support import Db


@run(timeout=60)
async def test_a_customer_reassigned_away_is_not_replayed_to_its_old_asesor(db: Db, people: People) -> None:
    gone, gone_lock = db.en_gestion(people.ana)
    db.call("sp_actualizar_cliente", gone, people.ana, gone_lock,
            json.dumps({"telefono": "+51 911 000 111", "producto": "fibra secreta"}))
    kept, kept_lock = db.tomado(people.ana)
    db.call("sp_actualizar_cliente", kept, people.ana, kept_lock, json.dumps({"producto": "movil"}))
    db.call("sp_derivar_cliente", gone, people.beto, "gtr")  # taken away from Ana
    newest = last_outbox_id(db)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        status, _body = await Api(session, gw.base, people.ana_token).status("GET", f"/api/clientes/{gone}")
        assert status == 403
        ana = await listen(session, gw.base, people.ana_token, since=0)
        beto = await listen(session, gw.base, people.beto_token, since=0)
        gtr = await listen(session, gw.base, people.gtr, since=0)
        await gtr.until_id(newest)
        await beto.until(lambda ms: any(m["type"] == "CLIENT_REASSIGNED" for m in ms), what="beto's event")
        await asyncio.sleep(0.3)
        about_gone = [m["type"] for m in ana.messages if m["data"].get("clienteId") == gone]
        about_kept = [m["type"] for m in ana.messages if m["data"].get("clienteId") == kept]
        # Of the customer she lost: how it came and how it left, nothing personal.
        assert about_gone == ["CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_REASSIGNED"], ana.messages
        assert "911 000 111" not in json.dumps(ana.messages) and "secreta" not in json.dumps(ana.messages)
        # Of the one she holds: everything, as before.
        assert about_kept == ["CLIENT_REASSIGNED", "CLIENT_UPDATED"], ana.messages
        # Beto, who holds it now, may replay its past as far as it concerns him; GTR sees all.
        assert "fibra secreta" in json.dumps(gtr.messages)
        # Live events after the replay follow the live rule: Ana hears nothing more of it.
        await Api(session, gw.base, people.gtr).call("POST", f"/api/clientes/{gone}/estatus", {
            "tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}, expect=200)
        await ana.until(lambda ms: sum(m["data"].get("clienteId") == gone for m in ms) == 4, what="given back")
        for listener in (ana, beto, gtr):
            await listener.close()
