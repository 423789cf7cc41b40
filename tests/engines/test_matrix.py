"""The matrix runner (``make test``): its closing line counts what pytest counted, a failure
names its engine, an engine that cannot run fails the run and says why, engines run at once
with each one's output printed whole and in engine order, and a SIGTERM or a Ctrl-C stops
every engine's tests and server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mysql.connector
import pytest

from tests.engines.matrix import LOGS_ENV, REPO
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


def matrix(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.engines.matrix", *args], cwd=REPO, capture_output=True,
                          text=True, env=matrix_env(tmp_path, env), timeout=600, check=False)


def matrix_env(tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a matrix run inside this one: its logs in ``tmp_path``, not over the
    outer run's (which may be writing to them right now)."""
    return {**os.environ, LOGS_ENV: str(tmp_path / "logs"), **(env or {})}


def test_the_closing_line_counts_failures_and_errors_and_names_the_engine(tmp_path: Path) -> None:
    tests = tmp_path / "test_mixed.py"
    tests.write_text(MIXED)
    run = matrix(tmp_path, "--engines", "local", "--", str(tests))
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
    run = matrix(tmp_path, "--", str(tests), env={"SEGUIMIENTO_TEST_ENGINES": "local"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "engine mysql-9.7" not in run.stdout


def test_an_unknown_engine_or_a_bad_number_of_jobs_is_refused(tmp_path: Path) -> None:
    run = matrix(tmp_path, "--engines", "local,oracle-23")
    assert run.returncode == 2
    assert "unknown engine(s) oracle-23; known: local, mysql-9.7, mariadb-11.8" in run.stderr
    run = matrix(tmp_path, "--jobs", "0")
    assert run.returncode == 2
    assert "'0' is not a number of engines (1 or more)" in run.stderr


def test_an_engine_whose_root_cannot_be_built_fails_the_run_and_says_why(tmp_path: Path) -> None:
    tests = tmp_path / "test_clean.py"
    tests.write_text("def test_passes():\n    assert True\n")
    # An empty cache and a mirror nobody serves: what a machine without the network sees.
    run = matrix(tmp_path, "--engines", "local,mysql-9.7", "--", str(tests),
                 env={"SEGUIMIENTO_ENGINE_CACHE": str(tmp_path / "cache"),
                      "SEGUIMIENTO_ENGINE_MIRROR": "http://127.0.0.1:9/debian"})
    assert run.returncode == 1
    assert "ENGINE FAILED mysql-9.7: the mysql-9.7 root could not be built" in run.stdout
    assert "Failed getting release file http://127.0.0.1:9/debian" in run.stderr
    # The local engine still ran; the unbuilt one counts as a failure, never as nothing.
    assert run.stdout.splitlines()[-1] == "1 passed, 1 failed"


SIDE_BY_SIDE = '''
import os
import time
from pathlib import Path

RUNNING = Path(os.environ["MATRIX_TEST_RUNNING"])
ENGINE = os.environ["SEGUIMIENTO_TEST_ENGINE"]
AT_ONCE = os.environ["MATRIX_TEST_JOBS"] != "1"


def test_the_engines_run_as_many_at_a_time_as_asked():
    (RUNNING / f"{ENGINE}.start").write_text(repr(time.time()))
    if AT_ONCE:  # both must be running now: wait for the other, within a bound
        deadline = time.monotonic() + 120
        while len(list(RUNNING.glob("*.start"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(RUNNING.glob("*.start"))) == 2, "the other engine never ran at the same time"
    for i in range(40):
        print(f"{ENGINE} says {i}", flush=True)
        time.sleep(0.02)
    if AT_ONCE and ENGINE != "local":
        time.sleep(2)  # the engine given first ends last
    (RUNNING / f"{ENGINE}.end").write_text(repr(time.time()))
'''


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_engines_run_at_once_and_each_ones_output_is_printed_whole_in_engine_order(tmp_path: Path,
                                                                                   jobs: str) -> None:
    engine = ENGINES["mariadb-11.8"]
    build_root(engine)
    tests = tmp_path / "test_side_by_side.py"
    tests.write_text(SIDE_BY_SIDE)
    running = tmp_path / "running"
    running.mkdir()
    run = matrix(tmp_path, "--engines", f"{engine.name},local", "--jobs", jobs, "--", "-s", str(tests),
                 env={"MATRIX_TEST_RUNNING": str(running), "MATRIX_TEST_JOBS": jobs})
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    assert lines[-1] == "2 passed, 0 failed"
    said = [n for n, line in enumerate(lines) if " says " in line]
    # (pytest's own "test_side_by_side.py " may stand before the first one)
    first = [n for n in said if f"{engine.name} says " in lines[n]]
    second = [n for n in said if "local says " in lines[n]]
    # Each engine's lines in one piece, and the engine given first printed first...
    assert len(first) == len(second) == 40
    assert first == list(range(first[0], first[0] + 40)) and second == list(range(second[0], second[0] + 40))
    assert first[-1] < second[0]
    banners = [n for n, line in enumerate(lines) if line.startswith("============ engine ")]
    assert [lines[n].split(":")[0] for n in banners[:2]] == [f"============ engine {engine.name}",
                                                              "============ engine local"]
    assert banners[0] < first[0] < banners[1] < second[0]
    ended = {name: lines.index(next(line for line in lines if line.startswith(f"---- engine {name}: ended")))
             for name in (engine.name, "local")}
    times = {name: (float((running / f"{name}.start").read_text()), float((running / f"{name}.end").read_text()))
             for name in (engine.name, "local")}
    if jobs == "2":
        # ...even though it ended last (the live lines say when each ended).
        assert ended["local"] < ended[engine.name] < first[0]
    else:
        # One after the other, in engine order: each printed as soon as it ended.
        assert times[engine.name][1] <= times["local"][0]
        assert ended[engine.name] < first[0] < ended["local"]
    assert (tmp_path / "logs" / "local.log").read_text().count("local says ") == 40


def start_matrix(tmp_path: Path, tests: Path, *engines: str) -> tuple[subprocess.Popen[bytes], Path]:
    """The runner on ``tests`` in a session of its own (a Ctrl-C to it reaches nothing else
    here), its output going to a file. SIGINT as a terminal leaves it: a suite started in the
    background by a script (``cmd &``) ignores SIGINT, and its children would inherit that."""
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        runner = subprocess.Popen([sys.executable, "-m", "tests.engines.matrix", "--engines", ",".join(engines),
                                   "--jobs", "2", "--", str(tests)], cwd=REPO, stdout=sink,
                                  stderr=subprocess.STDOUT, env=matrix_env(tmp_path), start_new_session=True,
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return runner, out


def wait_for_ports(runner: subprocess.Popen[bytes], out: Path, *engines: str) -> dict[str, int]:
    """The port of each engine's server, once every one of ``engines`` is running its tests."""
    ports: dict[str, int] = {}
    deadline = time.monotonic() + 120
    while len(ports) < len(engines) and time.monotonic() < deadline and runner.poll() is None:
        for line in out.read_text().splitlines():
            for name in engines:
                if line.startswith(f"---- engine {name}: ") and " running;" in line:
                    ports[name] = int(line.split(" at 127.0.0.1:")[1].split()[0]) if name != "local" else 3306
        time.sleep(0.2)
    assert len(ports) == len(engines), out.read_text()
    return ports


def assert_stopped(port: int, name: str) -> None:
    try:
        mysql.connector.connect(host="127.0.0.1", port=port, user="root", connection_timeout=2,
                                use_pure=True).close()
        answered = True
    except mysql.connector.Error:
        answered = False
    assert not answered, f"{name}'s server still answers after the runner stopped"


SLEEPS = "import time\n\ndef test_sleeps():\n    time.sleep(300)\n"


def test_sigterm_stops_every_engine_server_and_the_tests(tmp_path: Path) -> None:
    engines = ["mysql-9.7", "mariadb-11.8"]
    for name in engines:
        build_root(ENGINES[name])
    tests = tmp_path / "test_slow.py"
    tests.write_text(SLEEPS)
    # Two lanes: the two chroot engines at once, local waiting for a lane it never gets.
    runner, out = start_matrix(tmp_path, tests, *engines, "local")
    try:
        ports = wait_for_ports(runner, out, *engines)
        runs = [p for name in engines for p in (ENGINES[name].root / RUNS).iterdir()
                if p.name.startswith(f"{runner.pid}-")]
        assert len(runs) == 2
        time.sleep(2)  # pytest is in its sleeping test
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(120) == 128 + signal.SIGTERM
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    lines = out.read_text().splitlines()
    assert lines[-1] == "0 passed, 3 failed"
    for name in (*engines, "local"):
        assert f"ENGINE FAILED {name}: interrupted by SIGTERM" in lines
    assert not any(line.startswith("============ engine local") for line in lines)  # it never began
    assert not [run for run in runs if run.exists()]
    for name, port in ports.items():
        assert_stopped(port, name)
    assert not [p for p in Path("/proc").glob("[0-9]*") if _names(p, tests)], "pytest outlived the runner"


def test_ctrl_c_lets_each_pytest_report_then_stops_the_servers(tmp_path: Path) -> None:
    engine = ENGINES["mariadb-11.8"]
    build_root(engine)
    tests = tmp_path / "test_slow.py"
    tests.write_text(SLEEPS)
    runner, out = start_matrix(tmp_path, tests, "local", engine.name)
    try:
        ports = wait_for_ports(runner, out, "local", engine.name)
        time.sleep(2)  # both pytests are in their sleeping test
        os.killpg(runner.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole group
        assert runner.wait(120) == 128 + signal.SIGINT
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    text = out.read_text()
    lines = text.splitlines()
    assert lines[-1] == "0 passed, 2 failed"
    for name in ("local", engine.name):
        assert f"ENGINE FAILED {name}: interrupted by Ctrl-C" in lines
    # Each pytest reported its interruption, and each report was printed.
    assert text.count("KeyboardInterrupt") >= 2, text
    assert not [p for p in (engine.root / RUNS).iterdir() if p.name.startswith(f"{runner.pid}-")]
    assert_stopped(ports[engine.name], engine.name)
    assert not [p for p in Path("/proc").glob("[0-9]*") if _names(p, tests)], "pytest outlived the runner"


def _names(proc: Path, path: Path) -> bool:
    """Whether process folder ``proc``'s command line names ``path``."""
    try:
        return str(path).encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False
