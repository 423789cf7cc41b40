"""The gateway application: ``init_app(settings)`` builds it, ready to run or test.

The database pool and the outbox tailer live in ``cleanup_ctx``: created when the app
starts, closed when it stops. Shutdown (``on_shutdown``) closes every WebSocket with
GOING_AWAY first, so the in-flight requests that aiohttp then waits for can finish.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import WSCloseCode, web

from gateway.db.pool import CallObserver, Database
from gateway.settings import Settings
from gateway.web.dashboard import setup_dashboard
from gateway.web.http_errors import http_error
from gateway.web.keys import (
    AUTH_FAILURES,
    DATABASE,
    HUB,
    METRICS,
    SETTINGS,
    SOCKETS,
    SOCKETS_PER_TOKEN,
    TAILER,
    TOKEN_CACHE,
)
from gateway.web.limits import AuthFailures
from gateway.web.metrics import Metrics
from gateway.web.presence import report
from gateway.web.routes import setup_routes
from gateway.web.sessions import TokenCache
from gateway.web.sweeper import follow
from gateway.web.tailer import Hub, Tailer, close_socket, gauges

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def init_app(settings: Settings) -> web.Application:
    """The gateway for ``settings``; nothing connects until the app starts."""
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[errors_and_metrics])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[SOCKETS] = weakref.WeakSet()
    app[SOCKETS_PER_TOKEN] = collections.Counter()
    app[AUTH_FAILURES] = AuthFailures(settings.auth_max_failures, settings.auth_failure_window)
    app[TOKEN_CACHE] = TokenCache(settings.token_cache_size, settings.token_cache_seconds)
    app.cleanup_ctx.append(_database_and_tailer)
    app.on_shutdown.append(_close_sockets)
    setup_routes(app)
    setup_dashboard(app)
    return app


@web.middleware
async def errors_and_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes the one error shape (see http_errors); every answer is counted."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = http_error(exc).response()
    except Exception as exc:
        response = http_error(exc).response()
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    request.app[METRICS].request(request.method, route, response.status)
    return response


async def _database_and_tailer(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    metrics = app[METRICS]
    url = settings.database()
    ca = None if settings.database_ssl_ca is None else str(settings.database_ssl_ca)

    def sessions(size: int, observe: CallObserver | None = None) -> Database:
        """A pool of ``size`` sessions to the primary, as the settings say to reach it."""
        return Database(url, size=size, connect_timeout=settings.connect_timeout,
                        query_timeout=settings.query_timeout, observe=observe,
                        ssl_mode=settings.database_ssl_mode, ssl_ca=ca, hosts=settings.database_candidates())

    db = sessions(settings.pool_size, observe=metrics.procedure_call)
    # The tailer has its own connection, so a busy pool never delays events.
    tail_db = sessions(1, observe=metrics.procedure_call)
    hub = Hub(metrics, settings.ws_max_pending_bytes, app[TOKEN_CACHE])
    tailer = Tailer(tail_db, hub, metrics, settings.poll_interval, on_outage=db.discard_idle)
    db.on_events = tailer.wake
    app[DATABASE], app[HUB], app[TAILER] = db, hub, tailer
    metrics.gauges.update(gauges(hub, tailer, db))
    tokens = app[TOKEN_CACHE]
    metrics.gauges["seguimiento_token_cache_entries"] = lambda: {(): float(len(tokens))}
    task = asyncio.get_running_loop().create_task(tailer.run(), name="outbox-tailer")
    # Its own session, so a sweep never waits for a pool slot, nor holds one; its calls are
    # not the requests' (not in the procedure metrics).
    sweep_db = sessions(1)
    sweeper = None
    if settings.sweep_interval > 0:
        sweeper = asyncio.get_running_loop().create_task(follow(sweep_db, settings.sweep_interval, metrics),
                                                         name="sweeper")
    # Its own session too: a presence report must not wait behind requests, or the asesores
    # this gateway serves could age into desconectado under load.
    presence_db = sessions(1)
    presence = None
    if settings.presence_interval > 0:
        presence = asyncio.get_running_loop().create_task(report(presence_db, hub, settings.presence_interval),
                                                          name="presence")
    # Wait briefly for the first read so a socket opened right after start can attach; a
    # database that is down does not stop the gateway from starting (it answers 503).
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(tailer.started.wait()), settings.connect_timeout)
    try:
        yield
    finally:
        for running in (task, sweeper, presence):
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        await sweep_db.close()
        await presence_db.close()
        await hub.close()
        await tail_db.close()
        await db.close()


async def _close_sockets(app: web.Application) -> None:
    hub = app[HUB]
    for sub in list(hub.subscribers):
        hub.detach(sub)
    open_sockets = app[SOCKETS]
    sockets = list(open_sockets)
    await asyncio.gather(
        *(close_socket(ws, WSCloseCode.GOING_AWAY, b"server shutting down") for ws in sockets),
        return_exceptions=True,
    )
