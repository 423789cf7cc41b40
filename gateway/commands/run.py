"""``seguimiento run``: the whole system in one command, for a newcomer or a demo.

With no database configured it starts a private MariaDB/MySQL server from the binary on
the machine (data under ``var/db/``, kept between runs), migrates it, loads demo data into
it the first time, and serves the gateway and the dashboard. With ``--database-url`` or
``SEGUIMIENTO_DATABASE_URL`` it uses that server instead (migrated, never given demo data
unless ``--demo``). Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
from pathlib import Path

import mysql.connector
from pydantic import ValidationError

from gateway.commands import demo
from gateway.db.dburl import ENV_VAR, DatabaseUrl
from gateway.db.embedded import EmbeddedServer, EmbeddedServerError
from gateway.db.migrate import MigrationError, migrate
from gateway.db.procedures import Database, DatabaseError
from gateway.settings import Settings, load_settings

DEFAULT_DATA_DIR = Path("var/db")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.commands.cli import add_database_url

    add_database_url(parser)
    parser.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: 8080, or a free one if it is taken)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="where the private database keeps its data (default: var/db)")
    parser.add_argument("--demo", action="store_true",
                        help="load demo data into a configured (empty) database too")


def main(args: argparse.Namespace) -> int:
    """``seguimiento run``."""
    from gateway.commands.cli import CommandError

    configured = args.database_url or os.environ.get(ENV_VAR)
    embedded: EmbeddedServer | None = None
    try:
        if configured:
            url = DatabaseUrl.from_args_or_env(args.database_url)
        else:
            embedded = EmbeddedServer(args.data_dir)
            print(f"seguimiento run: starting a private {embedded.binary.name} (data in {args.data_dir}) ...",
                  flush=True)
            url = embedded.start()
        report = migrate(url)
        print(f"seguimiento run: database {url} ready ({len(report.applied)} migration(s) applied, "
              f"{len(report.installed)} object(s) installed; event scheduler {report.event_scheduler})", flush=True)
        for warning in report.warnings:
            print(f"  warning: {warning}", flush=True)
        serving = url
        if embedded is not None:
            # The gateway logs in as the EXECUTE-only account, as in production; the demo
            # loader (which configures and sweeps) keeps the administrator's login.
            serving = embedded.provision()
            print(f"seguimiento run: the gateway logs in as {serving.user} (passwords in "
                  f"{embedded.secrets_dir}, readable by you only)", flush=True)
        settings = load_settings(None, database_url=serving.secret_url(), host=args.host,
                                 port=args.port if args.port is not None else _default_port())
        asyncio.run(_run(settings, url, tokens_file=args.data_dir / "demo-tokens.json" if embedded else None,
                         load_demo=embedded is not None or args.demo))
    except KeyboardInterrupt:
        pass
    except (EmbeddedServerError, MigrationError, DatabaseError, ValidationError, mysql.connector.Error) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        if embedded is not None:
            # A closed terminal (a broken stdout) must not leave the server running.
            with contextlib.suppress(OSError):
                print("seguimiento run: stopping the private database ...", flush=True)
            embedded.stop()
    return 0


async def _run(settings: Settings, url: DatabaseUrl, *, tokens_file: Path | None, load_demo: bool) -> None:
    from gateway.web.server import serve

    db = Database(url, size=1)
    try:
        if load_demo and await demo.is_empty(db):
            print("seguimiento run: loading demo data ...", flush=True)
            await demo.load(db)
        tokens = demo.DemoTokens.load(tokens_file) if tokens_file else None
        if tokens is None and (load_demo or tokens_file):
            tokens = await demo.create_tokens(db)
            if tokens_file:
                tokens.save(tokens_file)
    finally:
        await db.close()
    _print_welcome(settings, tokens)
    await serve(settings)


def _print_welcome(settings: Settings, tokens: demo.DemoTokens | None) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(f"\nseguimiento is up. Open {base}/", flush=True)
    if tokens is None:
        print("  Create a token to sign in:  seguimiento token create --role gtr", flush=True)
        return
    print(f"  {'GTR desk:':<14}{base}/gtr?token={tokens.gtr}")
    for asesor_id, (nombre, token) in sorted(tokens.asesores.items()):
        print(f"  {nombre + ':':<14}{base}/asesor?token={token}   (asesor {asesor_id})")
    print("Ctrl-C stops everything.\n", flush=True)


def _default_port(preferred: int = 8080) -> int | None:
    """SEGUIMIENTO_PORT if set (None: the settings read it), else ``preferred`` if it is free
    on loopback, else any free port: a newcomer's first run should not fail on a busy 8080."""
    if os.environ.get("SEGUIMIENTO_PORT"):
        return None
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

