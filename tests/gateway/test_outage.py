"""The database goes away under a running gateway and comes back: 503 meanwhile, /health
says so, the gateway reconnects by itself and the sockets miss no event."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.gateway.harness import Api, error_code, listen, make_token, run, running_gateway, wait_for
from tests.privateserver import private_server
from tests.support import Db


@run(timeout=150)
async def test_mysql_stopped_and_started_under_a_running_gateway(tmp_path: Path) -> None:
    with private_server(tmp_path) as server:
        db = Db(server.url)
        asesor = db.asesor("Ana")
        gtr_token, ana_token = make_token(db, "gtr"), make_token(db, "asesor", asesor)
        db.close()
        async with running_gateway(server.url, connect_timeout=1.0, poll_interval=0.1) as gw, \
                aiohttp.ClientSession() as session:
            gtr = Api(session, gw.base, gtr_token)
            gtr_ws = await listen(session, gw.base, gtr_token, since=0)
            ana_ws = await listen(session, gw.base, ana_token, since=0)
            first = (await gtr.call("POST", "/api/clientes", {"nombre": "Antes"}, expect=201))["clienteId"]
            await gtr_ws.until_id(1)

            for stop in (server.kill, server.stop):  # a crash, then a clean shutdown
                await asyncio.to_thread(stop)
                for method, path, body in (("GET", "/api/clientes", None),
                                           ("POST", "/api/clientes", {"nombre": "Durante"}),
                                           ("GET", f"/api/clientes/{first}", None)):
                    status, answer = await gtr.status(method, path, body)
                    assert (status, error_code(answer)) == (503, "database_unavailable"), (path, answer)
                status, health = await Api(session, gw.base, None).status("GET", "/health")
                assert status == 503 and error_code(health) == "database_unavailable"
                assert health["database"] == "unreachable"
                await wait_for(lambda: _tailer_down(gw.base, session), 5, "the tailer to notice")
                # The sockets stay open: they are not the database's.
                assert not gtr_ws.closed.is_set()

                await asyncio.to_thread(server.start)
                await wait_for(lambda: _healthy(gw.base, session), 15, "the gateway to reconnect")
                cliente = (await gtr.call("POST", "/api/clientes", {"nombre": "Después"}, expect=201))["clienteId"]
                await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                               {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor}, expect=200)
            # Written straight to the database after the restart, found by the resumed tail.
            direct = Db(server.url)
            direct.call("sp_derivar_cliente", first, asesor, "dba")
            last = int(direct.query("SELECT ultimo_id FROM outbox_secuencia")[0]["ultimo_id"])
            direct.close()
            await gtr_ws.until_id(last, timeout=10)
            assert gtr_ws.ids() == list(range(1, last + 1))
            await ana_ws.until_id(last, timeout=10)
            assert [m["type"] for m in ana_ws.messages] == ["CLIENT_REASSIGNED"] * 3
            await gtr_ws.close()
            await ana_ws.close()

        # A gateway started while the database is down starts anyway, says so, and comes up
        # with it.
        await asyncio.to_thread(server.kill)
        async with running_gateway(server.url, connect_timeout=1.0) as cold, aiohttp.ClientSession() as session:
            status, health = await Api(session, cold.base, None).status("GET", "/health")
            assert status == 503 and health["tailer"]["up"] is False
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(cold.base + "/ws", params={"token": gtr_token, "since": "0"})
            assert info.value.status == 503
            await asyncio.to_thread(server.start)
            await wait_for(lambda: _healthy(cold.base, session), 15, "the cold gateway to connect")
            late = await listen(session, cold.base, gtr_token, since=0)
            await late.until_id(last)
            assert late.ids() == list(range(1, last + 1))
            await late.close()


async def _healthy(base: str, session: aiohttp.ClientSession) -> bool:
    async with session.get(base + "/health") as response:
        body = await response.json()
        return response.status == 200 and body["tailer"]["up"] is True


async def _tailer_down(base: str, session: aiohttp.ClientSession) -> bool:
    async with session.get(base + "/health") as response:
        return (await response.json())["tailer"]["up"] is False

