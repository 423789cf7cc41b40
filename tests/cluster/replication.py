"""A MariaDB primary with one GTID replica (classic asynchronous replication), from the
machine's own ``mariadbd``, each an :class:`~gateway.db.embedded.EmbeddedServer` in a private
folder on its own loopback port::

    with ReplicatedPair(tmp_path) as pair:
        pair.primary.url, pair.replica.url   # root on each (each its own password)
        pair.wait_caught_up()

The replica starts replicating from the primary's binary log position at the time of the
pairing: what each server did to secure itself (its own root password) stays its own, and
everything after (the database, migrate, the accounts) replicates.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import mysql.connector

from gateway.db.embedded import EmbeddedServer
from tests.engines.servers import Started

REPLICATION_USER = "seg_repl"
CATCH_UP_SECONDS = 30.0


def _query(server: EmbeddedServer, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn: Any = mysql.connector.connect(**server.url.connect_args() | {"database": None}, use_pure=True,
                                        autocommit=True, connection_timeout=5)
    try:
        cur = conn.cursor(dictionary=True)
        cur.execute(sql, params)
        return list(cur.fetchall()) if cur.with_rows else []
    finally:
        conn.close()


class ReplicatedPair(Started):
    def __init__(self, folder: Path, database: str = "seguimiento") -> None:
        common = ("--log-bin=binlog", "--binlog-format=ROW", "--log-slave-updates=ON",
                  "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0")
        self.primary = EmbeddedServer(folder / "primary", database=database,
                                      options=("--server-id=1", *common))
        # read_only: only the replication thread (and accounts with READ_ONLY ADMIN) write.
        self.replica = EmbeddedServer(folder / "replica", database=database,
                                      options=("--server-id=2", "--read-only=ON", *common))

    def start(self) -> ReplicatedPair:
        self.primary.start()
        self.replica.start()
        password = secrets.token_hex(16)
        for statement in (f"CREATE USER '{REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '{password}'",
                          f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'127.0.0.1'"):
            self._unlogged(self.primary, statement)
        position = str(_query(self.primary, "SELECT @@GLOBAL.gtid_binlog_pos AS p")[0]["p"])
        _query(self.replica, "STOP SLAVE")
        _query(self.replica, "SET GLOBAL gtid_slave_pos = %s", (position,))
        _query(self.replica, f"CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {self.primary.port}, "
                             f"MASTER_USER = '{REPLICATION_USER}', MASTER_PASSWORD = '{password}', "
                             "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1")
        _query(self.replica, "START SLAVE")
        return self

    @staticmethod
    def _unlogged(server: EmbeddedServer, statement: str) -> None:
        conn: Any = mysql.connector.connect(**server.url.connect_args() | {"database": None}, use_pure=True,
                                            autocommit=True, connection_timeout=5)
        try:
            cur = conn.cursor()
            cur.execute("SET SESSION sql_log_bin = 0")
            cur.execute(statement)
        finally:
            conn.close()

    def stop_applying(self) -> None:
        """The replica keeps receiving, and stops applying (as when it falls behind)."""
        _query(self.replica, "STOP SLAVE SQL_THREAD")

    def start_applying(self) -> None:
        _query(self.replica, "START SLAVE SQL_THREAD")

    def status(self) -> dict[str, Any]:
        """The replica's SHOW SLAVE STATUS."""
        rows = _query(self.replica, "SHOW SLAVE STATUS")
        return rows[0] if rows else {}

    def wait_caught_up(self, timeout: float = CATCH_UP_SECONDS) -> None:
        """Until the replica has applied everything the primary has written."""
        target = str(_query(self.primary, "SELECT @@GLOBAL.gtid_binlog_pos AS p")[0]["p"])
        result = _query(self.replica, "SELECT MASTER_GTID_WAIT(%s, %s) AS r", (target, timeout))
        if result[0]["r"] != 0:
            raise AssertionError(f"the replica did not reach {target} within {timeout} s: {self.status()}")

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            try:
                server.stop(timeout=20)
            finally:
                server.kill()
