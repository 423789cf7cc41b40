"""Shared fixtures: a real, migrated database per test session, reset between tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import migrate
from tests.dbserver import (
    ENGINE_ENV,
    NoServerError,
    create_database,
    drop_database,
    server_version,
    test_server,
    throwaway_name,
)
from tests.support import Connections, Db


def pytest_report_header(config: pytest.Config) -> str:
    """The database server of this run and its VERSION(), at the top of every run."""
    version, where = server_version()
    engine = os.environ.get(ENGINE_ENV)
    return (f"database server: {version or 'none answering'} at {where}"
            + (f", engine {engine} of the matrix" if engine else ""))


@pytest.fixture(scope="session")
def server() -> Iterator[DatabaseUrl]:
    """The MySQL/MariaDB server of this run; fails the run (never skips) without one."""
    try:
        with test_server() as url:
            yield url
    except NoServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def migrated_url(server: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """A throwaway database, made by a plain ``CREATE DATABASE`` with the server's defaults
    as a DBA would make it, with every migration and object installed.

    Its events are disabled: tests call sp_barrido_seguimiento() themselves, so a sweep
    fired by the scheduler cannot race a test's own assertions. The scheduler test turns
    the sweep event back on for itself.
    """
    url = create_database(server.with_database(throwaway_name()))
    migrate(url)
    db = Db(url)
    db.execute("ALTER EVENT ev_barrido_seguimiento DISABLE")
    db.execute("ALTER EVENT ev_purgar_outbox DISABLE")
    db.execute("ALTER EVENT ev_caducar_tokens DISABLE")
    db.execute("ALTER EVENT ev_resumir_historial DISABLE")
    db.close()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def db(migrated_url: DatabaseUrl) -> Iterator[Db]:
    """The session's database, emptied of customers, asesores, history, outbox and tokens."""
    database = Db(migrated_url)
    database.reset()
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def conns(db: Db) -> Iterator[Connections]:
    """Extra connections to the test's database, for races and interrupted calls."""
    pool = Connections(db.url)
    try:
        yield pool
    finally:
        pool.close()
