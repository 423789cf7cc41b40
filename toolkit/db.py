"""Plain connections for tests and benchmarks: connect, CALL a procedure, drain its results.

The connection itself is the product's (``gateway.db.connection.connect``: autocommit, UTC);
this adds what a harness needs around it.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Any

import mysql.connector

from gateway.db import connection
from gateway.db.dburl import DatabaseUrl

Row = dict[str, Any]
TOO_MANY_CONNECTIONS = 1040


def connect(url: DatabaseUrl, *, patience: float = 20.0, **options: Any) -> Any:
    """``gateway.db.connection.connect(url, **options)``; a server that is momentarily full
    (error 1040, seen when a benchmark's clients and a test's gateways share it) is asked
    again for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return connection.connect(url, **options)
        except mysql.connector.Error as exc:
            if exc.errno != TOO_MANY_CONNECTIONS or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def drain(cur: Any) -> list[list[Any]]:
    """Every result set of the statement ``cur`` just ran. mysql-connector needs them all
    read before the connection's next statement (shared notes on mysql-connector)."""
    sets: list[list[Any]] = []
    while True:
        if cur.with_rows:
            sets.append(cur.fetchall())
        if not cur.nextset():
            return sets


def call(conn: Any, procedure: str, *args: Any) -> list[list[Row]]:
    """CALL ``procedure`` on any connection; every result set it returned, each a list of
    rows as dicts by column name."""
    cur = conn.cursor(dictionary=True)
    try:
        cur.execute(f"CALL {procedure}({', '.join(['%s'] * len(args))})", args)
        sets = drain(cur)
    except BaseException:
        # When the call lost its connection (a killed query or session), closing the cursor
        # fails too; let the call's own error through rather than "Connection not available".
        with suppress(mysql.connector.Error):
            cur.close()
        raise
    cur.close()
    return sets


def explain_statement(conn: Any, sql: str) -> str:
    """EXPLAIN that gives the plan as a table on every engine: MySQL 9.7 defaults to
    FORMAT=TREE, one text column; MariaDB has no FORMAT=TRADITIONAL and gives the table."""
    mariadb = "mariadb" in str(conn.server_info).lower()
    return ("EXPLAIN " if mariadb else "EXPLAIN FORMAT=TRADITIONAL ") + sql
