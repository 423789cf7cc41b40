"""``seguimiento token``: create and revoke the gateway's bearer tokens.

``seguimiento token create --role gtr|asesor [--asesor ID]`` prints the new token alone on
its last line of output; the database keeps only its SHA-256, so it cannot be shown again.
``seguimiento token revoke ID`` stops a token at once.
"""

from __future__ import annotations

import argparse
import asyncio

from gateway import procedures
from gateway.auth import new_token, token_sha256
from gateway.dburl import DatabaseUrl
from gateway.procedures import Database, DatabaseError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.cli import add_database_url

    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it")
    add_database_url(create)
    create.add_argument("--role", required=True, choices=("gtr", "asesor"))
    create.add_argument("--asesor", type=int, metavar="ID", help="the asesor an asesor token acts as")
    create.add_argument("--description", help="what the token is for (at most 200 characters)")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    add_database_url(revoke)
    revoke.add_argument("token_id", type=int, metavar="ID")


def main(args: argparse.Namespace) -> int:
    """``seguimiento token create|revoke``."""
    from gateway.cli import CommandError

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
            token_id = await procedures.crear_token(db, token_sha256(token), args.role, args.asesor,
                                                    args.description)
            who = f"asesor {args.asesor}" if args.role == "asesor" else "GTR"
            print(f"token {token_id} created for {who} on {url}; it is shown only now:")
            print(token)
            return 0
        if await procedures.revocar_token(db, args.token_id):
            print(f"token {args.token_id} revoked")
            return 0
        print(f"no live token {args.token_id}")
        return 1
    finally:
        await db.close()
