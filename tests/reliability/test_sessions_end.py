"""Sessions end on every gateway within a second: revocation, expiry and deactivation.

Two `seguimiento serve` processes share one database. Each has two WebSockets of the asesor
token that is about to end (and a GTR observer socket). Then, one at a time:

* **revocation**: a DBA calls ``sp_revocar_token`` with a MySQL client; timed from the
  moment the CALL returned (its commit);
* **expiry**: a token created with a 2 s lifetime; timed from its ``expires_at``, and the
  expiry is then recorded by ``sp_caducar_tokens`` (as its EVENT does every second) with
  its TOKEN_EXPIRED event;
* **deactivation**: GTR deactivates the asesor through gateway 1's route; timed from the
  moment the answer arrived.

Every socket of the session, on both processes, must close with code 4001 within 1 s, and
REST calls with the token must answer 401 on both within 1 s. The GTR observers must stay
open, receive ASESOR_DEACTIVATED, and never be sent a TOKEN_* event.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import aiohttp

from gateway.web.auth import new_token, token_sha256
from gateway.web.sessions import CLOSE_SESSION_ENDED
from tests.gateway.conftest import People
from tests.gateway.harness import Api, GatewayProcess, run
from tests.reliability.recording import Record
from tests.support import Db

LIMIT_S = 1.0
SOCKETS_PER_GATEWAY = 2


@dataclass
class Watched:
    """One WebSocket, read until it closes: its messages, close code and close time."""

    ws: aiohttp.ClientWebSocketResponse
    messages: list[Any] = field(default_factory=list)
    closed_at: float | None = None
    code: int | None = None
    task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))
        self.closed_at = time.time()
        self.code = self.ws.close_code


async def watch(session: aiohttp.ClientSession, base: str, token: str) -> Watched:
    ws = await session.ws_connect(base.replace("http://", "ws://") + "/ws",
                                  headers={"Authorization": f"Bearer {token}"})
    watched = Watched(ws)
    watched.task = asyncio.get_running_loop().create_task(watched.read())
    return watched


async def until_401(session: aiohttp.ClientSession, base: str, token: str, deadline: float) -> float:
    """Poll GET /api/me every 20 ms; the time of the first 401 (fails past ``deadline``)."""
    api = Api(session, base, token)
    while time.time() < deadline:
        status, _ = await api.status("GET", "/api/me")
        if status == 401:
            return time.time()
        assert status == 200, status
        await asyncio.sleep(0.02)
    raise AssertionError(f"{base}: the token still worked {LIMIT_S} s after its session ended")


def asesor_token(db: Db, asesor: int, seconds: int | None = None) -> str:
    token = new_token()
    db.call("sp_crear_token_con_vigencia", token_sha256(token), "asesor", asesor, "session test", seconds)
    return token


async def open_sockets(session: aiohttp.ClientSession, bases: list[str], token: str) -> list[Watched]:
    sockets = [await watch(session, base, token) for base in bases for _ in range(SOCKETS_PER_GATEWAY)]
    for base in bases:  # the token works on both, through the cache
        await Api(session, base, token).call("GET", "/api/me", expect=200)
    return sockets


async def ended(sockets: list[Watched], session: aiohttp.ClientSession, bases: list[str], token: str,
                started: float) -> tuple[float, float]:
    """Wait for every socket to close and REST to refuse; (slowest close, slowest 401), in s."""
    deadline = started + LIMIT_S + 2.0
    refused = await asyncio.gather(*(until_401(session, base, token, deadline) for base in bases))
    await asyncio.wait_for(asyncio.gather(*(s.task for s in sockets if s.task)), LIMIT_S + 2.0)
    assert all(s.code == CLOSE_SESSION_ENDED for s in sockets), [s.code for s in sockets]
    closes = [s.closed_at - started for s in sockets if s.closed_at is not None]
    return max(closes), max(r - started for r in refused)


@run(timeout=90)
async def test_revocation_expiry_and_deactivation_end_every_session_within_a_second(
        db: Db, people: People, reliability: Record) -> None:
    rec = reliability
    rec.title = "Sessions end on every gateway: revoked, expired and deactivated tokens close their sockets"
    rec.load = (f"2 `seguimiento serve` processes (poll 0.1 s), {SOCKETS_PER_GATEWAY} sockets of the ending "
                "session on each plus a GTR observer on each; REST polled every 20 ms on both")
    rec.faults = ("a DBA's `CALL sp_revocar_token`; a token with a 2 s lifetime; GTR's "
                  "POST /api/asesores/{id}/deactivate on gateway 1")
    rec.inputs = "asesor tokens on both processes, through the per-process token cache"
    cliente = db.derivado(people.ana)
    with GatewayProcess(db.url) as g1, GatewayProcess(db.url) as g2:
        bases = [g1.base, g2.base]
        async with aiohttp.ClientSession() as session:
            observers = [await watch(session, base, people.gtr) for base in bases]

            # Revocation, by a DBA.
            token = asesor_token(db, people.ana)
            sockets = await open_sockets(session, bases, token)
            token_id = db.query("SELECT MAX(id) AS id FROM api_tokens")[0]["id"]
            db.call("sp_revocar_token", token_id)
            started = time.time()
            revoke_close, revoke_401 = await ended(sockets, session, bases, token, started)

            # Expiry, by the clock (the gateways' timers) and then recorded by the database.
            token = asesor_token(db, people.ana, 2)
            expires = db.query("SELECT expires_at FROM api_tokens WHERE token_sha256 = %s",
                               (token_sha256(token),))[0]["expires_at"]
            sockets = await open_sockets(session, bases, token)
            started = expires.replace(tzinfo=UTC).timestamp()
            expiry_close, expiry_401 = await ended(sockets, session, bases, token, started)
            assert db.call_one("sp_caducar_tokens")["caducados"] >= 1

            # Deactivation, by GTR through gateway 1: ana's customer goes back to GTR.
            token = asesor_token(db, people.ana)
            sockets = await open_sockets(session, bases, token)
            answer = await Api(session, g1.base, people.gtr).call(
                "POST", f"/api/asesores/{people.ana}/deactivate", expect=200)
            started = time.time()
            assert answer == {"asesorId": people.ana, "activo": False, "clientesDevueltos": 1,
                              "tokensRevocados": 2}
            deact_close, deact_401 = await ended(sockets, session, bases, token, started)
            assert db.cliente(cliente)["seguimiento_status"] == "no_gestionado"
            # The asesor's other token (the people fixture's) ended too.
            assert (await Api(session, g2.base, people.ana_token).status("GET", "/api/me"))[0] == 401

            for observer in observers:
                deadline = time.time() + 3
                while not any(m["type"] == "ASESOR_DEACTIVATED" for m in observer.messages):
                    assert time.time() < deadline, observer.messages
                    await asyncio.sleep(0.02)
            for observer in observers:
                assert observer.closed_at is None, "a GTR socket was closed"
                types = {m["type"] for m in observer.messages}
                assert not {t for t in types if t.startswith("TOKEN_")}, types
                assert "CLIENT_RETURNED_TO_GTR" in types
                await observer.ws.close()
    slowest = max(revoke_close, revoke_401, expiry_close, expiry_401, deact_close, deact_401)
    rec.figures(**{
        "revocation: commit to last socket closed s": round(revoke_close, 3),
        "revocation: commit to 401 on both s": round(revoke_401, 3),
        "expiry: expires_at to last socket closed s": round(expiry_close, 3),
        "expiry: expires_at to 401 on both s": round(expiry_401, 3),
        "deactivation: answer to last socket closed s": round(deact_close, 3),
        "deactivation: answer to 401 on both s": round(deact_401, 3),
        "sockets closed with 4001": 3 * 2 * SOCKETS_PER_GATEWAY,
        "TOKEN_* events sent to GTR sockets": 0,
    })
    assert slowest <= LIMIT_S, slowest
