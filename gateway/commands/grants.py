"""``seguimiento grants``: the command line of ``gateway.db.grants`` (the accounts it makes
and why are documented there)."""

from __future__ import annotations

import argparse

import mysql.connector

from gateway.commands.base import CommandError, add_database_url
from gateway.db.dburl import DatabaseUrl
from gateway.db.grants import GrantsError, accounts_for, apply, refuse_anonymous_accounts, render_script
from gateway.db.migrate import MigrationError, migrate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_url(parser)
    parser.add_argument("--prefix", default="seguimiento",
                        help="account names are PREFIX_owner, PREFIX_app, PREFIX_reporting (default: seguimiento)")
    parser.add_argument("--host", default="%", help="the accounts' host part (default: %%, any host)")
    parser.add_argument("--app-password", help="set the app account's password (default: keep it, or random if new)")
    parser.add_argument("--reporting-password", help="set the reporting account's password")
    parser.add_argument("--print", action="store_true", dest="print_only",
                        help="print the SQL a DBA would run, and change nothing")


def main(args: argparse.Namespace) -> int:
    """``seguimiento grants``."""
    url = DatabaseUrl.from_args_or_env(args.database_url)
    accounts = accounts_for(args.prefix, args.host)
    if args.print_only:
        print(render_script(url.database, accounts), end="")
        return 0
    passwords = {role: pw for role, pw in (("app", args.app_password), ("reporting", args.reporting_password)) if pw}
    try:
        refuse_anonymous_accounts(url, accounts)  # before migrate creates anything
        migrate(url)  # the schema (and cuentas_bd) must exist first
        generated = apply(url, accounts, passwords)
        report = migrate(url, log=print)  # re-create objects under the owner, grant on them
    except (GrantsError, MigrationError, mysql.connector.Error) as exc:
        raise CommandError(str(exc)) from exc
    print(f"{url}: accounts {', '.join(a.sql() for a in accounts.values())} ready; "
          f"{len(report.installed)} object(s) re-created under {accounts['owner'].sql()}")
    for role, password in generated.items():
        print(f"new {role} account {accounts[role].sql()}: password {password} (shown once)")
    return 0
