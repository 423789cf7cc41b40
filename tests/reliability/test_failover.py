"""Fault: a failover that loses the last commits (an asynchronous replica promoted).

docs/scaling.md recommends a primary whose failover loses no acknowledged commit (InnoDB
Cluster / Group Replication, semi-synchronous replication). With plain asynchronous
replicas a failover can lose the primary's last transactions: the new primary's outbox
then ends *before* ids the gateways already delivered, and the next events take those
ids again. This test makes exactly that happen: a copy of the primary's data taken at
event 7 is started in its place after events 8-10 were delivered.

What should happen: every dashboard is told RESYNC_REQUIRED (and reloads), or receives the
new events; a socket opening with a ``since`` past the new primary's newest id is told
RESYNC_REQUIRED. A new socket is told by the attach (it compares ``since`` with
``sp_outbox_limites``); a socket already open by the tailer, which after losing the database
compares the outbox's newest id with what it delivered and, when the database is behind,
tells every socket to reload and restarts from the database's newest id. (Before that fix
the open socket silently missed the events that took ids 8-10 again.)
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import aiohttp

from gateway.db.embedded import EmbeddedServer
from tests.gateway.harness import Api, GatewayProcess, listen, make_token, run, wait_for
from tests.privateserver import private_server
from tests.reliability.recording import Record
from tests.support import Db

DELIVERED_BEFORE_COPY = 7
LOST = 3  # events 8-10: delivered, then lost with the old primary


async def _healthy(session: aiohttp.ClientSession, base: str) -> bool:
    try:
        async with session.get(base + "/health") as response:
            return response.status == 200 and (await response.json())["tailer"]["up"] is True
    except aiohttp.ClientError:
        return False


@run(timeout=120)
async def test_a_failover_that_lost_commits_never_leaves_a_socket_silently_behind(tmp_path: Path,
                                                                                  reliability: Record) -> None:
    """Lossy failover: the new primary lacks the last delivered events"""
    rec = reliability
    rec.load = f"one gateway, one GTR socket open throughout; {DELIVERED_BEFORE_COPY + LOST} events, then 4 more"
    rec.faults = (f"the primary SIGKILLed after events {DELIVERED_BEFORE_COPY + 1}-{DELIVERED_BEFORE_COPY + LOST} "
                  f"were delivered; a copy of its data at event {DELIVERED_BEFORE_COPY} started in its place "
                  "(an asynchronous replica promoted)")
    rec.inputs = "the open socket; a new socket with since = the last id it had seen"
    with private_server(tmp_path) as primary:
        db = Db(primary.url)
        asesor = db.asesor("Ana")
        gtr_token = make_token(db, "gtr")
        make_token(db, "asesor", asesor)
        for n in range(DELIVERED_BEFORE_COPY):
            db.nuevo_cliente(f"Antes {n}")
        db.close()
        # The replica: the primary's data as it was at event 7 (a clean copy of a stopped server).
        primary.stop()
        shutil.copytree(primary.datadir / "data", tmp_path / "replica" / "data")
        shutil.copytree(primary.datadir / "secrets", tmp_path / "replica" / "secrets")  # its passwords
        primary.start()
        replica = EmbeddedServer(tmp_path / "replica", port=primary.port)
        gateway = GatewayProcess(primary.url, env={"SEGUIMIENTO_CONNECT_TIMEOUT": "1"}).start()
        try:
            async with aiohttp.ClientSession() as session:
                gtr = Api(session, gateway.base, gtr_token)
                open_socket = await listen(session, gateway.base, gtr_token, since=0)
                for n in range(LOST):
                    await gtr.call("POST", "/api/clientes", {"nombre": f"Perdido {n}"}, expect=201)
                last_seen = DELIVERED_BEFORE_COPY + LOST
                await open_socket.until_id(last_seen)

                await asyncio.to_thread(primary.kill)
                await asyncio.to_thread(replica.start)
                await wait_for(lambda: _healthy(session, gateway.base), 20, "the gateway to reach the new primary")
                late = await listen(session, gateway.base, gtr_token, since=last_seen)
                await asyncio.wait_for(late.closed.wait(), 10)
                new_socket_told = [m["type"] for m in late.messages] == ["RESYNC_REQUIRED"]

                for n in range(LOST + 1):  # ids 8-10 again, then 11
                    await gtr.call("POST", "/api/clientes", {"nombre": f"Nuevo {n}"}, expect=201)
                await asyncio.sleep(2)  # twenty polls
                after = open_socket.messages[last_seen:]
                told = any(m["type"] == "RESYNC_REQUIRED" for m in after)
                got = [m["id"] for m in after if m["type"] != "RESYNC_REQUIRED"]
                missed = 0 if told else len([i for i in range(DELIVERED_BEFORE_COPY + 1, last_seen + 1)
                                             if i not in got])
                await open_socket.close()
        finally:
            gateway.stop()
            replica.stop(timeout=20)
            replica.kill()

    rec.figure("events lost with the old primary", LOST)
    rec.figure("new socket with since past the newest id told RESYNC_REQUIRED", "yes" if new_socket_told else "no")
    rec.figure("open socket told RESYNC_REQUIRED", "yes" if told else "no")
    rec.figure("new events the open socket missed silently", missed)
    rec.figure("ids the open socket got after the failover", ", ".join(map(str, got)) or "none")
    assert new_socket_told
    assert told or missed == 0, f"the open socket silently missed {missed} new events; it got {got}"
