"""MariaDB 10.11 with one GTID replica (tests/cluster/replication.py): the replica holds the
events disabled and refuses the sweep, serves the reporting account, shows its lag; and when
a DBA promotes it by hand after the primary dies (docs/scaling.md's runbook), a gateway
that lists both servers follows, and the sweep goes on before the DBA re-enables the events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import mysql.connector
import pytest

from gateway.db.migrate import migrate
from gateway.db.sqlfiles import load_objects
from tests.cluster.replication import ReplicatedPair
from tests.dbserver import create_database
from tests.gateway.harness import Api, GatewayProcess, forget_app_login, grant_app_account, make_token, run, serving_url
from tests.support import Db, connect

EVENTS = sorted(o.name for o in load_objects() if o.kind == "EVENT")

TIMEOUT = 5  # timeout_segundos in the promotion test
SWEEP_INTERVAL = 1


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicatedPair]:
    with ReplicatedPair(Path(tmp_path_factory.mktemp("replication"))) as started:
        admin = create_database(started.primary.url)
        migrate(admin)
        grant_app_account(admin)
        started.wait_caught_up()
        try:
            yield started
        finally:
            forget_app_login(admin)


def on_replica(pair: ReplicatedPair, user: str | None = None, password: str | None = None) -> Any:
    url = pair.replica.url
    if user is not None:
        url = url.model_copy(update={"user": user, "password": password})
    return connect(url)


def test_the_replica_holds_the_events_disabled_and_refuses_the_sweep(pair: ReplicatedPair) -> None:
    conn = on_replica(pair)
    try:
        cur = conn.cursor()
        cur.execute("SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
        assert {status for _name, status in cur.fetchall()} == {"SLAVESIDE_DISABLED"}
    finally:
        conn.close()
    app = serving_url(pair.primary.url)
    conn = on_replica(pair, app.user, app.password)
    try:
        # The app account (which may call the sweep) on the replica: refused, read-only.
        with pytest.raises(mysql.connector.Error) as info:
            conn.cursor().execute("CALL sp_barrido_seguimiento()")
        assert info.value.errno == 1290, info.value
    finally:
        conn.close()


def test_the_reporting_account_reads_the_views_and_the_lag_on_the_replica(pair: ReplicatedPair) -> None:
    admin = Db(pair.primary.url)
    user = admin.query("SELECT usuario FROM cuentas_bd WHERE rol = 'reporting'")[0]["usuario"]
    admin.execute(f"ALTER USER '{user}'@'%' IDENTIFIED BY 'reporting-pw-1'")
    asesor = admin.asesor("Reporte")
    admin.derivado(asesor)
    primary_id = admin.query("SELECT ultimo_evento_id FROM v_replicacion")[0]["ultimo_evento_id"]
    admin.close()
    pair.wait_caught_up()
    conn = on_replica(pair, user, "reporting-pw-1")
    try:
        cur = conn.cursor(dictionary=True)
        cur.execute("SELECT COUNT(*) AS n FROM v_clientes_activos WHERE asesor_asignado = %s", (asesor,))
        assert cur.fetchall()[0]["n"] == 1
        with pytest.raises(mysql.connector.Error):
            cur.execute("SELECT * FROM outbox")
        cur.execute("SELECT ultimo_evento_id FROM v_replicacion")
        assert cur.fetchall()[0]["ultimo_evento_id"] == primary_id
        # Stop applying: the view shows the replica behind by exactly what the primary wrote since.
        pair.stop_applying()
        admin = Db(pair.primary.url)
        admin.nuevo_cliente()
        ahead = admin.query("SELECT ultimo_evento_id FROM v_replicacion")[0]["ultimo_evento_id"]
        admin.close()
        cur.execute("SELECT ultimo_evento_id FROM v_replicacion")
        assert cur.fetchall()[0]["ultimo_evento_id"] == primary_id < ahead
        pair.start_applying()
        pair.wait_caught_up()
        cur.execute("SELECT ultimo_evento_id FROM v_replicacion")
        assert cur.fetchall()[0]["ultimo_evento_id"] == ahead
    finally:
        conn.close()
    status = pair.status()
    assert status["Slave_SQL_Running"] == "Yes" and status["Seconds_Behind_Master"] == 0, status


async def _writes(api: Api) -> bool:
    try:
        status, _ = await api.status("POST", "/api/clientes", {"nombre": "Tras la promoción"})
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False
    return status == 201


@run(timeout=120)
async def test_a_replica_promoted_by_hand_takes_the_writes_and_the_sweep(pair: ReplicatedPair) -> None:
    admin = Db(pair.primary.url)
    admin.set_config("timeout_segundos", TIMEOUT)
    asesor = admin.asesor("Ana")
    gtr_token = make_token(admin, "gtr")
    idle = [admin.derivado(asesor) for _ in range(3)]
    admin.close()
    hosts = f"127.0.0.1:{pair.primary.port},127.0.0.1:{pair.replica.port}"
    gateway = GatewayProcess(pair.primary.url, env={"SEGUIMIENTO_DATABASE_HOSTS": hosts,
                                                    "SEGUIMIENTO_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
                                                    "SEGUIMIENTO_CONNECT_TIMEOUT": "1"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, gateway.base, gtr_token)
            assert await _writes(api)
            pair.wait_caught_up()
            pair.primary.kill()
            assert not await _writes(api), "nothing is writable until the DBA promotes the replica"
            # The runbook (docs/scaling.md): stop replicating, forget the old primary, take writes.
            promoted = time.monotonic()
            conn = on_replica(pair)
            try:
                cur = conn.cursor()
                for statement in ("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = OFF"):
                    cur.execute(statement)
            finally:
                conn.close()
            while not await _writes(api):
                assert time.monotonic() - promoted < 10, "the gateway did not follow the promotion"
            replica = Db(pair.replica.url)
            try:
                # The events are still SLAVESIDE_DISABLED: the gateway sweeps meanwhile.
                assert {r["s"] for r in replica.query(
                    "SELECT STATUS AS s FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")} \
                    == {"SLAVESIDE_DISABLED"}
                while any(replica.cliente(c)["seguimiento_status"] != "no_gestionado" for c in idle):
                    assert time.monotonic() - promoted < TIMEOUT + SWEEP_INTERVAL + 10, "no sweep after promotion"
                    time.sleep(0.2)
                # The runbook's last step: seguimiento migrate re-enables the events.
                report = migrate(pair.replica.url)
                assert sorted(report.events_enabled) == EVENTS
            finally:
                replica.close()
    finally:
        gateway.stop()
