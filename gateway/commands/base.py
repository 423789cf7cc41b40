"""What every ``seguimiento`` command shares: how it takes its server, and how it fails.

Each command module imports these from here, and ``cli.py`` imports the command modules:
the imports go one way only (``tests/test_imports.py`` holds it).
"""

from __future__ import annotations

import argparse


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """The one way every command takes its server."""
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="mysql://user:password@host:port/database (default: $SEGUIMIENTO_DATABASE_URL)",
    )


class CommandError(Exception):
    """A command failed in a way the user can fix; its message says how."""
