"""The matrix runner (``make test``): its closing line counts what pytest counted, a failure
names its engine, an engine that cannot run fails the run and says why, and a SIGTERM stops
the engine's server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mysql.connector

from tests.engines.matrix import REPO
from tests.engines.servers import ENGINES, RUNS, build_root

MIXED = '''
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("a fixture that breaks")

def test_passes():
    assert True

def test_fails():
    assert 1 == 2

def test_errors(broken):
    pass
'''


def matrix(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.engines.matrix", *args], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600, check=False)


def test_the_closing_line_counts_failures_and_errors_and_names_the_engine(tmp_path: Path) -> None:
    tests = tmp_path / "test_mixed.py"
    tests.write_text(MIXED)
    run = matrix("--engines", "local", "--", str(tests))
    lines = run.stdout.splitlines()
    assert run.returncode == 1, run.stdout + run.stderr
    assert lines[-1] == "1 passed, 2 failed"
    assert any(line.startswith("============ engine local: ") for line in lines)
    failed = [line for line in lines if line.startswith("FAILED on local (")]
    assert len(failed) == 2
    assert failed[0].endswith("test_mixed.py::test_fails")
    assert failed[1].endswith("test_mixed.py::test_errors (error in setup)")


def test_a_clean_run_exits_zero_and_engines_come_from_the_environment(tmp_path: Path) -> None:
    tests = tmp_path / "test_clean.py"
    tests.write_text("def test_passes():\n    assert True\n")
    run = matrix("--", str(tests), env={"SEGUIMIENTO_TEST_ENGINES": "local"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "engine mysql-9.7" not in run.stdout


def test_an_unknown_engine_is_refused() -> None:
    run = matrix("--engines", "local,oracle-23")
    assert run.returncode == 2
    assert "unknown engine(s) oracle-23; known: local, mysql-9.7, mariadb-11.8" in run.stderr


def test_an_engine_whose_root_cannot_be_built_fails_the_run_and_says_why(tmp_path: Path) -> None:
    tests = tmp_path / "test_clean.py"
    tests.write_text("def test_passes():\n    assert True\n")
    # An empty cache and a mirror nobody serves: what a machine without the network sees.
    run = matrix("--engines", "local,mysql-9.7", "--", str(tests),
                 env={"SEGUIMIENTO_ENGINE_CACHE": str(tmp_path / "cache"),
                      "SEGUIMIENTO_ENGINE_MIRROR": "http://127.0.0.1:9/debian"})
    assert run.returncode == 1
    assert "ENGINE FAILED mysql-9.7: the mysql-9.7 root could not be built" in run.stdout
    assert "Failed getting release file http://127.0.0.1:9/debian" in run.stderr
    # The local engine still ran; the unbuilt one counts as a failure, never as nothing.
    assert run.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_sigterm_stops_the_engine_server_and_the_tests(tmp_path: Path) -> None:
    engine = ENGINES["mariadb-11.8"]
    build_root(engine)
    tests = tmp_path / "test_slow.py"
    tests.write_text("import time\n\ndef test_sleeps():\n    time.sleep(300)\n")
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        runner = subprocess.Popen([sys.executable, "-m", "tests.engines.matrix", "--engines", engine.name, "--",
                                   str(tests)], cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    try:
        port = 0
        deadline = time.monotonic() + 120
        while not port and time.monotonic() < deadline:
            for line in out.read_text().splitlines():
                if line.startswith(f"============ engine {engine.name}: ") and " at 127.0.0.1:" in line:
                    port = int(line.split(" at 127.0.0.1:")[1].split()[0])
            time.sleep(0.2)
        assert port, out.read_text()
        runs = [p for p in (engine.root / RUNS).iterdir() if p.name.startswith(f"{runner.pid}-")]
        assert len(runs) == 1
        time.sleep(2)  # pytest is in its sleeping test
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(120) == 128 + signal.SIGTERM
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    lines = out.read_text().splitlines()
    assert lines[-1] == "0 passed, 1 failed"
    assert f"ENGINE FAILED {engine.name}: interrupted by SIGTERM" in lines
    assert not runs[0].exists()
    try:
        mysql.connector.connect(host="127.0.0.1", port=port, user="root", connection_timeout=2,
                                use_pure=True).close()
        answered = True
    except mysql.connector.Error:
        answered = False
    assert not answered, "the engine's server still answers after the runner's SIGTERM"
    assert not [p for p in Path("/proc").glob("[0-9]*") if _names(p, tests)], "pytest outlived the runner"


def _names(proc: Path, path: Path) -> bool:
    """Whether process folder ``proc``'s command line names ``path``."""
    try:
        return str(path).encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False
