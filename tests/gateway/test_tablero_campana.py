"""GET /api/clientes?campanaId=: the GTR board filtered by campaign, read by the server
(sp_listar_clientes_de_campana). A campaign's customers come whole however many customers of
other campaigns are newer; the answer is the board's; unknown campaigns are 404; an asesor
token still reads only its own customers."""

from __future__ import annotations

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, run, running_gateway
from tests.support import Db


@run()
async def test_the_board_of_one_campaign(db: Db, people: People) -> None:
    norte = int(db.call_one("sp_crear_campana", "Norte", 900, 0, "manual", 0, 3)["campana_id"])
    mine = [int(db.call_one("sp_cargar_cliente_en_campana", f"N{i}", None, None, norte, 0)["cliente_id"])
            for i in range(3)]
    for i in range(12):  # newer customers of 'general': a page of 5 of the whole board misses Norte
        db.call_one("sp_cargar_cliente_en_campana", f"G{i}", None, None, 1, 0)
    db.call("sp_derivar_cliente", mine[0], people.ana, "gtr")
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        whole = await gtr.call("GET", "/api/clientes?limit=5", expect=200)
        assert not {c["cliente_id"] for c in whole["clientes"]} & set(mine)

        board = await gtr.call("GET", f"/api/clientes?campanaId={norte}&limit=5", expect=200)
        assert [c["cliente_id"] for c in board["clientes"]] == sorted(mine, reverse=True)
        assert board["total"] == 3 and board["snapshotOutboxId"] == whole["snapshotOutboxId"]
        assert board["timeoutSegundos"] == 300  # the global one; the rows carry their own deadline
        derivado = next(c for c in board["clientes"] if c["cliente_id"] == mine[0])
        assert derivado["campana_id"] == norte and derivado["vence_at"] is not None

        nuevos = await gtr.call("GET", f"/api/clientes?campanaId={norte}&estado=nuevo&limit=1&offset=1", expect=200)
        assert nuevos["total"] == 2 and [c["cliente_id"] for c in nuevos["clientes"]] == [mine[1]]

        # An asesor token reads its own customers of the campaign, and no one else's.
        own = await ana.call("GET", f"/api/clientes?campanaId={norte}", expect=200)
        assert [c["cliente_id"] for c in own["clientes"]] == [mine[0]]
        status, body = await ana.status("GET", f"/api/clientes?campanaId={norte}&asesorId={people.beto}")
        assert (status, error_code(body)) == (403, "forbidden")

        status, body = await gtr.status("GET", "/api/clientes?campanaId=999999")
        assert (status, error_code(body)) == (404, "campana_not_found")
        for bad in ("0", "-1", "x", "99999999999999999999"):
            status, body = await gtr.status("GET", f"/api/clientes?campanaId={bad}")
            assert status in (400, 422), (bad, status, body)
