"""No event lost, none twice, always in id order: concurrent writers over HTTP and over plain
connections, transactions rolled back on purpose and a long one, two gateway processes on
one database; resuming after a disconnect and after a gateway restart; RESYNC_REQUIRED."""

from __future__ import annotations

import asyncio
import itertools

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import (
    Api,
    GatewayProcess,
    Listener,
    hand_written_events,
    last_outbox_id,
    listen,
    run,
    running_gateway,
)
from tests.support import Db


def _direct_writer(db: Db, worker: int, rounds: int) -> None:
    """A DBA-style writer on its own connection: customers, hand-written batches, rollbacks."""
    conn = Db(db.url)
    try:
        for i in range(rounds):
            conn.call("sp_cargar_cliente", f"Directo {worker}-{i}", None, None)
            if i % 5 == 0:
                hand_written_events(conn, 10, event_type="BATCH")
            if i % 5 == 2:
                hand_written_events(conn, 10, event_type="ROLLED_BACK", commit=False)
    finally:
        conn.close()


def _long_transaction(db: Db) -> None:
    conn = Db(db.url)
    try:
        hand_written_events(conn, 5, event_type="LONG", hold=1.0)
    finally:
        conn.close()


async def _http_flow(gtr: Api, asesor: Api, asesor_id: int, rounds: int) -> None:
    for i in range(rounds):
        created = await gtr.call("POST", "/api/clientes", {"nombre": f"Http {asesor_id}-{i}"}, expect=201)
        cliente = created["clienteId"]
        await gtr.call("POST", f"/api/clientes/{cliente}/estatus",
                       {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor_id}, expect=200)
        token = (await asesor.call("POST", f"/api/clientes/{cliente}/lock", {}, expect=200))["lockToken"]
        await asesor.call("POST", f"/api/clientes/{cliente}/open-wizard", {"lockToken": token}, expect=200)
        await asesor.call("PUT", f"/api/clientes/{cliente}", {"lockToken": token, "datos": {"i": i}}, expect=200)
        if i % 2 == 0:
            await asesor.call("POST", f"/api/clientes/{cliente}/complete-wizard", {"lockToken": token}, expect=200)


def _check_exactly_once_in_order(listener: Listener, expected: list[int], who: str) -> None:
    ids = listener.ids()
    assert ids == expected, f"{who}: {len(ids)} ids, expected {len(expected)}; first difference at " + str(
        next((i for i, (a, b) in enumerate(itertools.zip_longest(ids, expected)) if a != b), None))


@run(timeout=120)
async def test_concurrent_writers_two_gateways_every_event_once_in_order(db: Db, people: People) -> None:
    with GatewayProcess(db.url) as one, GatewayProcess(db.url) as two:
        async with aiohttp.ClientSession() as session:
            listeners = {
                "gtr@1": await listen(session, one.base, people.gtr, since=0),
                "gtr@1 again": await listen(session, one.base, people.gtr, since=0),
                "gtr@2": await listen(session, two.base, people.gtr, since=0),
                "ana@1": await listen(session, one.base, people.ana_token, since=0),
                "ana@2": await listen(session, two.base, people.ana_token, since=0),
                "beto@2": await listen(session, two.base, people.beto_token, since=0),
            }
            writers = []
            for n, base in enumerate([one.base, two.base] * 3):
                asesor_id, token = ((people.ana, people.ana_token) if n % 2 else (people.beto, people.beto_token))
                writers.append(_http_flow(Api(session, base, people.gtr), Api(session, base, token), asesor_id, 6))
            writers += [asyncio.to_thread(_direct_writer, db, w, 20) for w in range(3)]
            writers.append(asyncio.to_thread(_long_transaction, db))
            await asyncio.gather(*writers)

            outbox = db.outbox()
            final = last_outbox_id(db)
            # Gap-free: the committed events are exactly ids 1..final, rollbacks left no hole.
            assert [e["id"] for e in outbox] == list(range(1, final + 1))
            assert not [e for e in outbox if e["event_type"] == "ROLLED_BACK"]
            assert {e["event_type"] for e in outbox} >= {"CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION",
                                                        "CLIENT_UPDATED", "CLIENT_COMPLETED", "BATCH", "LONG"}
            assert final > 300
            for name, listener in listeners.items():
                if name.startswith("gtr"):
                    expected = list(range(1, final + 1))
                else:
                    asesor = people.ana if name.startswith("ana") else people.beto
                    expected = [e["id"] for e in outbox if asesor in (e["asesor_id"], e["previous_asesor_id"])]
                await listener.until_id(expected[-1], timeout=15)
                await asyncio.sleep(0.3 if name == "beto@2" else 0)  # anything extra would show now
                _check_exactly_once_in_order(listener, expected, name)
            # What each socket got is the outbox's own content.
            by_id = {e["id"]: e for e in outbox}
            for message in listeners["gtr@2"].messages:
                assert message["type"] == by_id[message["id"]]["event_type"]
                assert message["data"] == by_id[message["id"]]["payload"]
            for listener in listeners.values():
                await listener.close()


