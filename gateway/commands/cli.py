"""The ``seguimiento`` command line.

Each subcommand lives in its own module under ``gateway/commands/``, which provides
``add_arguments(parser)`` and ``main(args) -> int`` and takes what every command shares from
``gateway.commands.base``; this file only lists them. A module is imported only for the
command being run (or asked for help), so ``seguimiento migrate`` does not load the web
server; its arguments, subcommands included, are added before anything is parsed, so
``seguimiento COMMAND --help`` lists them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gateway.commands.base import CommandError
from gateway.db.dburl import DatabaseUrlError

# (command, module, one-line help)
COMMANDS = (
    ("run", "gateway.commands.run", "the whole system: private database unless one is configured, gateway, dashboard"),
    ("migrate", "gateway.commands.migrate", "apply migrations and (re)install procedures, views and events"),
    ("serve", "gateway.commands.serve", "serve the REST API, the WebSocket push and the dashboard"),
    ("token", "gateway.commands.tokens", "create or revoke the gateway's bearer tokens"),
    ("import", "gateway.commands.importer", "load leads in bulk from a CSV file"),
    ("grants", "gateway.commands.grants", "create least-privilege owner, app and reporting database accounts"),
)


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the arguments of ``commands`` (every command when None)."""
    parser = argparse.ArgumentParser(prog="seguimiento", description="seguimiento: follow-up tracker")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        if commands is None or name in commands:
            importlib.import_module(module).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``seguimiento ARGS``: the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    # The command is the first word that is not an option (the top level has only -h).
    named = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser([named] if named else []).parse_args(argv)
    try:
        return int(importlib.import_module(args.module).main(args))
    except (CommandError, DatabaseUrlError) as exc:
        print(f"seguimiento {args.command}: {exc}", file=sys.stderr)
        return 2
