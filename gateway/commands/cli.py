"""The ``seguimiento`` command line.

Each subcommand lives in its own module, which provides ``add_arguments(parser)`` and
``main(args) -> int``; this file only lists them. Modules are imported when their command
runs, so ``seguimiento migrate`` does not load the web server.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gateway.db.dburl import DatabaseUrlError

# (command, module, one-line help)
COMMANDS = (
    ("run", "gateway.commands.run", "the whole system: private database unless one is configured, gateway, dashboard"),
    ("migrate", "gateway.db.migrate", "apply migrations and (re)install procedures, views and events"),
    ("serve", "gateway.web.server", "serve the REST API, the WebSocket push and the dashboard"),
    ("token", "gateway.commands.tokens", "create or revoke the gateway's bearer tokens"),
    ("import", "gateway.commands.importer", "load leads in bulk from a CSV file"),
    ("grants", "gateway.db.grants", "create least-privilege owner, app and reporting database accounts"),
)


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """The one way every command takes its server."""
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="mysql://user:password@host:port/database (default: $SEGUIMIENTO_DATABASE_URL)",
    )


class CommandError(Exception):
    """A command failed in a way the user can fix; its message says how."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seguimiento", description="seguimiento: follow-up tracker")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        # A command's own arguments are added only when it is the one being run.
        sub.set_defaults(_sub=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    known, _rest = parser.parse_known_args(argv)
    module = importlib.import_module(known.module)
    module.add_arguments(known._sub)
    args = parser.parse_args(argv)
    try:
        return int(module.main(args))
    except (CommandError, DatabaseUrlError) as exc:
        print(f"seguimiento {args.command}: {exc}", file=sys.stderr)
        return 2