@run()
async def test_resume_after_disconnect_no_gap_no_duplicate(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        first = await listen(session, gw.base, people.gtr, since=0)
        for i in range(3):
            await gtr.call("POST", "/api/clientes", {"nombre": f"Antes {i}"}, expect=201)
        await first.until_id(3)
        await first.close()
        seen = first.ids()[-1]
        # Written while the dashboard is away, by the gateway and by a DBA.
        for i in range(3):
            await gtr.call("POST", "/api/clientes", {"nombre": f"Durante {i}"}, expect=201)
        hand_written_events(db, 4)
        again = await listen(session, gw.base, people.gtr, since=seen)
        await again.until_id(10)
        await gtr.call("POST", "/api/clientes", {"nombre": "Después"}, expect=201)
        await again.until_id(11)
        assert first.ids() == [1, 2, 3]
        assert again.ids() == list(range(4, 12))
        # Without since: live events only.
        live = await listen(session, gw.base, people.gtr)
        await gtr.call("POST", "/api/clientes", {"nombre": "En vivo"}, expect=201)
        await live.until_id(12)
        assert live.ids() == [12]


@run(timeout=90)
async def test_resume_after_gateway_restart(db: Db, people: People) -> None:
    server = GatewayProcess(db.url).start()
    try:
        async with aiohttp.ClientSession() as session:
            gtr = Api(session, server.base, people.gtr)
            listener = await listen(session, server.base, people.gtr, since=0)
            await gtr.call("POST", "/api/clientes", {"nombre": "Uno"}, expect=201)
            await listener.until_id(1)
            assert server.stop() == 0
            await asyncio.wait_for(listener.closed.wait(), 10)
            assert listener.close_code == 1001  # GOING_AWAY
            # Events written while no gateway runs.
            db.nuevo_cliente("Dos")
            hand_written_events(db, 3)
            server.start()
            gtr = Api(session, server.base, people.gtr)
            resumed = await listen(session, server.base, people.gtr, since=listener.ids()[-1])
            await gtr.call("POST", "/api/clientes", {"nombre": "Tres"}, expect=201)
            await resumed.until_id(6)
            assert resumed.ids() == [2, 3, 4, 5, 6]
            await resumed.close()
    finally:
        server.stop()
    assert "stopped" in "".join(server.output)


@run()
async def test_resync_required_when_since_is_older_than_the_outbox_keeps(db: Db, people: People) -> None:
    for i in range(5):
        db.nuevo_cliente(f"Viejo {i}")
    # The retention purge removed events 1..3.
    db.execute("UPDATE outbox SET created_at = created_at - INTERVAL 1000 HOUR WHERE id <= 3")
    assert db.call_one("sp_purgar_outbox")["borrados"] == 3
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        for since in (0, 1, 6, 99):
            stale = await listen(session, gw.base, people.gtr, since=since)
            await asyncio.wait_for(stale.closed.wait(), 5)
            [message] = stale.messages
            assert message["type"] == "RESYNC_REQUIRED", (since, message)
            assert message["data"]["latestId"] == 5 and message["data"]["oldestId"] == 4
            assert stale.close_code == 4000
        # since=3: event 4 is the next one and is still kept.
        fine = await listen(session, gw.base, people.gtr, since=3)
        await fine.until_id(5)
        assert fine.ids() == [4, 5]
        # The board says where to subscribe from after a resync.
        board = await Api(session, gw.base, people.gtr).call("GET", "/api/clientes", expect=200)
        assert board["snapshotOutboxId"] == 5 and board["total"] == 5
        await fine.close()
