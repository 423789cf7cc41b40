"""Serving: run the gateway until SIGTERM or SIGINT, then stop gracefully.

Stopping: the listening socket closes, every WebSocket is closed with GOING_AWAY (clients
resume elsewhere with ``?since=``), in-flight requests get ``shutdown_timeout`` seconds to
finish, then the tailer stops and the database connections close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from gateway.settings import Settings
from gateway.web.app import init_app
from gateway.web.limits import make_runner

log = logging.getLogger("gateway")


async def serve(settings: Settings, *, extend: Callable[[web.Application], None] | None = None) -> None:
    """Serve until SIGTERM/SIGINT; prints ``listening on http://HOST:PORT`` once ready.
    ``extend`` adds to the app before it starts (routes of the benchmarks' gateway)."""
    app = init_app(settings)
    if extend is not None:
        extend(app)
    runner = make_runner(app, settings)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        print(f"seguimiento serve: listening on http://{host}:{port} "
              f"(database {settings.database()})", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("stopping: closing sockets, finishing requests")
    finally:
        await runner.cleanup()
    print("seguimiento serve: stopped", flush=True)
