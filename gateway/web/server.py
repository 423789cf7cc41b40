"""``seguimiento serve``: run the gateway until SIGTERM or SIGINT, then stop gracefully.

Stopping: the listening socket closes, every WebSocket is closed with GOING_AWAY (clients
resume elsewhere with ``?since=``), in-flight requests get ``shutdown_timeout`` seconds to
finish, then the tailer stops and the database connections close.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from gateway.settings import Settings, load_settings

log = logging.getLogger("gateway")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.commands.cli import add_database_url

    add_database_url(parser)
    parser.add_argument("--host", help="address to listen on (default: $SEGUIMIENTO_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on, 0 for any free one "
                                                 "(default: $SEGUIMIENTO_PORT or 8080)")
    parser.add_argument("--database-ssl-mode", choices=("disabled", "preferred", "required", "verify_identity"),
                        help="TLS to the database (default: $SEGUIMIENTO_DATABASE_SSL_MODE or preferred: TLS "
                             "when offered, else plain text; required and verify_identity never fall back)")
    parser.add_argument("--database-ssl-ca", type=Path, metavar="FILE",
                        help="CA certificate the database's certificate must be signed by "
                             "(default: $SEGUIMIENTO_DATABASE_SSL_CA; needed by verify_identity)")
    parser.add_argument("--settings", type=Path, metavar="FILE",
                        help="a KEY=value file of SEGUIMIENTO_* settings (the environment wins over it)")


def main(args: argparse.Namespace) -> int:
    """``seguimiento serve``."""
    from gateway.commands.cli import CommandError

    if args.settings is not None and not args.settings.is_file():
        raise CommandError(f"no settings file {args.settings}")
    try:
        settings = load_settings(args.settings, database_url=args.database_url, host=args.host, port=args.port,
                                 database_ssl_mode=args.database_ssl_mode, database_ssl_ca=args.database_ssl_ca)
    except ValidationError as exc:
        raise CommandError(f"bad settings: {exc}") from exc
    settings.database()  # a missing or malformed URL fails here, before anything starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mysql.connector").setLevel(logging.WARNING)  # one line per login otherwise
    try:
        asyncio.run(serve(settings))
    except OSError as exc:
        raise CommandError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return 0


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; prints ``listening on http://HOST:PORT`` once ready."""
    from gateway.web.app import init_app
    from gateway.web.limits import make_runner

    app = init_app(settings)
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
