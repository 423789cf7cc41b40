"""Live events over a WebSocket: ``GET /ws``, one socket per dashboard, fed by the hub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from gateway.db.exceptions import DatabaseError, DatabaseUnavailable
from gateway.web.auth import Caller
from gateway.web.guard import database
from gateway.web.http_errors import ApiError
from gateway.web.keys import HUB, SETTINGS, SOCKETS, SOCKETS_PER_TOKEN, TOKEN_CACHE
from gateway.web.models import WebSocketQuery
from gateway.web.tailer import Subscriber


async def websocket(request: web.Request, caller: Caller, query: WebSocketQuery) -> web.StreamResponse:
    """Live events: ``GET /ws?since=<outbox id>&token=<token>`` (the guard checked the Origin,
    the token and ``since``)."""
    hub = request.app[HUB]
    if hub.last_id is None:
        raise DatabaseUnavailable("the outbox tailer has not reached the database yet")
    settings = request.app[SETTINGS]
    per_token = request.app[SOCKETS_PER_TOKEN]
    if per_token[caller.token_id] >= settings.ws_max_per_token:
        raise ApiError(429, "too_many_websockets",
                       f"this token already has {settings.ws_max_per_token} WebSockets open (ws_max_per_token)")
    per_token[caller.token_id] += 1
    try:
        return await _serve_socket(request, caller, query.since)
    finally:
        per_token[caller.token_id] -= 1
        if per_token[caller.token_id] <= 0:
            del per_token[caller.token_id]


async def _serve_socket(request: web.Request, caller: Caller, since: int | None) -> web.StreamResponse:
    hub = request.app[HUB]
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(compress=False, heartbeat=settings.ws_heartbeat, max_msg_size=64 * 1024)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the client went away during the handshake
        return ws
    request.app[SOCKETS].add(ws)
    sub = Subscriber(ws=ws, transport=transport, role=caller.role, asesor_id=caller.asesor_id,
                     token_id=caller.token_id)
    expiry: asyncio.TimerHandle | None = None
    try:
        # The session ends on time even before the database records the expiry (its
        # TOKEN_EXPIRED event closes it too, whatever this process's clock says).
        if caller.expires_at is not None:
            delay = (caller.expires_at - datetime.now(UTC)).total_seconds()
            expiry = asyncio.get_running_loop().call_later(max(0.0, delay), hub.end_session, sub)
        try:
            await hub.attach(sub, since, database(request))
        except DatabaseError:
            await ws.close(code=1013, message=b"database unavailable: retry with since")
            return ws
        # An ending event read between the token check and the hub taking this socket in
        # found no socket to close: close it now.
        if request.app[TOKEN_CACHE].ended_since(caller.mark, caller.token_id, caller.asesor_id):
            hub.end_session(sub)
        async for _message in ws:
            pass  # dashboards only listen; pings and pongs are handled by aiohttp
    finally:
        if expiry is not None:
            expiry.cancel()
        hub.detach(sub)
        if sub.closing is not None:
            await sub.closing
    return ws
