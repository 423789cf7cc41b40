"""Routing through the gateway (issue 13): campaigns, the asesor panel, skills, capacity,
presence, the pull ("Siguiente cliente"), the hand-back, and loads into a campaign. Each
route with what it does, its bad input and its refusals; the guard's generic checks (tokens,
roles, impossible ids) are tests/gateway/test_guard.py's, over the route table."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db


async def _auto_campaign(gtr: Api, nombre: str = "Fibra", **settings: object) -> int:
    body = {"nombre": nombre, "modo": "auto", **settings}
    return int((await gtr.call("POST", "/api/campanas", body, expect=201))["campanaId"])


@run()
async def test_gtr_creates_lists_and_configures_campaigns(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        board = await listen(session, gw.base, people.gtr)
        fibra = await _auto_campaign(gtr, timeoutSegundos=600, prioridad=10, reciclajeSegundos=900)
        (changed,) = await board.until_type("CAMPAIGN_CHANGED")
        assert changed["data"]["campanaId"] == fibra and changed["data"]["modo"] == "auto"
        listed = {c["campana_id"]: c for c in (await ana.call("GET", "/api/campanas", expect=200))["campanas"]}
        assert listed[1]["nombre"] == "general" and listed[1]["modo"] == "manual"
        assert listed[fibra]["timeout_segundos"] == 600
        assert listed[fibra]["prioridad"] == 10 and listed[fibra]["en_cola"] == 0
        assert listed[fibra]["mas_antiguo_en_cola"] is None and listed[fibra]["activa"] is True

        after = await gtr.call("PATCH", f"/api/campanas/{fibra}",
                               {"timeoutSegundos": None, "modo": "manual", "activa": False}, expect=200)
        assert (after["timeout_segundos"], after["modo"], after["activa"]) == (None, "manual", False)
        # One event for the whole PATCH (tests/gateway/test_campana_patch.py: all or nothing).
        patched = (await board.until_type("CAMPAIGN_CHANGED", count=2))[-1]
        assert (patched["data"]["timeoutSegundos"], patched["data"]["modo"], patched["data"]["activa"]) == (
            None, "manual", False)

        # Refusals: the name taken (409), unknown campaign (404), bad bodies (422, no call).
        status, body = await gtr.status("POST", "/api/campanas", {"nombre": "Fibra"})
        assert (status, error_code(body)) == (409, "campana_exists")
        status, body = await gtr.status("PATCH", "/api/campanas/999999", {"prioridad": 1})
        assert (status, error_code(body)) == (404, "campana_not_found")
        for bad in ({}, {"nombre": None}, {"modo": "turbo"}, {"prioridad": 5000}, {"timeoutSegundos": 0},
                    {"activa": "si"}, {"otra": 1}):
            status, body = await gtr.status("PATCH", f"/api/campanas/{fibra}", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
        refused: list[dict[str, object]] = [{"nombre": ""}, {"nombre": "x", "modo": "auto", "maxDevoluciones": -1}, {}]
        for wrong in refused:
            status, body = await gtr.status("POST", "/api/campanas", wrong)
            assert (status, error_code(body)) == (422, "validation_error"), wrong
        status, body = await ana.status("POST", "/api/campanas", {"nombre": "Mia"})
        assert (status, error_code(body)) == (403, "forbidden")
        await board.close()


@run()
async def test_panel_skills_and_capacity(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        board = await listen(session, gw.base, people.gtr)
        fibra = await _auto_campaign(gtr)
        assert await gtr.call("POST", f"/api/asesores/{people.ana}/habilidades",
                              {"campanaId": fibra, "habilidad": True}, expect=200) == {
            "asesorId": people.ana, "campanaId": fibra, "habilidad": True, "cambiado": True}
        again = await gtr.call("POST", f"/api/asesores/{people.ana}/habilidades",
                               {"campanaId": fibra, "habilidad": True}, expect=200)
        assert again["cambiado"] is False
        (skills,) = await board.until_type("ASESOR_SKILLS_CHANGED")
        assert skills["data"]["campanas"] == [fibra]
        assert await gtr.call("PUT", f"/api/asesores/{people.ana}/capacidad", {"capacidad": 3}, expect=200) == {
            "asesorId": people.ana, "capacidad": 3}
        await board.until_type("ASESOR_CAPACITY_CHANGED")
        panel = {a["asesor_id"]: a for a in (await gtr.call("GET", "/api/asesores/panel", expect=200))["asesores"]}
        assert panel[people.ana]["campanas"] == [fibra] and panel[people.ana]["capacidad"] == 3
        assert panel[people.ana]["carga"] == 0 and panel[people.ana]["presencia"] == "desconectado"
        assert panel[people.beto]["campanas"] == []

        status, body = await gtr.status("PUT", f"/api/asesores/{people.ana}/capacidad", {"capacidad": 3})
        assert (status, error_code(body)) == (409, "asesor_state_unchanged")
        for bad in ({"capacidad": 0}, {"capacidad": 101}, {"capacidad": "2"}):
            status, body = await gtr.status("PUT", f"/api/asesores/{people.ana}/capacidad", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
        status, body = await gtr.status("POST", f"/api/asesores/{people.ana}/habilidades",
                                        {"campanaId": 999999, "habilidad": True})
        assert (status, error_code(body)) == (404, "campana_not_found")
        status, body = await gtr.status("POST", "/api/asesores/999999/habilidades",
                                        {"campanaId": fibra, "habilidad": False})
        assert (status, error_code(body)) == (404, "asesor_not_found")
        assert (await gtr.call("POST", f"/api/asesores/{people.ana}/habilidades",
                               {"campanaId": fibra, "habilidad": False}, expect=200))["cambiado"] is True
        status, body = await ana.status("GET", "/api/asesores/panel")
        assert (status, error_code(body)) == (403, "forbidden")
        await board.close()


@run()
async def test_presence_own_and_by_gtr_and_pause_reasons(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        board = await listen(session, gw.base, people.gtr)
        motivos = {m["codigo"] for m in (await ana.call("GET", "/api/motivos-pausa", expect=200))["motivos"]}
        assert {"descanso", "almuerzo"} <= motivos
        assert await ana.call("POST", "/api/presencia", {"presencia": "disponible"}, expect=200) == {
            "asesorId": people.ana, "presencia": "disponible", "motivoPausa": None, "asignados": 0}
        assert (await ana.call("POST", "/api/presencia", {"presencia": "en_pausa", "motivoPausa": "almuerzo"},
                               expect=200))["motivoPausa"] == "almuerzo"
        changes = await board.until_type("ASESOR_STATUS_CHANGED", count=2)
        assert [(e["data"]["presencia"], e["data"]["actor"]) for e in changes] == [
            ("disponible", "asesor"), ("en_pausa", "asesor")]
        assert (await gtr.call("POST", f"/api/asesores/{people.beto}/presencia", {"presencia": "disponible"},
                               expect=200))["asesorId"] == people.beto
        (by_gtr,) = [e for e in await board.until_type("ASESOR_STATUS_CHANGED", count=3)
                     if e["data"]["asesorId"] == people.beto]
        assert by_gtr["data"]["actor"] == "gtr"

        # Refusals: an unknown reason, a reason outside en_pausa, a pause without one (422
        # pause_reason_invalid, the procedure's); no change (409); another asesor (403).
        for bad in ({"presencia": "en_pausa", "motivoPausa": "siesta"}, {"presencia": "disponible",
                    "motivoPausa": "almuerzo"}, {"presencia": "en_pausa"}):
            status, body = await ana.status("POST", "/api/presencia", bad)
            assert (status, error_code(body)) == (422, "pause_reason_invalid"), bad
        status, body = await ana.status("POST", "/api/presencia", {"presencia": "en_pausa", "motivoPausa": "almuerzo"})
        assert (status, error_code(body)) == (409, "asesor_state_unchanged")
        status, body = await ana.status("POST", "/api/presencia", {"presencia": "disponible", "asesorId": people.beto})
        assert (status, error_code(body)) == (403, "forbidden")
        status, body = await ana.status("POST", f"/api/asesores/{people.beto}/presencia", {"presencia": "disponible"})
        assert (status, error_code(body)) == (403, "forbidden")
        status, body = await ana.status("POST", "/api/presencia", {"presencia": "ocupado"})
        assert (status, error_code(body)) == (422, "validation_error")
        status, body = await gtr.status("POST", "/api/asesores/999999/presencia", {"presencia": "disponible"})
        assert (status, error_code(body)) == (404, "asesor_not_found")
        await board.close()


@run()
async def test_a_lead_into_an_auto_campaign_reaches_an_available_asesor_with_no_gtr_click(
        db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        fibra = await _auto_campaign(gtr)
        await gtr.call("POST", f"/api/asesores/{people.ana}/habilidades", {"campanaId": fibra, "habilidad": True},
                       expect=200)
        await ana.call("POST", "/api/presencia", {"presencia": "disponible"}, expect=200)
        mine = await listen(session, gw.base, people.ana_token)
        created = await gtr.call("POST", "/api/clientes", {"nombre": "Juan", "campanaId": fibra, "prioridad": 5},
                                 expect=201)
        assert created["asesorAsignado"] == people.ana
        (given,) = await mine.until_type("CLIENT_REASSIGNED")
        assert given["data"]["clienteId"] == created["clienteId"]
        row = await ana.call("GET", f"/api/clientes/{created['clienteId']}", expect=200)
        assert (row["campana_id"], row["prioridad"], row["seguimiento_status"]) == (fibra, 5, "derivado")

        # Existing calls keep working: no campaign is 'general' (manual), nobody assigned.
        plain = await gtr.call("POST", "/api/clientes", {"nombre": "Luz"}, expect=201)
        assert plain["asesorAsignado"] is None
        assert (await gtr.call("GET", f"/api/clientes/{plain['clienteId']}", expect=200))["campana_id"] == 1
        status, body = await gtr.status("POST", "/api/clientes", {"nombre": "X", "campanaId": 999999})
        assert (status, error_code(body)) == (404, "campana_not_found")
        for bad in ({"nombre": "X", "prioridad": 1001}, {"nombre": "X", "campanaId": 0},
                    {"nombre": "X", "prioridad": "1"}):
            status, body = await gtr.status("POST", "/api/clientes", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
        await mine.close()


@run()
async def test_the_csv_import_goes_into_a_campaign(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        fibra = int((await gtr.call("POST", "/api/campanas", {"nombre": "Fibra"}, expect=201))["campanaId"])
        csv = "nombre,telefono\nAna Paz,+51 999 000 111\nBeto Paz,\n"
        status, text = await gtr.raw("POST", f"/api/importaciones?campanaId={fibra}&prioridad=7", data=csv,
                                     headers={"Content-Type": "text/csv"})
        assert status == 200, text
        rows = db.query("SELECT campana_id, prioridad FROM clientes ORDER BY id")
        assert [(r["campana_id"], r["prioridad"]) for r in rows] == [(fibra, 7), (fibra, 7)]
        status, text = await gtr.raw("POST", "/api/importaciones?origen=b.csv", data="nombre\nLuz\n",
                                     headers={"Content-Type": "text/csv"})
        assert status == 200, text
        assert db.query("SELECT campana_id, prioridad FROM clientes ORDER BY id DESC LIMIT 1")[0] == {
            "campana_id": 1, "prioridad": 0}
        status, text = await gtr.raw("POST", "/api/importaciones?campanaId=999999&origen=c.csv", data="nombre\nSol\n",
                                     headers={"Content-Type": "text/csv"})
        assert (status, error_code(text)) == (404, "campana_not_found")
        status, text = await gtr.raw("POST", "/api/importaciones?prioridad=abc", data="nombre\nSol\n",
                                     headers={"Content-Type": "text/csv"})
        assert (status, error_code(text)) == (422, "validation_error")


@run()
async def test_siguiente_cliente_and_devolver(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        ana, beto = Api(session, gw.base, people.ana_token), Api(session, gw.base, people.beto_token)
        fibra = await _auto_campaign(gtr, reciclajeSegundos=0)
        await gtr.call("POST", f"/api/asesores/{people.ana}/habilidades", {"campanaId": fibra, "habilidad": True},
                       expect=200)
        # Paused, the pull is refused (409): ask only when disponible.
        status, body = await ana.status("POST", "/api/siguiente-cliente", {})
        assert (status, error_code(body)) == (409, "asesor_not_available")
        await ana.call("POST", "/api/presencia", {"presencia": "disponible"}, expect=200)
        assert await ana.call("POST", "/api/siguiente-cliente", {}, expect=200) == {"clienteId": None,
                                                                                   "campanaId": None}
        await ana.call("POST", "/api/presencia", {"presencia": "en_pausa", "motivoPausa": "descanso"}, expect=200)
        first = (await gtr.call("POST", "/api/clientes", {"nombre": "Uno", "campanaId": fibra}, expect=201))
        assert first["asesorAsignado"] is None  # paused: it waits
        await ana.call("POST", "/api/presencia", {"presencia": "disponible"}, expect=200)  # given at once
        second = (await gtr.call("POST", "/api/clientes", {"nombre": "Dos", "campanaId": fibra}, expect=201))
        assert second["asesorAsignado"] is None  # capacity 1: Ana is full
        status, body = await ana.status("POST", "/api/siguiente-cliente", {})
        assert (status, error_code(body)) == (409, "capacity_full")

        mine = await listen(session, gw.base, people.ana_token)
        # Devolver: not its customer (403), bad motivo (422), then its own: back to the queue.
        status, body = await beto.status("POST", f"/api/clientes/{first['clienteId']}/devolver", {"motivo": "x"})
        assert (status, error_code(body)) == (403, "not_assigned")
        for bad in ({}, {"motivo": ""}, {"motivo": "x" * 201}):
            status, body = await ana.status("POST", f"/api/clientes/{first['clienteId']}/devolver", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
        assert await ana.call("POST", f"/api/clientes/{first['clienteId']}/devolver",
                              {"motivo": "número equivocado"}, expect=200) == {
            "clienteId": first["clienteId"], "seguimiento_status": "no_gestionado", "asesorId": people.ana}
        (returned,) = await mine.until_type("CLIENT_RETURNED_TO_GTR")
        assert returned["data"]["reason"] == "devuelto_por_asesor"
        assert returned["data"]["motivo"] == "número equivocado"
        # The pull now gives the best waiting customer: 'Dos' (older than the returned 'Uno'
        # is not: 'Uno' was loaded first, so it is first again).
        pulled = await ana.call("POST", "/api/siguiente-cliente", {}, expect=200)
        assert pulled["campanaId"] == fibra and pulled["clienteId"] in (first["clienteId"], second["clienteId"])
        status, body = await ana.status("POST", f"/api/clientes/{first['clienteId']}/devolver",
                                        {"motivo": "otra vez", "asesorId": people.beto})
        assert (status, error_code(body)) == (403, "forbidden")
        status, body = await gtr.status("POST", "/api/siguiente-cliente", {})
        assert (status, error_code(body)) == (403, "forbidden")
        await mine.close()
