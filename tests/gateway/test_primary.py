"""SEGUIMIENTO_DATABASE_HOSTS: the servers that may be the primary, and the gateway's pool
going to the one that answers and is writable (a read-only one is passed over in
tests/cluster, where real secondaries are)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.db import procedures
from gateway.db.procedures import Database, DatabaseUnavailable
from gateway.settings import Settings
from tests.gateway.harness import AppAccount, free_port, run, serving_url
from tests.support import Db


def test_hosts_are_parsed_and_bad_ones_refused_by_name() -> None:
    settings = Settings.model_validate({"database_hosts": "db1:3306, 10.0.0.2:3307,"})
    assert settings.database_candidates() == [("db1", 3306), ("10.0.0.2", 3307)]
    assert Settings().database_candidates() == []
    for bad in ("db1", "db1:", ":3306", "db1:x", "db1:70000"):
        with pytest.raises(ValidationError, match="is not host:port"):
            Settings.model_validate({"database_hosts": bad})


@run()
async def test_the_pool_passes_over_a_server_that_is_down(db: Db, app_account: AppAccount) -> None:
    url = serving_url(db.url)
    dead = url.model_copy(update={"port": free_port()})  # nothing listens there
    pool = Database(dead, size=1, connect_timeout=1, hosts=[(url.host, url.port)])
    try:
        assert (await procedures.estado_servidor(pool)).event_scheduler
        assert (pool.primary.host, pool.primary.port) == (url.host, url.port)
    finally:
        await pool.close()


@run()
async def test_no_server_answering_is_503_naming_them(db: Db, app_account: AppAccount) -> None:
    url = serving_url(db.url)
    ports = [free_port(), free_port()]
    pool = Database(url.model_copy(update={"port": ports[0]}), size=1, connect_timeout=1,
                    hosts=[("127.0.0.1", ports[1])])
    try:
        with pytest.raises(DatabaseUnavailable, match=f"127.0.0.1:{ports[0]}, 127.0.0.1:{ports[1]}"):
            await procedures.estado_servidor(pool)
    finally:
        await pool.close()
