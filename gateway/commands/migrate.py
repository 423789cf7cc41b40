"""``seguimiento migrate``: the command line of ``gateway.db.migrate`` (what it does is
documented there)."""

from __future__ import annotations

import argparse

import mysql.connector

from gateway.commands.base import CommandError, add_database_url
from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import MigrationError, migrate
from gateway.db.sqlfiles import SqlFilesMissingError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_url(parser)


def main(args: argparse.Namespace) -> int:
    """``seguimiento migrate``."""
    url = DatabaseUrl.from_args_or_env(args.database_url)
    try:
        report = migrate(url, log=print)
    except (MigrationError, SqlFilesMissingError, mysql.connector.Error) as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{url}: {len(report.applied)} migration(s) applied, {len(report.installed)} object(s) "
        f"installed, {len(report.unchanged)} unchanged; event scheduler {report.event_scheduler}"
    )
    return 0
