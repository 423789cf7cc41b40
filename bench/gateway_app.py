"""Bench-only: the real gateway app plus one route, ``POST /bench/wake``.

``python -m bench.gateway_app --database-url URL [--port 0]`` runs exactly the app that
``seguimiento serve`` runs (``gateway.web.app.init_app``), with one extra route that wakes the
outbox tailer at once, as the gateway's own event-writing calls do. The fan-out benchmark
commits a burst of events to the outbox and then calls it, so the burst is read and fanned
out immediately instead of at the next poll: the comparison with the Node server measures
fan-out, not the poll interval. The gateway itself has no way to publish synthetic events
(not needed in production), hence this separate file rather than a change to gateway/.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from gateway.settings import load_settings
from gateway.web.app import init_app
from gateway.web.keys import TAILER
from gateway.web.limits import make_runner


async def wake(request: web.Request) -> web.Response:
    request.app[TAILER].wake()
    return web.Response(status=204)


async def serve(database_url: str, host: str, port: int) -> None:
    settings = load_settings(None, database_url=database_url, host=host, port=port)
    app = init_app(settings)
    app.router.add_post("/bench/wake", wake)
    runner = make_runner(app, settings)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        print(f"bench gateway: listening on http://{bound_host}:{bound_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args.database_url, args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
