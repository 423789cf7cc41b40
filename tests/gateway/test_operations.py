"""/health, /metrics and the settings of ``seguimiento serve``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.settings import load_settings
from tests.gateway.conftest import People
from tests.gateway.harness import Api, listen, run, running_gateway
from tests.support import Db
from toolkit.metrics import samples


@run()
async def test_health_reports_database_scheduler_sweep_and_tail(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        anyone = Api(session, gw.base, None)
        health = await anyone.call("GET", "/health", expect=200)
        assert health["database"] == "up" and health["tailer"]["up"] is True
        assert health["tailer"]["lagEvents"] == 0 and health["tailer"]["deliveredId"] == 0
        # The test database has its events disabled, so the sweep cannot run: said, not hidden.
        assert health["status"] == "degraded" and health["sweepEvent"] == "DISABLED"
        assert any("ev_barrido_seguimiento" in p for p in health["problems"])
        db.execute("ALTER EVENT ev_barrido_seguimiento ENABLE")
        try:
            health = await anyone.call("GET", "/health", expect=200)
            if health["eventScheduler"] == "ON":
                assert health["status"] == "ok" and health["problems"] == []
        finally:
            db.execute("ALTER EVENT ev_barrido_seguimiento DISABLE")


@run()
async def test_metrics_in_prometheus_text(db: Db, people: People) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ws = await listen(session, gw.base, people.ana_token, since=0)
        gtr_ws = await listen(session, gw.base, people.gtr, since=0)
        await Api(session, gw.base, people.gtr).call("POST", "/api/clientes", {"nombre": "M"}, expect=201)
        await gtr_ws.until_id(1)
        async with session.get(gw.base + "/metrics") as response:
            assert response.status == 200 and response.content_type == "text/plain"
            text = await response.text()
        expected = {
            ("seguimiento_http_requests_total", (("method", "POST"), ("route", "/api/clientes"), ("status", "201"))): 1,
            ("seguimiento_procedure_calls_total",
             (("procedure", "sp_cargar_cliente_en_campana"), ("outcome", "ok"))): 1,
            ("seguimiento_procedure_seconds_count", (("procedure", "sp_cargar_cliente_en_campana"),)): 1,
            ("seguimiento_websocket_connections", (("role", "asesor"),)): 1,
            ("seguimiento_websocket_connections", (("role", "gtr"),)): 1,
            ("seguimiento_events_delivered_total", ()): 1,
            ("seguimiento_outbox_tailed_id", ()): 1,
            ("seguimiento_database_up", ()): 1,
        }
        for (name, labels), value in expected.items():
            assert samples(text, name, **dict(labels)) == [value], (name, labels)
        assert "# TYPE seguimiento_procedure_seconds histogram" in text
        assert "seguimiento_outbox_tail_lag_seconds " in text
        await ws.close()
        await gtr_ws.close()


@run()
async def test_each_gateway_counts_only_its_own_requests(db: Db, people: People) -> None:
    """Two gateways in one process (as the tests run them) keep separate registries, and what
    /metrics gives parses as the Prometheus text format."""
    async with running_gateway(db.url) as one, running_gateway(db.url) as two, \
            aiohttp.ClientSession() as session:
        for _ in range(3):
            await Api(session, one.base, None).call("GET", "/health", expect=200)
        await Api(session, two.base, None).call("GET", "/health", expect=200)
        counts = []
        for gw in (one, two):
            async with session.get(gw.base + "/metrics") as response:
                families = {f.name: f for f in text_string_to_metric_families(await response.text())}
            (health,) = [s for s in families["seguimiento_http_requests"].samples if s.labels["route"] == "/health"]
            counts.append(health.value)
        assert counts == [3.0, 1.0]
        assert families["seguimiento_procedure_seconds"].type == "histogram"


def test_settings_from_file_environment_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "HOST", "PORT", "POLL_INTERVAL", "ALLOWED_ORIGINS"):
        monkeypatch.delenv(f"SEGUIMIENTO_{name}", raising=False)
    env_file = tmp_path / "seguimiento.env"
    env_file.write_text("SEGUIMIENTO_DATABASE_URL=mysql://app:pw@db:3306/seguimiento\n"
                        "SEGUIMIENTO_PORT=9000\nSEGUIMIENTO_POLL_INTERVAL=0.25\n"
                        "SEGUIMIENTO_ALLOWED_ORIGINS=https://a.example, https://b.example/\n")
    settings = load_settings(env_file)
    assert settings.port == 9000 and settings.poll_interval == 0.25
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.database().password == "pw" and settings.database().host == "db"
    monkeypatch.setenv("SEGUIMIENTO_PORT", "9100")
    assert load_settings(env_file).port == 9100  # the environment wins over the file
    assert load_settings(env_file, port=9200, host=None).port == 9200  # an option wins over both
    monkeypatch.setenv("SEGUIMIENTO_POLL_INTERVAL", "0")
    with pytest.raises(ValueError):
        load_settings(env_file)


def test_serve_refuses_missing_or_bad_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGUIMIENTO_")}
    cases = [([], "no database given"),
             (["--database-url", "postgres://x/y"], "mysql://"),
             (["--database-url", "mysql://root@127.0.0.1/x", "--settings", str(tmp_path / "missing.env")],
              "no settings file"),
             (["--database-url", "mysql://root@127.0.0.1/x", "--port", "70000"], "bad settings")]
    for args, message in cases:
        done = subprocess.run([sys.executable, "-m", "gateway", "serve", *args], capture_output=True, text=True,
                              env=env, timeout=30, check=False)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
