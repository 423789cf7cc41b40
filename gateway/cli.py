"""The ``seguimiento`` command line."""

from __future__ import annotations

import argparse
import sys

from gateway.dburl import DatabaseUrl, DatabaseUrlError
from gateway.migrate import MigrationError, migrate


def _add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="mysql://user:password@host:port/database (default: $SEGUIMIENTO_DATABASE_URL)",
    )


def _cmd_migrate(args: argparse.Namespace) -> int:
    url = DatabaseUrl.from_args_or_env(args.database_url)
    report = migrate(url, log=print)
    print(
        f"{url}: {len(report.applied)} migration(s) applied, {len(report.installed)} object(s) "
        f"installed, {len(report.unchanged)} unchanged; event scheduler {report.event_scheduler}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seguimiento", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("migrate", help="apply migrations and (re)install procedures, views and events")
    _add_database_url(p)
    p.set_defaults(func=_cmd_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (DatabaseUrlError, MigrationError) as exc:
        print(f"seguimiento: {exc}", file=sys.stderr)
        return 2
