"""The one plain (blocking) connection every seguimiento tool opens: migrate, grants, and
the toolkit of the tests and benchmarks. The gateway itself uses the asyncio pool in
``procedures.py``."""

from __future__ import annotations

from typing import Any

import mysql.connector
from mysql.connector.abstracts import MySQLConnectionAbstract

from gateway.db.dburl import DatabaseUrl


def connect(url: DatabaseUrl, *, database: bool = True, **options: Any) -> MySQLConnectionAbstract:
    """An autocommit connection in UTC to ``url`` (its database unless ``database=False``).

    Pure Python by default: the connector's C extension may not load on these machines and
    then falls back silently (shared notes). ``options`` add connector arguments or override
    these; ``use_pure=None`` leaves the choice to the connector (its C extension where it
    loads: the benchmarks', whose reports say which one ran).
    """
    args: dict[str, Any] = {**url.connect_args(), "autocommit": True, "time_zone": "+00:00", "use_pure": True}
    if not database:
        args.pop("database")
    args.update(options)
    if args["use_pure"] is None:
        del args["use_pure"]  # an explicit False fails where the C extension does not load
    conn = mysql.connector.connect(**args)
    return conn  # type: ignore[return-value]
