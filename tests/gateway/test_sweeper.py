"""The gateway follows the sweep (gateway/web/sweeper.py): when the primary's sweep event does
not run, as on a primary promoted from a replica, the gateway runs the sweep itself; when it
does run, the gateway leaves it alone; and a sweep running elsewhere keeps the gateway's out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.db.pool import Database
from gateway.web.keys import METRICS
from gateway.web.sweeper import needs_gateway_sweep
from tests.gateway.harness import AppAccount, run, running_gateway, serving_url
from tests.support import Db, connect
from tests.test_sweep import make_idle
from toolkit.metrics import value as metric_value


def event_status(db: Db) -> str:
    return str(db.query("SELECT STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
                        "AND EVENT_NAME = 'ev_barrido_seguimiento'")[0]["s"])


def set_event(db: Db, status: str) -> None:
    db.execute(f"ALTER EVENT ev_barrido_seguimiento {'ENABLE' if status == 'ENABLED' else 'DISABLE'}")


@pytest.fixture
def event_disabled(db: Db) -> Iterator[None]:
    """The sweep event as a replica's copy is after a promotion: disabled (and as it was after)."""
    before = event_status(db)
    set_event(db, "DISABLED")
    try:
        yield
    finally:
        set_event(db, before)


async def status_becomes(db: Db, cliente_id: int, status: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if db.cliente(cliente_id)["seguimiento_status"] == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"cliente {cliente_id} is {db.cliente(cliente_id)['seguimiento_status']}, "
                         f"not {status}, after {timeout} s")


@run()
async def test_the_gateway_sweeps_when_the_primarys_event_does_not(db: Db, app_account: AppAccount,
                                                                    event_disabled: None) -> None:
    asesor = db.asesor()
    idle, active = db.derivado(asesor), db.derivado(asesor)
    make_idle(db, idle, 400)
    async with running_gateway(db.url, sweep_interval=0.3) as gateway:
        await status_becomes(db, idle, "no_gestionado", timeout=10)
        assert gateway.app is not None
        metrics = gateway.app[METRICS]
        # Counted once the call has returned, a moment after its commit.
        for _ in range(50):
            if metrics.value("seguimiento_gateway_swept_customers_total"):
                break
            await asyncio.sleep(0.1)
        assert metrics.value("seguimiento_gateway_swept_customers_total") == 1
        assert metrics.value("seguimiento_gateway_sweeps_total") >= 1
        assert metric_value(metrics.render(), "seguimiento_gateway_swept_customers_total") == 1
    assert db.cliente(active)["seguimiento_status"] == "derivado"
    (history,) = [h for h in db.historial(idle) if h["estado_nuevo"] == "no_gestionado"]
    assert history["motivo"] == "timeout_no_gestionado" and history["actor"] == "system"


@run()
async def test_the_gateway_asks_only_when_the_event_is_off(db: Db, app_account: AppAccount) -> None:
    pool = Database(serving_url(db.url), size=1)
    before = event_status(db)
    try:
        set_event(db, "ENABLED")
        assert await needs_gateway_sweep(pool) is False
        set_event(db, "DISABLED")
        assert await needs_gateway_sweep(pool) is True
    finally:
        set_event(db, before)
        await pool.close()


@run()
async def test_no_gateway_sweep_while_another_sweep_holds_the_lock(db: Db, app_account: AppAccount,
                                                                   event_disabled: None) -> None:
    asesor = db.asesor()
    idle = db.derivado(asesor)
    make_idle(db, idle, 400)
    other: Any = connect(db.url)
    lock = f"{db.url.database}.barrido_seguimiento"
    try:
        cur = other.cursor()
        cur.execute("SELECT GET_LOCK(%s, 0)", (lock,))
        assert cur.fetchone() == (1,)
        async with running_gateway(db.url, sweep_interval=0.2):
            await asyncio.sleep(1.5)  # several of the gateway's looks
            assert db.cliente(idle)["seguimiento_status"] == "derivado", "two sweeps ran at once"
            cur.execute("SELECT RELEASE_LOCK(%s)", (lock,))
            cur.fetchall()
            await status_becomes(db, idle, "no_gestionado", timeout=10)
    finally:
        other.close()


@run()
async def test_the_gateway_distributes_when_the_primarys_distribution_event_does_not(
        db: Db, app_account: AppAccount) -> None:
    """ev_distribuir disabled (as after a promotion; the test databases disable events): a
    lead waiting in an auto campaign still reaches an available asesor, through the gateway."""
    assert db.query("SELECT STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
                    "AND EVENT_NAME = 'ev_distribuir'")[0]["s"] != "ENABLED"
    asesor = db.asesor()
    campana = db.call_one("sp_crear_campana", "Fibra", None, None, "auto", None, None)["campana_id"]
    db.call("sp_asignar_habilidad", asesor, campana)
    cliente = db.call_one("sp_cargar_cliente_en_campana", "Juan", None, None, campana, None)["cliente_id"]
    assert db.cliente(cliente)["seguimiento_status"] == "nuevo"  # Ana is desconectado: it waits
    # By hand, so that no procedure runs the distribution at once: only a run can assign it.
    db.execute("UPDATE asesores SET presencia = 'disponible', presencia_desde = UTC_TIMESTAMP(6) WHERE id = %s",
               (asesor,))
    async with running_gateway(db.url, sweep_interval=0.2):
        await status_becomes(db, cliente, "derivado", timeout=10)
    assert db.cliente(cliente)["asesor_asignado"] == asesor
    (history,) = [h for h in db.historial(cliente) if h["estado_nuevo"] == "derivado"]
    assert history["actor"] == "system"
