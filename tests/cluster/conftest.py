"""Fixtures of the cluster tests: one MySQL 9.7 Group Replication group per module, with the
seguimiento schema migrated on its primary and the accounts of ``seguimiento grants``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import migrate
from tests.cluster.group import Group, Member
from tests.dbserver import create_database, throwaway_name
from tests.gateway.harness import AppAccount, forget_app_login, grant_app_account
from tests.reliability.recording import reliability  # noqa: F401  (the fixture)


@dataclass
class Cluster:
    group: Group
    database: str
    account: AppAccount

    def admin(self, member: Member) -> DatabaseUrl:
        """root on ``member``, in the test database (one root password on every member)."""
        return member.url.with_database(self.database)

    def hosts(self) -> str:
        """Every member, as the gateway's database_hosts setting takes them."""
        return ",".join(f"127.0.0.1:{m.port}" for m in self.group.members)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Group() as group:
        primary = group.primary()
        assert primary is not None, group.members_view()
        admin = create_database(primary.url.with_database(throwaway_name("seg_cluster")))
        migrate(admin)
        account = grant_app_account(admin)  # and migrates again, as the owner
        try:
            yield Cluster(group, admin.database, account)
        finally:
            forget_app_login(admin)
