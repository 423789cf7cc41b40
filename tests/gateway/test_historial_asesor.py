"""An asesor's read of a customer's history (issue 14, item 3): the ownership check and the
read are one call, so a reassignment racing the read can never show the customer's next asesor
to the previous one."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, run, running_gateway
from tests.support import Db


@run()
async def test_an_asesor_reads_its_own_customers_history_in_one_call_and_no_other(db: Db, people: People) -> None:
    mine, other = db.derivado(people.ana), db.derivado(people.beto)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        await ana.call("GET", "/api/me", expect=200)  # the token is now cached: what follows is the route's
        before = gw.procedure_calls()
        body = await ana.call("GET", f"/api/clientes/{mine}/historial", expect=200)
        assert gw.procedure_calls() - before == 1, "an asesor's history must be one procedure call"
        assert [h["estado_nuevo"] for h in body["historial"]] == ["nuevo", "derivado"]
        status, refused = await ana.status("GET", f"/api/clientes/{other}/historial")
        assert (status, error_code(refused)) == (403, "not_assigned")
        status, missing = await ana.status("GET", "/api/clientes/999999/historial")
        assert (status, error_code(missing)) == (404, "cliente_not_found")
        # GTR reads any customer's.
        gtr = Api(session, gw.base, people.gtr)
        assert len((await gtr.call("GET", f"/api/clientes/{other}/historial", expect=200))["historial"]) == 2


@run(timeout=120)
async def test_a_reassignment_racing_the_read_never_leaks_the_next_asesor(db: Db, people: People) -> None:
    """GTR moves one customer between Ana and Beto as fast as it can while Ana reads its
    history. Every history Ana is shown must end with the customer assigned to her: with a
    check, then a read, a reassignment between them showed her Beto's row."""
    cliente = db.derivado(people.ana)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        stop = asyncio.Event()

        async def shuffle() -> int:
            moves = 0
            while not stop.is_set():
                for asesor in (people.beto, people.ana):
                    await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                                   {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor}, expect=200)
                    moves += 1
            return moves

        mover = asyncio.create_task(shuffle())
        shown = refused = 0
        try:
            for _ in range(2000):
                status, body = await ana.status("GET", f"/api/clientes/{cliente}/historial")
                if status == 403:
                    assert error_code(body) == "not_assigned", body
                    refused += 1
                else:
                    assert status == 200, body
                    last = body["historial"][-1]
                    assert (last["estado_nuevo"], last["asesor_id"]) == ("derivado", people.ana), \
                        f"Ana was shown a history that ends with another asesor's row: {last}"
                    shown += 1
                if shown >= 50 and refused >= 50:
                    break
        finally:
            stop.set()
            moves = await mover
    # The race was really run: both outcomes, and many moves while reading.
    assert shown >= 50 and refused >= 50 and moves >= 20, (shown, refused, moves)
