"""Presence, the gateway's half (issue 13): each gateway reports the asesores with a live
dashboard socket on it (sp_reportar_conectados, every presence_interval), so an asesor with
no socket on any gateway turns desconectado after presencia_socket_segundos, also when its
gateway crashed, while one connected to a surviving gateway stays as it is.

The database's part (sp_distribuir marking the stale ones) is called here directly, as the
other tests do, rather than waiting for the scheduler (the test databases disable events)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, GatewayProcess, listen, run, running_gateway, wait_for
from tests.support import Db

STALE_AFTER = 3  # presencia_socket_segundos for these tests
REPORT_EVERY = 0.5  # presence_interval: well under STALE_AFTER / 3


def presencia(db: Db, asesor_id: int) -> str:
    return str(db.query("SELECT presencia FROM asesores WHERE id = %s", (asesor_id,))[0]["presencia"])


def visto(db: Db, asesor_id: int) -> bool:
    return bool(db.query("SELECT 1 FROM asesores_conexion WHERE asesor_id = %s", (asesor_id,)))


@run()
async def test_an_open_dashboard_is_reported_and_a_closed_one_ages_into_desconectado(db: Db,
                                                                                    people: People) -> None:
    db.set_config("presencia_socket_segundos", STALE_AFTER)
    async with running_gateway(db.url, presence_interval=REPORT_EVERY) as gw, aiohttp.ClientSession() as session:
        ana = Api(session, gw.base, people.ana_token)
        socket = await listen(session, gw.base, people.ana_token)
        await ana.call("POST", "/api/presencia", {"presencia": "disponible"}, expect=200)

        async def reported() -> bool:
            return visto(db, people.ana)
        await wait_for(reported, what="Ana's socket reported")
        # Kept alive by the reports: well past STALE_AFTER, a distribution leaves it be.
        await asyncio.sleep(STALE_AFTER + 1)
        db.call("sp_distribuir")
        assert presencia(db, people.ana) == "disponible"
        assert not visto(db, people.beto), "Beto has no socket: never reported"

        await socket.close()
        closed_at = time.monotonic()

        async def gone() -> bool:
            db.call("sp_distribuir")
            return presencia(db, people.ana) == "desconectado"
        await wait_for(gone, timeout=STALE_AFTER + 5, what="Ana desconectado once her socket closed")
        assert time.monotonic() - closed_at >= STALE_AFTER - REPORT_EVERY - 0.5


@run(timeout=90)
async def test_a_sigkilled_gateways_asesor_goes_desconectado_one_on_a_survivor_stays(db: Db,
                                                                                   people: People) -> None:
    db.set_config("presencia_socket_segundos", STALE_AFTER)
    env = {"SEGUIMIENTO_PRESENCE_INTERVAL": str(REPORT_EVERY)}
    victim, survivor = GatewayProcess(db.url, env=env), GatewayProcess(db.url, env=env)
    victim.start()
    survivor.start()
    try:
        async with aiohttp.ClientSession() as session:
            on_victim = await listen(session, victim.base, people.ana_token)
            on_survivor = await listen(session, survivor.base, people.beto_token)
            board = await listen(session, survivor.base, people.gtr)
            await Api(session, victim.base, people.ana_token).call("POST", "/api/presencia",
                                                                   {"presencia": "disponible"}, expect=200)
            await Api(session, survivor.base, people.beto_token).call("POST", "/api/presencia",
                                                                      {"presencia": "disponible"}, expect=200)

            async def both_reported() -> bool:
                return visto(db, people.ana) and visto(db, people.beto)
            await wait_for(both_reported, what="both asesores reported")
            victim.kill()
            killed_at = time.monotonic()

            async def ana_gone() -> bool:
                db.call("sp_distribuir")
                return presencia(db, people.ana) == "desconectado"
            await wait_for(ana_gone, timeout=STALE_AFTER + 6, what="Ana desconectado after her gateway's SIGKILL")
            elapsed = time.monotonic() - killed_at
            # Not before her last report aged STALE_AFTER (less the report interval), and on time.
            assert STALE_AFTER - REPORT_EVERY - 0.5 <= elapsed <= STALE_AFTER + 3, elapsed
            (gone,) = [e for e in await board.until_type("ASESOR_STATUS_CHANGED", count=3)
                       if e["data"]["asesorId"] == people.ana and e["data"]["presencia"] == "desconectado"]
            assert gone["data"]["actor"] == "system"
            # Beto, whose dashboard is on the surviving gateway, stays disponible throughout.
            await asyncio.sleep(STALE_AFTER)
            db.call("sp_distribuir")
            assert presencia(db, people.beto) == "disponible"
            await on_survivor.close()
            await board.close()
            await on_victim.close()
    finally:
        survivor.stop()
        victim.kill()
