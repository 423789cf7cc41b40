"""Fixtures of the fuzz tests: a real gateway on loopback (its own loop thread, since the
fuzzers' HTTP client is synchronous), over the test database seeded with customers in
every state, live locks, and tokens of each kind; and the reliability table's recorder.

The sizes: ``SEGUIMIENTO_FUZZ_EXAMPLES`` examples per route and generation mode (default
:data:`DEFAULT_EXAMPLES`, which keeps the whole fuzz run near a minute on a 2-core
machine); the run is derandomized (the same examples every time) unless
``SEGUIMIENTO_FUZZ_SEED`` names a seed. A longer hunt::

    SEGUIMIENTO_FUZZ_EXAMPLES=500 SEGUIMIENTO_FUZZ_SEED=$RANDOM .venv/bin/pytest tests/fuzz
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.gatewayrun import GatewayThread
from tests.gateway.harness import app_account, make_token  # noqa: F401  (app_account: the gateway's login)
from tests.reliability.recording import ensure_plugin, reliability  # noqa: F401  (the fixture)
from tests.support import Db, Row

# The fuzz sends bad tokens by the hundred from one address: with the failed-login limit's
# default every later request would be 429, and the routes behind it never fuzzed.
FUZZ_AUTH_FAILURES = 1_000_000

DEFAULT_EXAMPLES = 25


def pytest_configure(config: pytest.Config) -> None:
    # From the start of the run, so the suite's row counts every fuzz test, not only those
    # after the first that takes the recorder.
    ensure_plugin(config)


def examples_per_route() -> int:
    """How many examples each route gets in each generation mode."""
    return int(os.environ.get("SEGUIMIENTO_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)


def fuzz_seed() -> int | None:
    """A seed for a randomized run; None: derandomized (CI)."""
    value = os.environ.get("SEGUIMIENTO_FUZZ_SEED")
    return int(value) if value else None


@dataclass(frozen=True)
class World:
    """What the fuzzers aim at: real ids, live locks and tokens, as well as generated ones."""

    ana: int
    beto: int
    tokens: dict[str, str]  # gtr, ana, beto, revoked
    clientes: dict[str, int]  # by state: nuevo, derivado, tomado, en_gestion, ajeno, terminado, ocioso, ...
    locks: dict[str, str]  # live lock tokens: tomado, en_gestion (Ana's), ajeno (Beto's)


def seed(db: Db) -> World:
    """Two asesores, a customer in each state (an idle one past its timeout too), live locks
    of both asesores, a GTR token, a token for each asesor and a revoked one."""
    ana, beto = db.asesor("Ana"), db.asesor("Beto")
    tokens = {"gtr": make_token(db, "gtr"), "ana": make_token(db, "asesor", ana),
              "beto": make_token(db, "asesor", beto), "revoked": make_token(db, "gtr")}
    revoked_id = db.query("SELECT id FROM api_tokens ORDER BY id DESC LIMIT 1")[0]["id"]
    db.call("sp_revocar_token", revoked_id)
    no_gestionado = db.derivado(ana)
    db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = %s",
               (no_gestionado,))
    db.call("sp_barrido_seguimiento")
    terminado, token = db.en_gestion(ana)
    db.call("sp_completar_wizard", terminado, ana, token)
    tomado, lock_tomado = db.tomado(ana)
    en_gestion, lock_en_gestion = db.en_gestion(ana)
    ajeno, lock_ajeno = db.tomado(beto)
    ocioso = db.derivado(ana)
    # Idle past the timeout but not swept yet: every action on it is refused (409).
    db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = %s", (ocioso,))
    clientes = {"nuevo": db.nuevo_cliente(), "derivado": db.derivado(ana), "tomado": tomado,
                "en_gestion": en_gestion, "ajeno": ajeno, "terminado": terminado, "ocioso": ocioso,
                "no_gestionado": no_gestionado}
    locks = {"tomado": lock_tomado, "en_gestion": lock_en_gestion, "ajeno": lock_ajeno}
    return World(ana=ana, beto=beto, tokens=tokens, clientes=clientes, locks=locks)


def snapshot(db: Db) -> dict[str, list[Row]]:
    """Every table a request could change: Db.snapshot() plus imports and configuration."""
    tables = db.snapshot()
    for table in ("importaciones", "seguimiento_config"):
        tables[table] = db.query(f"SELECT * FROM {table} ORDER BY 1")
    return tables


@pytest.fixture
def world(db: Db) -> Iterator[World]:
    try:
        yield seed(db)
    finally:
        # Db.reset() leaves import bookkeeping; an upload here must not look like a re-run later.
        db.execute("DELETE FROM importaciones")


@pytest.fixture
def gateway(db: Db, world: World) -> Iterator[GatewayThread]:
    """The gateway app (init_app) on a free loopback port, started after the seeding."""
    gw = GatewayThread(db.url, auth_max_failures=FUZZ_AUTH_FAILURES).start()
    try:
        yield gw
    finally:
        gw.close()


def describe(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
