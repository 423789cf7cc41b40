"""The GTR's CSV upload, /api/me, and the timeout the board reports."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db

CSV = "nombre,telefono,producto\nAna,999111222,fibra\n,999111223,\nBeto,12,\nCarla,999111222,\n"


@run()
async def test_gtr_uploads_a_csv_good_rows_load_bad_rows_come_back_with_their_line(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        board = await gtr.call("GET", "/api/clientes", expect=200)
        ws = await listen(session, gw.base, people.gtr, since=board["snapshotOutboxId"])
        status, body = await gtr.raw("POST", "/api/importaciones?skipDuplicates=true&origen=leads.csv", data=CSV)
        assert status == 200, body
        assert body["cargados"] == 1 and body["lotes"] == 1
        assert [(r["linea"], r["motivo"].split()[0]) for r in body["rechazados"]] == [
            (3, "nombre"), (4, "telefono"), (5, "telefono")]
        [event] = await ws.until_type("CLIENTS_IMPORTED")
        assert event["data"]["cargados"] == 1 and event["data"]["rechazados"] == 3
        await ws.close()

        again = await gtr.raw("POST", "/api/importaciones?skipDuplicates=true", data=CSV)
        assert again[0] == 200 and again[1]["cargados"] == 0 and again[1]["lotesYaImportados"] == 1
    assert db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"] == 1


@run()
async def test_only_gtr_may_upload_and_a_bad_file_or_a_huge_one_changes_nothing(db: Db, people: People) -> None:
    before = db.snapshot()
    async with running_gateway(db.url, import_max_bytes=4096) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        gtr = Api(session, gw.base, people.gtr)
        status, body = await ana.raw("POST", "/api/importaciones", data=CSV)
        assert (status, error_code(body)) == (403, "forbidden")
        status, body = await gtr.raw("POST", "/api/importaciones", data="telefono\n999111222\n")
        assert (status, error_code(body)) == (422, "validation_error")
        status, body = await gtr.raw("POST", "/api/importaciones", data="nombre\n" + "x\n" * 5000)
        assert (status, error_code(body)) == (413, "payload_too_large")
        status, body = await gtr.raw("POST", "/api/importaciones?bogus=1", data=CSV)
        assert (status, error_code(body)) == (422, "validation_error")
        # A header that is not UTF-8 (found by tests/fuzz: it was a 500).
        status, body = await gtr.raw("POST", "/api/importaciones", data=b"nombre,caf\xe9\nAna,999111222\n")
        assert (status, error_code(body)) == (422, "validation_error")
    assert db.snapshot() == before


@run()
async def test_me_says_who_the_token_is_and_the_board_carries_the_timeout(db: Db, people: People) -> None:
    db.call("sp_configurar", "timeout_segundos", 120)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        assert await Api(session, gw.base, people.gtr).call("GET", "/api/me", expect=200) == {
            "role": "gtr", "asesorId": None, "nombre": None, "presencia": None, "motivoPausa": None}
        assert await Api(session, gw.base, people.ana_token).call("GET", "/api/me", expect=200) == {
            "role": "asesor", "asesorId": people.ana, "nombre": "Ana", "presencia": "desconectado",
            "motivoPausa": None}
        status, body = await Api(session, gw.base, None).status("GET", "/api/me")
        assert (status, error_code(body)) == (401, "unauthorized")
        board = await Api(session, gw.base, people.gtr).call("GET", "/api/clientes", expect=200)
        assert board["timeoutSegundos"] == 120
