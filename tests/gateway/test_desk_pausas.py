"""Pause reasons administered from the desk (issue 14, item 5): GTR lists every reason, adds,
renames and (de)activates one through sp_gtr_configurar_motivo_pausa, which names the caller's
GTR token in the audit; an asesor token is refused before any database call, and the change
reaches every socket, an asesor's too (PAUSE_REASON_CHANGED is a floor event)."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db


def gtr_token_id(db: Db) -> int:
    return int(db.query("SELECT id FROM api_tokens WHERE rol = 'gtr' ORDER BY id LIMIT 1")[0]["id"])


@run()
async def test_gtr_adds_renames_and_switches_a_reason_audited_and_sent_to_an_asesor(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        board = await ana.call("GET", "/api/clientes", expect=200)
        ws = await listen(session, gw.base, people.ana_token, since=board["snapshotOutboxId"])
        added = await gtr.call("POST", "/api/motivos-pausa", {"codigo": "cafe", "descripcion": " Café "}, expect=200)
        assert added == {"codigo": "cafe", "descripcion": "Café", "activo": True}
        [event] = await ws.until_type("PAUSE_REASON_CHANGED")
        assert {k: event["data"][k] for k in ("codigo", "descripcion", "activo", "actor")} == {
            "codigo": "cafe", "descripcion": "Café", "activo": 1, "actor": "gtr"}
        # The asesor may pause with it at once.
        paused = await ana.call("POST", "/api/presencia", {"presencia": "en_pausa", "motivoPausa": "cafe"}, expect=200)
        assert paused["motivoPausa"] == "cafe", paused
        await ws.close()

        await gtr.call("POST", "/api/motivos-pausa", {"codigo": "cafe", "descripcion": "Pausa café"}, expect=200)
        off = await gtr.call("POST", "/api/motivos-pausa",
                             {"codigo": "cafe", "descripcion": "Pausa café", "activo": False}, expect=200)
        assert off == {"codigo": "cafe", "descripcion": "Pausa café", "activo": False}
        chosen = (await ana.call("GET", "/api/motivos-pausa", expect=200))["motivos"]
        assert "cafe" not in {m["codigo"] for m in chosen}
        todos = {m["codigo"]: m for m in (await gtr.call("GET", "/api/motivos-pausa/todos", expect=200))["motivos"]}
        assert todos["cafe"] == {"codigo": "cafe", "descripcion": "Pausa café", "activo": False}
        assert todos["timeouts"]["activo"] is True

        audit = (await gtr.call("GET", "/api/auditoria", expect=200))["auditoria"]
        assert [(a["event_type"], a["detalle"]["descripcion"], a["detalle"]["activo"]) for a in audit] == [
            ("PAUSE_REASON_CHANGED", "Pausa café", 0), ("PAUSE_REASON_CHANGED", "Pausa café", 1),
            ("PAUSE_REASON_CHANGED", "Café", 1)]
        assert {(a["emisor_token_id"], a["emisor_descripcion"], a["actor"]) for a in audit} == {
            (gtr_token_id(db), "test", "gtr")}


@run()
async def test_bad_reasons_are_refused_and_change_nothing(db: Db, people: People) -> None:
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        # The procedure's rules (45007): the code's shape, timeouts stays active.
        for bad in ({"codigo": "Café", "descripcion": "x"}, {"codigo": "a b", "descripcion": "x"},
                    {"codigo": "cafe", "descripcion": "   "},
                    {"codigo": "timeouts", "descripcion": "Pausa automática por inactividad", "activo": False}):
            status, body = await gtr.status("POST", "/api/motivos-pausa", bad)
            assert (status, error_code(body)) == (422, "invalid_input"), bad
        # The shape (the model): missing, too long, wrong types, unknown fields.
        for bad in ({"codigo": "cafe"}, {"descripcion": "x"}, {"codigo": "a" * 41, "descripcion": "x"},
                    {"codigo": "cafe", "descripcion": "x" * 201}, {"codigo": "cafe", "descripcion": "x", "activo": 1},
                    {"codigo": "cafe", "descripcion": "x", "otro": 1}, {"codigo": 7, "descripcion": "x"}):
            status, body = await gtr.status("POST", "/api/motivos-pausa", bad)
            assert (status, error_code(body)) == (422, "validation_error"), bad
    assert db.snapshot() == before
    assert db.query("SELECT * FROM auditoria_admin") == []


@run()
async def test_an_asesor_token_may_neither_list_every_reason_nor_change_one(db: Db, people: People) -> None:
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        for method, path, body in (
                ("POST", "/api/motivos-pausa", {"codigo": "cafe", "descripcion": "Café"}),
                ("POST", "/api/motivos-pausa", {"codigo": "descanso", "descripcion": "Descanso", "activo": False}),
                ("GET", "/api/motivos-pausa/todos", None)):
            status, answer = await ana.status(method, path, body)
            assert (status, error_code(answer)) == (403, "forbidden"), (method, path)
    assert db.snapshot() == before
    assert db.query("SELECT * FROM auditoria_admin") == []


@run()
async def test_a_revoked_gtr_token_is_refused_by_the_procedure_too(db: Db, people: People) -> None:
    """The guard's role check passes a GTR token; the procedure checks it is still live (45015)
    in the transaction that would change the reason."""
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        await gtr.call("GET", "/api/motivos-pausa/todos", expect=200)  # the token now sits in the cache
        before = db.snapshot()
        # Revoked behind the gateway's back, straight in the table: no TOKEN_REVOKED reaches it.
        db.execute("UPDATE api_tokens SET revoked_at = UTC_TIMESTAMP(6) WHERE id = %s", (gtr_token_id(db),))
        status, body = await gtr.status("POST", "/api/motivos-pausa", {"codigo": "cafe", "descripcion": "Café"})
        assert status in (401, 403), body
        if status == 403:
            assert error_code(body) == "not_permitted"
    after = db.snapshot()
    assert after["motivos_pausa"] == before["motivos_pausa"] and after["outbox"] == before["outbox"]
