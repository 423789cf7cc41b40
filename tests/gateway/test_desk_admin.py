"""The desk's administration through the gateway (issue 14, item 5): GTR creates, deactivates
and reactivates asesores, gives one a login token, sets the timeout and reads the audit; every
change goes through an ``sp_gtr_*`` procedure that names the caller's GTR token, and an asesor
token is refused before any database call."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db


def gtr_token_id(db: Db) -> int:
    return int(db.query("SELECT id FROM api_tokens WHERE rol = 'gtr' ORDER BY id LIMIT 1")[0]["id"])


@run()
async def test_gtr_creates_deactivates_and_reactivates_and_the_audit_names_its_token(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        board = await gtr.call("GET", "/api/clientes", expect=200)
        ws = await listen(session, gw.base, people.gtr, since=board["snapshotOutboxId"])
        created = await gtr.call("POST", "/api/asesores", {"nombre": "Carla Ruiz"}, expect=201)
        carla = created["asesorId"]
        assert created == {"asesorId": carla}
        cliente = db.derivado(carla)
        off = await gtr.call("POST", f"/api/asesores/{carla}/deactivate", expect=200)
        assert off == {"asesorId": carla, "activo": False, "clientesDevueltos": 1, "tokensRevocados": 0}
        assert db.cliente(cliente)["seguimiento_status"] == "no_gestionado"
        on = await gtr.call("POST", f"/api/asesores/{carla}/activate", expect=200)
        assert on == {"asesorId": carla, "activo": True, "clientesDevueltos": 0, "tokensRevocados": 0}
        await ws.until_type("ASESOR_ACTIVATED")
        assert {"ASESOR_CREATED", "ASESOR_DEACTIVATED", "ASESOR_ACTIVATED"} <= {e["type"] for e in ws.events()}
        await ws.close()

        audit = (await gtr.call("GET", f"/api/auditoria?asesorId={carla}", expect=200))["auditoria"]
        assert [a["event_type"] for a in audit] == ["ASESOR_ACTIVATED", "ASESOR_DEACTIVATED", "ASESOR_CREATED"]
        assert {(a["emisor_token_id"], a["emisor_descripcion"], a["actor"]) for a in audit} == {
            (gtr_token_id(db), "test", "gtr")}
        assert audit[2]["detalle"]["nombre"] == "Carla Ruiz"
        everyone = (await gtr.call("GET", "/api/auditoria?limit=2", expect=200))["auditoria"]
        assert len(everyone) == 2 and everyone[0]["auditoria_id"] > everyone[1]["auditoria_id"]


@run()
async def test_a_token_given_by_gtr_logs_the_asesor_in_and_is_shown_once_and_never_stored(
        db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        async with session.post(f"{gw.base}/api/asesores/{people.ana}/tokens", json={"descripcion": "turno tarde"},
                                headers=gtr.headers()) as response:
            assert response.status == 201
            assert response.headers["Cache-Control"] == "no-store"
            issued = await response.json()
        assert issued["asesorId"] == people.ana and issued["token"].startswith("seg_")
        assert issued["expiresAt"] is not None  # an asesor token's default lifetime
        me = await Api(session, gw.base, issued["token"]).call("GET", "/api/me", expect=200)
        assert me == {"role": "asesor", "asesorId": people.ana, "nombre": "Ana", "presencia": "desconectado",
                      "motivoPausa": None}
        forever = await gtr.call("POST", f"/api/asesores/{people.beto}/tokens", {"vigenciaSegundos": 0}, expect=201)
        assert forever["expiresAt"] is None

        [row] = (await gtr.call("GET", f"/api/auditoria?asesorId={people.ana}", expect=200))["auditoria"]
        assert (row["event_type"], row["token_id"], row["emisor_token_id"]) == (
            "ASESOR_TOKEN_ISSUED", issued["tokenId"], gtr_token_id(db))
        # The secret is nowhere in the database: not in the audit, the outbox or the token table.
        dump = "".join(str(rows) for rows in (db.query("SELECT * FROM auditoria_admin"), db.outbox(),
                                                 db.query("SELECT * FROM api_tokens")))
        assert issued["token"] not in dump

        await gtr.call("POST", f"/api/asesores/{people.beto}/deactivate", expect=200)
        status, body = await gtr.status("POST", f"/api/asesores/{people.beto}/tokens", {})
        assert (status, error_code(body)) == (404, "asesor_not_found")
        status, body = await gtr.status("POST", "/api/asesores/999999/tokens", {})
        assert (status, error_code(body)) == (404, "asesor_not_found")
        for bad in ({"vigenciaSegundos": -1}, {"descripcion": ""}, {"token": "seg_mine"}, {"vigenciaSegundos": "60"}):
            status, body = await gtr.status("POST", f"/api/asesores/{people.ana}/tokens", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad


@run()
async def test_gtr_sets_the_timeout_and_the_board_reports_it(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        before = (await gtr.call("GET", "/api/clientes?limit=1", expect=200))["timeoutSegundos"]
        changed = await gtr.call("POST", "/api/configuracion", {"clave": "timeout_segundos", "valor": 120}, expect=200)
        assert changed == {"clave": "timeout_segundos", "valorAnterior": before, "valor": 120}
        assert (await gtr.call("GET", "/api/clientes?limit=1", expect=200))["timeoutSegundos"] == 120
        [row] = (await gtr.call("GET", "/api/auditoria", expect=200))["auditoria"]
        assert row["event_type"] == "CONFIG_CHANGED" and row["detalle"]["valor"] == 120
        # Out of the procedure's range: its 45007; a server setting or a bad shape: refused by the model.
        status, body = await gtr.status("POST", "/api/configuracion", {"clave": "timeout_segundos", "valor": 0})
        assert (status, error_code(body)) == (422, "invalid_input")
        for bad in ({"clave": "lote_barrido", "valor": 10}, {"clave": "timeout_segundos"},
                    {"clave": "timeout_segundos", "valor": "120"}, {"clave": "timeout_segundos", "valor": -5}):
            status, body = await gtr.status("POST", "/api/configuracion", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
        for query in ("limit=0", "limit=1001", "asesorId=0", "asesorId=x", "otro=1"):
            status, body = await gtr.status("GET", f"/api/auditoria?{query}")
            assert (status, error_code(body)) == (422, "validation_error"), query
    assert db.query("SELECT valor FROM seguimiento_config WHERE clave = 'timeout_segundos'")[0]["valor"] == 120


@run()
async def test_an_asesor_token_may_administer_nothing(db: Db, people: People) -> None:
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        for method, path, body in (
                ("POST", "/api/asesores", {"nombre": "Intrusa"}),
                ("POST", f"/api/asesores/{people.beto}/deactivate", None),
                ("POST", f"/api/asesores/{people.ana}/activate", None),
                ("POST", f"/api/asesores/{people.ana}/tokens", {}),
                ("POST", "/api/configuracion", {"clave": "timeout_segundos", "valor": 60}),
                ("GET", "/api/auditoria", None)):
            status, answer = await ana.status(method, path, body)
            assert (status, error_code(answer)) == (403, "forbidden"), (method, path)
    assert db.snapshot() == before
