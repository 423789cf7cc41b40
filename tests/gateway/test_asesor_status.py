"""GTR makes an asesor inactive and active again through the gateway (issue 11)."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, make_token, run, running_gateway
from tests.support import Db


@run()
async def test_gtr_deactivates_and_activates_an_asesor(db: Db, people: People) -> None:
    cliente = db.derivado(people.ana)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        board = await listen(session, gw.base, people.gtr)
        status, body = await ana.status("POST", f"/api/asesores/{people.beto}/deactivate")
        assert status == 403 and error_code(body) == "forbidden"
        assert await gtr.call("POST", f"/api/asesores/{people.ana}/deactivate", expect=200) == {
            "asesorId": people.ana, "activo": False, "clientesDevueltos": 1, "tokensRevocados": 1}
        returned = await board.until_type("CLIENT_RETURNED_TO_GTR")
        assert returned[0]["data"]["clienteId"] == cliente
        assert returned[0]["data"]["reason"] == "asesor_desactivado"
        (deactivated,) = await board.until_type("ASESOR_DEACTIVATED")
        assert deactivated["data"]["asesorId"] == people.ana and deactivated["data"]["actor"] == "gtr"
        status, body = await ana.status("GET", "/api/me")
        assert status == 401
        status, body = await gtr.status("POST", f"/api/asesores/{people.ana}/deactivate")
        assert status == 409 and error_code(body) == "asesor_state_unchanged"
        status, body = await gtr.status("POST", "/api/asesores/999999/activate")
        assert status == 404 and error_code(body) == "asesor_not_found"
        assert (await gtr.call("GET", "/api/asesores", expect=200))["asesores"][0]["activo"] is False

        assert await gtr.call("POST", f"/api/asesores/{people.ana}/activate", expect=200) == {
            "asesorId": people.ana, "activo": True, "clientesDevueltos": 0, "tokensRevocados": 0}
        await board.until_type("ASESOR_ACTIVATED")
        assert (await ana.status("GET", "/api/me"))[0] == 401  # revoked tokens stay revoked
        fresh = Api(session, gw.base, make_token(db, "asesor", people.ana))
        assert (await fresh.call("GET", "/api/me", expect=200))["asesorId"] == people.ana
        status, body = await gtr.status("POST", f"/api/asesores/{people.ana}/activate")
        assert status == 409 and error_code(body) == "asesor_state_unchanged"
        assert not [e for e in board.events() if e["type"].startswith("TOKEN_")]
        await board.close()
