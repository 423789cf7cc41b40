"""``seguimiento serve``: the command line of ``gateway.web.server`` (how it serves and
stops is documented there)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from gateway.commands.base import CommandError, add_database_url
from gateway.settings import load_settings
from gateway.web.server import serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def main(args: argparse.Namespace, *, extend: Callable[[web.Application], None] | None = None) -> int:
    """``seguimiento serve``. ``extend`` adds to the app before it serves (the benchmarks' extra
    route: bench/gateway_app.py)."""
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
        asyncio.run(serve(settings, extend=extend))
    except OSError as exc:
        raise CommandError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return 0
