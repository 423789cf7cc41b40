"""CI smoke test of the benchmarks (bench/): each one's smallest mode runs and writes its
results with the expected structure. Harness correctness only, never timing: the figures
of a smoke run mean nothing.

The six benchmarks run at once, each in its own process (``python -m bench --mode smoke``),
against the test server, writing to a temporary folder instead of docs/bench/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.db.dburl import DatabaseUrl

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("sweep", "import", "transitions", "events", "fanout", "routing", "reports")
TIMEOUT_S = 240


@pytest.fixture(scope="module")
def smoke_runs(server: DatabaseUrl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Start every benchmark's smoke mode in parallel; their output folder and logs."""
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, SEGUIMIENTO_BENCH_DSN=server.with_database("mysql").secret_url())
    processes = {
        name: subprocess.Popen([sys.executable, "-m", "bench", "--mode", "smoke", "--out", str(out / name), name],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name in BENCHMARKS
    }
    logs: dict[str, str] = {}
    codes: dict[str, int] = {}
    try:
        for name, process in processes.items():
            try:
                logs[name], _ = process.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                logs[name] = process.communicate()[0] + f"\n(killed after {TIMEOUT_S} s)"
            codes[name] = process.returncode
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    yield {"out": out, "logs": logs, "codes": codes}


def _result(smoke_runs: dict[str, Any], name: str) -> dict[str, Any]:
    log = smoke_runs["logs"][name]
    assert smoke_runs["codes"][name] == 0, f"python -m bench --mode smoke {name} failed:\n{log[-4000:]}"
    folder = smoke_runs["out"] / name
    json_name = "import" if name == "import" else name
    assert (folder / f"{json_name}.md").is_file(), log[-2000:]
    return json.loads((folder / f"{json_name}.json").read_text())


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_writes_its_tables_targets_and_run_facts(smoke_runs: dict[str, Any], name: str) -> None:
    data = _result(smoke_runs, name)
    assert data["benchmark"] == name
    meta = data["meta"]
    assert meta["mode"] == "smoke"
    assert "-m bench --mode smoke" in meta["command"]
    assert meta["commit"] and meta["engine"] and meta["date"]
    assert meta["connector"]["path"] in ("pure Python", "C extension")
    assert meta["machine"]["cores"] >= 1
    assert data["tables"], "no table"
    for table in data["tables"]:
        assert table["rows"], f"table {table['title']!r} is empty"
        assert all(len(row) == len(table["headers"]) for row in table["rows"]), table["title"]
    assert data["targets"], "no target reported"
    for target in data["targets"]:
        assert {"target", "goal", "measured", "met"} <= set(target)
    markdown = (smoke_runs["out"] / name / f"{name}.md").read_text()
    assert markdown.startswith("# Benchmark") and "**Connector:**" in markdown


def test_sweep_proves_an_index_range_and_returns_the_expired(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "sweep")
    results = data["data"]["results"]
    assert {r["expired"] for r in results} == {0, 100}
    assert all(r["sweep_ms"] > 0 and r["worker_fair_ms"] >= 0 for r in results)
    plan = next(iter(data["data"]["explain"].values()))
    # MariaDB may add a rowid filter from the status index ("range|filter"): still the range.
    assert plan["rows"][0][plan["headers"].index("type")].split("|")[0] == "range"


def test_import_compares_the_import_path_with_single_calls(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "import")
    seconds = data["data"]["median_seconds"]
    assert seconds["import"] > 0 and seconds["single_python_timed"] > 0
    assert data["data"]["extrapolated"] is True  # the smoke mode samples the single calls


def test_transitions_ran_every_method_and_workload(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "transitions")
    seen = {(r["workload"], r["method"]) for r in data["data"]["results"]}
    # slap, Python, the gateway from aiohttp, and from wrk where it is installed (make bench).
    methods = 4 if shutil.which("wrk") else 3
    assert len(seen) == 2 * methods
    assert all(r["rate"] > 0 for r in data["data"]["results"])


def test_events_reached_every_socket_on_both_paths(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "events")
    runs = data["data"]["latency_runs"]
    assert {r["path"] for r in runs} == {"gateway", "dba"}
    assert all(r["received"] == r["expected_deliveries"] for r in runs)
    assert {o["variant"].split()[0] for o in data["data"]["ordering"]} == {"with", "without"}


def test_fanout_delivered_every_message_in_order_from_both_servers(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "fanout")
    runs = [r for r in data["data"]["results"] if r["round"] != "frozen-test"]
    assert {r["server"] for r in runs} == {"gateway", "node ws"}
    assert all(r["checked_socket_in_order"] and r["timeouts"] == 0 for r in runs)


def test_routing_distributed_every_place_and_pulled_without_duplicates(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "routing")
    assert len(data["data"]["distribution_ms_all"]) == data["data"]["config"]["repeats"]
    assert all(ms > 0 for ms in data["data"]["distribution_ms_all"])
    for mode in ("pull", "pull_alone", "pull_think", "pull_busy"):
        pull = data["data"][mode]
        assert pull["calls"] == pull["pullers"] * pull["pulls_each"] and pull["p99_ms"] >= pull["p50_ms"] > 0
        assert pull["repeats"] == data["data"]["config"]["pull_repeats"] == len(pull["p99_ms_each"])
    assert data["data"]["pull_think"]["think_ms"] > data["data"]["pull_busy"]["think_ms"] > 0
    assert data["data"]["pull"]["think_ms"] == 0
    for mode in ("pull_slap", "pull_slap_alone"):
        assert data["data"][mode]["calls_per_s"] > 0
    plan = data["data"]["explain"]
    assert plan["rows"][0][plan["headers"].index("key")] == "idx_cola"


def test_reports_summarised_the_whole_history_and_timed_every_report(smoke_runs: dict[str, Any]) -> None:
    data = _result(smoke_runs, "reports")
    n = data["data"]["config"]["clientes"]
    assert data["data"]["backfill"]["history_rows"] == 5 * n
    # The fixture's assignments, openings, completions and timeouts all became report rows:
    # 3 per customer on the 80% path, 4 on the 20% that timed out once.
    assert data["data"]["backfill"]["rows_read"] == 16 * n // 5
    assert {(r["procedure"], r["days"], r["asesor"]) for r in data["data"]["results"]} == {
        (p, d, w) for p in ("sp_reporte_asesores", "sp_reporte_por_hora", "sp_reporte_velocidad", "sp_reporte_campanas")
        for d in (1, 7, 31, 90) for w in ("all", "one")}
    whole = [r for r in data["data"]["results"] if r["procedure"] == "sp_reporte_asesores" and r["days"] == 90]
    assert {r["asesor"]: r["rows"] for r in whole} == {"all": 200, "one": 1}
    assert data["data"]["tablero"]["ms"] > 0 and data["data"]["tail"]["ms"] > 0
