"""What one client may hold of the gateway, over real sockets: idle and half-sent connections
are cut, connections and a token's WebSockets are capped, and a client failing to
authenticate is answered 429 without a database call (issue 10)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, listen, run, running_gateway
from tests.support import Db


def _host_port(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> float | None:
    """Seconds until the server closed the connection (read EOF), or None if still open."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


@run(timeout=60)
async def test_idle_connections_and_partial_headers_are_cut(db: Db, people: People) -> None:
    async with running_gateway(db.url, keepalive_timeout=2.0, header_timeout=0.5) as gw:
        host, port = _host_port(gw.base)
        # A partial header: cut after header_timeout, long before the keep-alive timeout.
        slow_r, slow_w = await asyncio.open_connection(host, port)
        slow_w.write(b"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthoriz")
        # A complete request, then idle: kept until keepalive_timeout, then cut.
        idle_r, idle_w = await asyncio.open_connection(host, port)
        idle_w.write(f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {people.gtr}\r\n\r\n".encode())
        answer = await idle_r.readuntil(b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200"), answer
        # A client that dribbles its header a byte at a time is cut all the same.
        drip_r, drip_w = await asyncio.open_connection(host, port)

        async def drip() -> None:
            for byte in b"GET /api/me HTTP/1.1\r\nHost: x\r\n" * 10:
                drip_w.write(bytes([byte]))
                await asyncio.sleep(0.05)

        dripping = asyncio.ensure_future(drip())
        cut = await asyncio.gather(_closed_within(slow_r, 1.5), _closed_within(drip_r, 1.5),
                                   _closed_within(idle_r, 1.0))
        dripping.cancel()
        assert cut[0] is not None and cut[0] < 1.5, cut
        assert cut[1] is not None, cut
        assert cut[2] is None, "an idle keep-alive connection was cut before keepalive_timeout"
        assert await _closed_within(idle_r, 2.0) is not None, "the idle connection outlived keepalive_timeout"
        # A connection that never sends a byte goes at the keep-alive timeout too.
        mute_r, _mute_w = await asyncio.open_connection(host, port)
        assert await _closed_within(mute_r, 3.0) is not None
        for w in (slow_w, idle_w, drip_w, _mute_w):
            w.close()
        # Slow but whole requests still work: a header sent in pieces within the timeout.
        ok_r, ok_w = await asyncio.open_connection(host, port)
        for piece in (b"GET /api/me HTTP/1.1\r\n", b"Host: x\r\n",
                      f"Authorization: Bearer {people.gtr}\r\n\r\n".encode()):
            ok_w.write(piece)
            await asyncio.sleep(0.1)
        assert (await ok_r.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        ok_w.close()


@run(timeout=60)
async def test_connections_past_the_cap_get_503_and_are_closed(db: Db, people: People) -> None:
    async with running_gateway(db.url, max_connections=5) as gw, aiohttp.ClientSession() as session:
        host, port = _host_port(gw.base)
        held = [await asyncio.open_connection(host, port) for _ in range(5)]
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection(host, port)
        refused = await asyncio.wait_for(reader.read(), 5)
        assert refused.startswith(b"HTTP/1.1 503"), refused
        assert b'"too_many_connections"' in refused and b"Retry-After: 1" in refused
        writer.close()
        for _r, w in held[:2]:
            w.close()
        await asyncio.sleep(0.2)
        # Room again once connections close.
        await Api(session, gw.base, people.gtr).call("GET", "/api/me", expect=200)
        for _r, w in held[2:]:
            w.close()


@run(timeout=60)
async def test_one_token_may_hold_only_so_many_websockets(db: Db, people: People) -> None:
    async with running_gateway(db.url, ws_max_per_token=3) as gw, aiohttp.ClientSession() as session:
        sockets = [await listen(session, gw.base, people.ana_token) for _ in range(3)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(gw.base + "/ws", params={"token": people.ana_token})
        assert info.value.status == 429
        # Other tokens are not affected; a closed socket frees its place.
        other = await listen(session, gw.base, people.beto_token)
        await sockets.pop().close()
        await asyncio.sleep(0.2)
        sockets.append(await listen(session, gw.base, people.ana_token))
        for ws in [*sockets, other]:
            await ws.close()


@run(timeout=60)
async def test_failed_logins_from_one_address_get_429_without_a_database_call(db: Db, people: People) -> None:
    async with running_gateway(db.url, auth_max_failures=5, auth_failure_window=2.0) as gw, \
            aiohttp.ClientSession() as session:
        for i in range(5):
            status, body = await Api(session, gw.base, f"seg_{i:043d}").status("GET", "/api/me")
            assert (status, error_code(body)) == (401, "unauthorized")
        lookups = gw.procedure_calls()
        # Over the limit: random tokens, malformed ones and even a good one are refused
        # before the database, with Retry-After.
        for token in ("seg_" + "Z" * 43, "bad token!", people.gtr):
            async with session.get(gw.base + "/api/me", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 429, token
                assert 1 <= int(r.headers["Retry-After"]) <= 2
                assert error_code(await r.json()) == "too_many_failed_logins"
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(gw.base + "/ws", params={"token": people.gtr})
        assert info.value.status == 429
        assert gw.procedure_calls() == lookups, "a refused client still cost database calls"
        await asyncio.sleep(2.1)
        await Api(session, gw.base, people.gtr).call("GET", "/api/me", expect=200)


@run(timeout=60)
async def test_the_query_token_works_on_ws_only(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        for path in ("/api/me", "/api/clientes", "/api/asesores"):
            async with session.get(gw.base + path, params={"token": people.gtr}) as r:
                body = await r.json()
                assert r.status == 401 and error_code(body) == "unauthorized", path
                assert "/ws only" in body["error"]["message"]
        # Even beside a good header: the URL still carries a token into logs.
        status, body = await Api(session, gw.base, people.gtr).status("GET", f"/api/me?token={people.gtr}")
        assert status == 401
        ws = await listen(session, gw.base, people.gtr)
        await ws.close()
        await Api(session, gw.base, people.gtr).call("GET", "/api/me", expect=200)
        # /openapi.json says the same: the query token is a way in on /ws only.
        async with session.get(gw.base + "/openapi.json") as r:
            paths = (await r.json())["paths"]
        with_query = {(path, method) for path, ops in paths.items() for method, op in ops.items()
                      if {"tokenQuery": []} in op.get("security", [])}
        assert with_query == {("/ws", "get")}
