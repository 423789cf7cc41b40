"""``seguimiento token``: create and revoke the gateway's bearer tokens.

``seguimiento token create --role gtr|asesor [--asesor ID] [--ttl 8h]`` prints the new token
alone on its last line of output; the database keeps only its SHA-256, so it cannot be shown
again. ``--ttl`` is its lifetime (``90s``, ``30m``, ``8h``, ``2d``, or ``never``); without it the
database's default applies: 12 h for asesor tokens (``token_asesor_vigencia_segundos``), no
expiry for GTR tokens.
``seguimiento token revoke ID`` stops a token at once.
"""

from __future__ import annotations

import argparse
import asyncio
import re

from gateway.db import procedures
from gateway.db.dburl import DatabaseUrl
from gateway.db.procedures import Database, DatabaseError
from gateway.web.auth import new_token, token_sha256

_TTL = re.compile(r"^([0-9]{1,9})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL_SECONDS = 315360000  # ten years: sp_crear_token_con_vigencia's limit


def parse_ttl(text: str) -> int:
    """``--ttl``: seconds of lifetime; 0 for ``never``."""
    if text.strip().lower() == "never":
        return 0
    match = _TTL.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number and a unit (90s, 30m, 8h, 2d) or never")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 1 <= seconds <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r}: from 1 s to ten years")
    return seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.commands.cli import add_database_url

    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it")
    add_database_url(create)
    create.add_argument("--role", required=True, choices=("gtr", "asesor"))
    create.add_argument("--asesor", type=int, metavar="ID", help="the asesor an asesor token acts as")
    create.add_argument("--description", help="what the token is for (at most 200 characters)")
    create.add_argument("--ttl", type=parse_ttl, metavar="DURATION",
                        help="lifetime: 90s, 30m, 8h, 2d or never (default: 12h for asesor tokens, "
                             "never for gtr; the database's token_asesor_vigencia_segundos)")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    add_database_url(revoke)
    revoke.add_argument("token_id", type=int, metavar="ID")


def main(args: argparse.Namespace) -> int:
    """``seguimiento token create|revoke``."""
    from gateway.commands.cli import CommandError

    url = DatabaseUrl.from_args_or_env(args.database_url)
    if args.action == "create":
        if args.role == "asesor" and args.asesor is None:
            raise CommandError("an asesor token needs --asesor ID")
        if args.role == "gtr" and args.asesor is not None:
            raise CommandError("a gtr token takes no --asesor")
    try:
        return asyncio.run(_run(url, args))
    except DatabaseError as exc:
        raise CommandError(exc.message) from exc


async def _run(url: DatabaseUrl, args: argparse.Namespace) -> int:
    db = Database(url, size=1)
    try:
        if args.action == "create":
            token = new_token()
            created = await procedures.crear_token(db, token_sha256(token), args.role, args.asesor,
                                                   args.description, args.ttl)
            who = f"asesor {args.asesor}" if args.role == "asesor" else "GTR"
            until = ("never expires" if created.expires_at is None
                     else f"expires {created.expires_at:%Y-%m-%d %H:%M:%S} UTC")
            print(f"token {created.token_id} created for {who} on {url} ({until}); it is shown only now:")
            print(token)
            return 0
        if await procedures.revocar_token(db, args.token_id):
            print(f"token {args.token_id} revoked")
            return 0
        print(f"no live token {args.token_id}")
        return 1
    finally:
        await db.close()
