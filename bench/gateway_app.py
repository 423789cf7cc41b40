"""Bench-only: ``seguimiento serve`` plus one route, ``POST /bench/wake``.

``python -m bench.gateway_app --database-url URL [--host H] [--port 0]`` runs the gateway's
own serve command (``gateway.commands.serve``: the same settings, app, runner and graceful
stop), with one extra route that wakes the outbox tailer at once, as the gateway's own
event-writing calls do. The fan-out benchmark commits a burst of events to the outbox and
then calls it, so the burst is read and fanned out immediately instead of at the next poll:
the comparison with the Node server measures fan-out, not the poll interval. The gateway
itself has no way to publish synthetic events (not needed in production), hence this
separate file rather than a change to gateway/.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from gateway.commands import serve
from gateway.web.keys import TAILER


async def wake(request: web.Request) -> web.Response:
    """Read the outbox now."""
    request.app[TAILER].wake()
    return web.Response(status=204)


def add_wake_route(app: web.Application) -> None:
    app.router.add_post("/bench/wake", wake)


def main() -> int:
    """``python -m bench.gateway_app``: the exit status."""
    parser = argparse.ArgumentParser(prog="bench.gateway_app", description=__doc__)
    serve.add_arguments(parser)
    return serve.main(parser.parse_args(), extend=add_wake_route)


if __name__ == "__main__":
    raise SystemExit(main())
