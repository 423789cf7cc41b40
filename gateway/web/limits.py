"""What one client may hold of the gateway: connections, time, sockets, failed logins.

- :func:`make_runner` runs the app with a keep-alive timeout, a header timeout (a client
  holding a partial request line or header is cut) and a cap on open connections (past it,
  a new connection is answered 503 and closed before anything is read).
- :func:`read_body` reads a request body whole, streamed, up to a cap (413) and with a
  timeout between its pieces (408).
- :class:`AuthFailures` counts failed token lookups per client address; over the limit,
  every token from that address is answered 429 with ``Retry-After`` before any database call.

The header timeout hooks into aiohttp's RequestHandler (its message queue and waiter, which
are not public API); tests/gateway/test_limits.py holds it to its behaviour on real sockets,
so an aiohttp upgrade that changed those internals fails there.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from aiohttp import ClientPayloadError, web
from aiohttp.streams import EofStream
from aiohttp.web_protocol import RequestHandler

from gateway.settings import Settings
from gateway.web.http_errors import ApiError, HttpError
from gateway.web.models import ErrorBody, ErrorDetail


def _refusal_bytes(error: HttpError) -> bytes:
    body = ErrorBody(error=ErrorDetail(code=error.code, message=error.message)).model_dump_json().encode()
    head = (f"HTTP/1.1 {error.status} Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
    return head.encode() + body


TOO_MANY_CONNECTIONS = _refusal_bytes(
    HttpError(503, "too_many_connections", "the gateway has as many connections open as it may (max_connections)"))


# After answering a request whose body it did not read (413, 408), aiohttp reads and drops
# the rest for this long so the client can take the answer before the close; its default
# (10 s) let a stalled client hold the connection that much longer.
LINGERING_TIME = 1.0


class GatewayProtocol(RequestHandler):
    """aiohttp's HTTP protocol with a connection cap and a header timeout."""

    def __init__(self, manager: GatewayServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = manager
        self._refused = False
        self._counted = False
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        if self._limits.open_connections >= self._limits.max_connections:
            # Answered before reading anything: a flood of connections costs one write each.
            self._refused = True
            self._limits.refused += 1
            transport.write(TOO_MANY_CONNECTIONS)
            transport.close()
            return
        self._limits.open_connections += 1
        self._counted = True
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_header_timer()
        if self._counted:
            self._counted = False
            self._limits.open_connections -= 1
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        # Waiting for a request's head (not reading a body, not a WebSocket): its first
        # bytes start the clock, a complete head (a queued message) stops it.
        awaiting_head = (not self._messages and self._payload_parser is None and not self._upgraded
                         and (self._waiter is not None or self._request_count == 0))
        super().data_received(data)
        if self._messages or self._upgraded:
            self._stop_header_timer()
        elif awaiting_head and self._header_timer is None and self.transport is not None:
            self._header_timer = self._loop.call_later(self._limits.header_timeout, self._header_expired)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_expired(self) -> None:
        self._header_timer = None
        if not self._messages and self._current_request is None:
            self._limits.header_timeouts += 1
            self.force_close()


class GatewayServer(web.Server):
    """aiohttp's Server making :class:`GatewayProtocol` connections; counts them."""

    def __init__(self, *args: Any, max_connections: int, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.open_connections = 0
        self.refused = 0
        self.header_timeouts = 0

    def __call__(self) -> GatewayProtocol:
        return GatewayProtocol(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    """An AppRunner whose server is a :class:`GatewayServer` configured from the settings."""

    def __init__(self, app: web.Application, settings: Settings) -> None:
        super().__init__(app, shutdown_timeout=settings.shutdown_timeout, access_log=None, handle_signals=False,
                         keepalive_timeout=settings.keepalive_timeout, lingering_time=LINGERING_TIME)
        self._settings = settings

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return GatewayServer(
            plain.request_handler, request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation, loop=plain._loop,
            max_connections=self._settings.max_connections, header_timeout=self._settings.header_timeout,
            **plain._kwargs)


def make_runner(app: web.Application, settings: Settings) -> GatewayRunner:
    """The runner every way of serving the app uses (seguimiento serve, tests, bench)."""
    return GatewayRunner(app, settings)


async def read_body(request: web.Request, limit: int, timeout: float) -> bytes:
    """The whole body, read as it arrives: 413 past ``limit`` bytes (nothing is kept), 408
    when no byte arrives for ``timeout`` seconds. A body cut short by the client (fewer
    bytes than its Content-Length, a chunked body without its end) raises, never returns."""
    too_large = ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    content = request.content
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            async with asyncio.timeout(timeout):
                chunk = await content.readany()
        except TimeoutError:
            raise ApiError(408, "request_timeout", f"the body stopped arriving for {timeout:g} s") from None
        except (ConnectionError, EofStream, ClientPayloadError) as exc:
            # The client hung up mid-body (or sent a broken chunked body): nobody to answer,
            # and not the gateway's failure, so no traceback in the log.
            raise ApiError(400, "bad_request", "the request body was cut short") from exc
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise too_large
        parts.append(chunk)


class AuthFailures:
    """Failed token lookups per client address, in fixed windows of ``window`` seconds.

    Cheap on the fast path: a good request costs one dict lookup (the dict is empty when
    nobody is failing). Memory is bounded: past ``max_addresses`` expired windows are
    dropped, and if all are live the oldest half goes.
    """

    def __init__(self, max_failures: int, window: float, max_addresses: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_addresses = max_addresses
        self._windows: dict[str, tuple[float, int]] = {}  # address -> (window end, failures)
        self.refused = 0

    def check(self, address: str) -> None:
        """429 with Retry-After when ``address`` is over the limit (no database call)."""
        entry = self._windows.get(address)
        if entry is None:
            return
        end, failures = entry
        now = time.monotonic()
        if now >= end:
            del self._windows[address]
        elif failures >= self.max_failures:
            self.refused += 1
            raise ApiError(429, "too_many_failed_logins",
                           f"too many failed authentications from this address; retry in {math.ceil(end - now)} s",
                           headers={"Retry-After": str(math.ceil(end - now))})

    def failed(self, address: str) -> None:
        now = time.monotonic()
        entry = self._windows.get(address)
        if entry is None or now >= entry[0]:
            if entry is None and len(self._windows) >= self.max_addresses:
                self._prune(now)
            self._windows[address] = (now + self.window, 1)
        else:
            self._windows[address] = (entry[0], entry[1] + 1)

    def _prune(self, now: float) -> None:
        live = {a: e for a, e in self._windows.items() if e[0] > now}
        if len(live) >= self.max_addresses:
            keep = sorted(live.items(), key=lambda item: item[1][0])[len(live) // 2:]
            live = dict(keep)
        self._windows = live

