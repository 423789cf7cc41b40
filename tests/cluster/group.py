"""A MySQL 9.7 Group Replication group on one machine, for the cluster tests.

Three :class:`Member` servers from the engine matrix's cached MySQL 9.7 root (see
tests/engines/servers.py, which starts and stops each one), each on its own loopback SQL
port and XCOM port, single-primary, with the XCOM communication stack and a recovery
account. :class:`Group` bootstraps the first, joins the others and waits until all three
are ONLINE::

    with Group() as group:
        primary = group.primary()          # the member the group says is PRIMARY
        group.kill(primary)                # SIGKILL, as a crash
        new = group.wait_for_primary(excluding=primary)

Every member shares one root password, so a login made on the primary (they replicate)
works on whichever member is primary later.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import mysql.connector

from gateway.db.embedded import free_port
from tests.engines.servers import ENGINES, ChrootServer, EngineError, Started, build_root

ENGINE = ENGINES["mysql-9.7"]
# Limits, each a setting: how long the group may take to come ONLINE, and to elect.
ONLINE_SECONDS = float(os.environ.get("SEGUIMIENTO_CLUSTER_ONLINE_SECONDS", "120"))
ELECTION_SECONDS = float(os.environ.get("SEGUIMIENTO_CLUSTER_ELECTION_SECONDS", "90"))
# How long the group waits, after a member stops answering (XCOM suspects it after about
# 5 s), before expelling it. MySQL's default is 5 s; 0 expels at once: a faster election,
# at the price of expelling a member that was only slow. Kept a setting, like production.
EXPEL_TIMEOUT = int(os.environ.get("SEGUIMIENTO_CLUSTER_EXPEL_TIMEOUT", "0"))
RECOVERY_USER = "seg_recovery"


class Member(ChrootServer):
    """One group member: a :class:`ChrootServer` with the options Group Replication needs."""

    def __init__(self, server_id: int, xcom_port: int, seeds: str, group_name: str, password: str,
                 recovery_password: str) -> None:
        super().__init__(ENGINE)
        self.server_id = server_id
        self.xcom_port = xcom_port
        self.seeds = seeds
        self.group_name = group_name
        self.password = password
        self.recovery_password = recovery_password

    def _init_sql(self) -> str:
        # The init file runs at every start. Out of the binary log: a GTID of its own on one
        # member would be a transaction the group never had, and the member could not join.
        return ("SET SESSION sql_log_bin = 0;\n" + super()._init_sql()
                + f"CREATE USER IF NOT EXISTS '{RECOVERY_USER}'@'%' IDENTIFIED BY '{self.recovery_password}';\n"
                + f"GRANT REPLICATION SLAVE, BACKUP_ADMIN, CONNECTION_ADMIN, GROUP_REPLICATION_STREAM "
                  f"ON *.* TO '{RECOVERY_USER}'@'%';\n"
                + "SET SESSION sql_log_bin = 1;\n")

    def _command(self) -> list[str]:
        return super()._command() + [
            f"--server-id={self.server_id}",
            "--gtid-mode=ON", "--enforce-gtid-consistency=ON", "--log-bin=binlog", "--binlog-format=ROW",
            # what the others connect to for recovery: this address, not the host's name
            "--report-host=127.0.0.1", f"--report-port={self.port}",
            "--plugin-load-add=group_replication.so",
            f"--group-replication-group-name={self.group_name}",
            "--group-replication-start-on-boot=OFF",
            "--group-replication-communication-stack=XCOM",
            f"--group-replication-local-address=127.0.0.1:{self.xcom_port}",
            f"--group-replication-group-seeds={self.seeds}",
            "--group-replication-single-primary-mode=ON",
            f"--group-replication-member-expel-timeout={EXPEL_TIMEOUT}",
            # recovery logs in with caching_sha2_password over plain text: fetch the key
            "--group-replication-recovery-get-public-key=ON",
        ]

    def query(self, sql: str) -> list[tuple[object, ...]]:
        return self._query(sql)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash: no clean shutdown, no goodbye to the group."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class Group(Started):
    """Three members, single-primary; see the module doc."""

    def __init__(self, size: int = 3) -> None:
        build_root(ENGINE)
        password = secrets.token_hex(16)
        recovery = secrets.token_hex(16)
        group_name = str(uuid.uuid4())
        xcom = [free_port() for _ in range(size)]
        seeds = ",".join(f"127.0.0.1:{port}" for port in xcom)
        self.members = [Member(i + 1, xcom[i], seeds, group_name, password, recovery) for i in range(size)]
        self.password = password
        self.recovery_password = recovery

    def start(self) -> Group:
        # The members are independent until they join: initialise and start them at once.
        _each(self.members, Member.start)
        first, *others = self.members
        first.query("SET GLOBAL group_replication_bootstrap_group = ON")
        try:
            first.query(self._start_statement())
        finally:
            first.query("SET GLOBAL group_replication_bootstrap_group = OFF")
        for member in others:
            member.query(self._start_statement())
        self.wait_online(len(self.members))
        return self

    def _start_statement(self) -> str:
        return f"START GROUP_REPLICATION USER = '{RECOVERY_USER}', PASSWORD = '{self.recovery_password}'"

    def members_view(self, asked: Member | None = None) -> list[tuple[str, int, str, str]]:
        """(host, port, state, role) of each member, as a live member sees the group."""
        for member in [asked] if asked else self.live():
            try:
                rows = member.query("SELECT MEMBER_HOST, MEMBER_PORT, MEMBER_STATE, MEMBER_ROLE "
                                    "FROM performance_schema.replication_group_members")
            except mysql.connector.Error:
                continue
            return [(str(h), int(str(p)), str(s), str(r)) for h, p, s, r in rows]
        return []

    def live(self) -> list[Member]:
        return [m for m in self.members if m.alive]

    def by_port(self, port: int) -> Member:
        return next(m for m in self.members if m.port == port)

    def wait_online(self, count: int, timeout: float = ONLINE_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        view: list[tuple[str, int, str, str]] = []
        while time.monotonic() < deadline:
            view = self.members_view()
            if sum(1 for _h, _p, state, _r in view if state == "ONLINE") == count:
                return
            time.sleep(0.3)
        raise EngineError(f"the group did not have {count} members ONLINE within {timeout:.0f} s "
                          f"(SEGUIMIENTO_CLUSTER_ONLINE_SECONDS): {view}\n"
                          + "\n".join(m.log_tail(10) for m in self.members))

    def primary(self) -> Member | None:
        """The member the group calls PRIMARY, if it is ONLINE, alive and writable."""
        for _host, port, state, role in self.members_view():
            if role == "PRIMARY" and state == "ONLINE":
                member = self.by_port(port)
                if member.alive and str(member.query("SELECT @@GLOBAL.super_read_only")[0][0]) == "0":
                    return member
        return None

    def wait_for_primary(self, excluding: Member | None = None, timeout: float = ELECTION_SECONDS) -> Member:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = self.primary()
            except mysql.connector.Error:
                found = None
            if found is not None and found is not excluding:
                return found
            time.sleep(0.2)
        raise EngineError(f"no new primary within {timeout:.0f} s (SEGUIMIENTO_CLUSTER_ELECTION_SECONDS): "
                          f"{self.members_view()}")

    def stop(self) -> None:
        # One at a time: members leaving the group all at once may wait for each other.
        for member in self.members:
            member.stop()


def _each(members: list[Member], action: Callable[[Member], object]) -> None:
    """``action`` on every member at once, each in a thread; the first error, once all ended."""
    with ThreadPoolExecutor(len(members)) as pool:
        for done in [pool.submit(action, member) for member in members]:
            done.result()
