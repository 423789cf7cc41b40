"""``make test``: the suite on every engine a user may bring.

1. ``local``: the whole suite, as plain ``pytest`` runs it, on the server ``tests/dbserver.py``
   finds (``SEGUIMIENTO_TEST_DSN``, else 127.0.0.1:3306: the machine's MariaDB 10.11);
2. ``mysql-9.7`` and ``mariadb-11.8``: every test but :data:`LOCAL_ONLY`, each on a fresh
   server of that engine (:mod:`tests.engines.servers`), its root built first if missing.

    python -m tests.engines.matrix [--engines mysql-9.7,...] [--jobs N] [-- PYTEST ARGS...]

``--engines`` (or ``SEGUIMIENTO_TEST_ENGINES``; ``make test ENGINES=...``) picks engines;
PYTEST ARGS, when given, replace each engine's test paths (``PYTEST_ADDOPTS`` adds options,
e.g. ``--durations=10``, and keeps them).

Engines run ``--jobs`` at a time (``SEGUIMIENTO_TEST_JOBS``; default :data:`DEFAULT_JOBS`, all
three), taken in the order given; ``--jobs 1`` runs them one after the other. Each engine's
output (its banner, then pytest's own report) goes to ``var/engines/<engine>.log`` while it
runs, and is printed whole, in engine order, once that engine and those before it have
ended, so no two engines' lines are ever mixed; a line starting ``----`` says when each engine
starts (with its server's port) and when it ends. Each engine has its own server, so the runs
share nothing but the machine's cores: on two cores the local run, the longest, sets the
pace (README, "make test").

An engine that cannot be built or started fails the run and says why; none is ever dropped
silently. Ctrl-C or SIGTERM stops every engine's tests and servers, prints what each had
written, and counts the engines that had not finished as failed. The closing line is the
total, ``N passed, M failed``, and the exit status is non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from tests.dbserver import CLIENT_ENV, DSN_ENV, ENGINE_ENV, server_version
from tests.engines.servers import ENGINES, ChrootServer, EngineError, build_root
from tests.engines.tally import TALLY_ENV

LOCAL = "local"
ALL = (LOCAL, *ENGINES)
ENGINES_ENV = "SEGUIMIENTO_TEST_ENGINES"
JOBS_ENV = "SEGUIMIENTO_TEST_JOBS"
# All three at once. On the 2-core machines the suite mostly computes (servers, gateways,
# Chromium), so this does not divide the time by three, but it fills the cores: the whole run
# measured 1,059 s with 3, 1,130 s with 2 (local beside mysql-9.7 then mariadb-11.8), against
# 1,334 s one after the other (README, "make test").
DEFAULT_JOBS = 3
REPO = Path(__file__).resolve().parents[2]
# Each engine's output, its pytest cache and each extra engine's server log are kept here
# (the server's own folder goes with it). The harness's own tests run the matrix inside a
# matrix run, so they give it a folder of their own.
LOGS_ENV = "SEGUIMIENTO_TEST_LOGS"
LOGS = Path(os.environ.get(LOGS_ENV) or REPO / "var" / "engines")
# After a Ctrl-C, pytest got the SIGINT too and is reporting: it gets this long to finish.
REPORT_SECONDS = 30.0

# The tests that run on the local server only; everything else (every SQL-level test and
# every gateway test, and any test added later) runs on every engine.
LOCAL_ONLY = (
    "tests/browser",  # the dashboard in Chromium: the same procedures the gateway tests call
    "tests/reliability",  # long; they start private servers from the machine's own mariadbd
    "tests/fuzz",  # long; its inputs reach the same procedures as tests/test_bad_input.py
    "tests/test_run.py",  # `seguimiento run` starts the machine's own mariadbd, whatever the engine
    "tests/engines",  # this harness's own tests: they start every engine themselves
    "tests/cluster",  # they start their own group (MySQL 9.7) and MariaDB pair (make cluster-test)
)


@dataclass
class Outcome:
    """One engine's row in the summary."""

    engine: str
    version: str = "-"
    passed: int = 0
    failed: int = 0  # failed and errored tests, as pytest counts them
    skipped: int = 0  # skipped, xfailed and deselected
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    problem: str = ""  # why the engine failed beyond its tests (not built, not started, pytest crashed)
    log: Path | None = None  # the server's error log, kept after its server is gone
    output: Path | None = None  # what the engine printed (its banner, pytest's report)
    ended: bool = False  # nothing more will run for it: its output may be printed
    interrupted: bool = False  # a Ctrl-C or SIGTERM cut its run short (or it never began)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problem

    @property
    def failed_count(self) -> int:
        """Failures for the total: an engine that failed without a failing test counts as one."""
        return self.failed or (1 if self.problem else 0)


class Stopped(Exception):
    """The runner got SIGTERM or SIGHUP: clean up (servers stopped), then exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop_on(signum: int, _frame: FrameType | None) -> None:
    # Once: a second signal must not interrupt the clean-up it started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    raise Stopped(signum)


def _shown(path: Path) -> str:
    """A path as the log shows it: relative to the checkout when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def banner(text: str, out: IO[str] | None = None) -> None:
    print(f"\n{'=' * 12} {text} {'=' * max(3, 78 - len(text))}", file=out or sys.stdout, flush=True)


class Matrix:
    """The engines of one run, ``jobs`` at a time, each in a thread of its own (a lane) that
    takes the next engine when its current one ends. The main thread only waits, so the
    signals (which Python delivers to it) reach :meth:`stop`."""

    def __init__(self, engines: list[str], outcomes: dict[str, Outcome], extra: list[str], jobs: int) -> None:
        self.order = engines
        self.outcomes = outcomes
        self.extra = extra
        self.jobs = jobs
        self.lock = threading.Lock()
        self.queue: deque[str] = deque()
        # Set by each lane when it returns. Waited on rather than Thread.join(): a signal that
        # interrupts join() can leave the thread marked stopped while it still runs (CPython
        # 3.11, bpo-45274's fix), and the run would end before the lane stopped its server.
        self.lanes: list[threading.Event] = []
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = ""  # why the run is being stopped, once it is
        self.hurry = threading.Event()  # a second Ctrl-C while stopping: no more grace
        self.shown = 0  # engines whose output has been printed, in order

    def run(self, names: list[str]) -> None:
        """Runs ``names``, in that order, ``jobs`` at a time; returns when all have ended (or
        raises the exception of a signal). The other engines of the run count as ended."""
        with self.lock:
            self.queue.extend(names)
            for name in self.order:
                self.outcomes[name].ended = name not in names
            self.lanes = [threading.Event() for _ in range(min(self.jobs, len(names)))]
        for n, done in enumerate(self.lanes):
            threading.Thread(target=self._lane, args=(done,), name=f"engine lane {n + 1}", daemon=True).start()
        self.show()
        self._wait_for_lanes()

    def _wait_for_lanes(self) -> None:
        for done in self.lanes:
            while not done.wait(0.5):
                pass

    def _lane(self, done: threading.Event) -> None:
        try:
            while self._next():
                pass
        finally:
            done.set()

    def _next(self) -> bool:
        """Runs the next engine of the queue; False when there is none (or the run is stopping)."""
        with self.lock:
            if self.stopping or not self.queue:
                return False
            name = self.queue.popleft()
        outcome = self.outcomes[name]
        LOGS.mkdir(parents=True, exist_ok=True)
        outcome.output = LOGS / f"{name}.log"
        with outcome.output.open("w", encoding="utf-8", errors="replace") as out:
            try:
                if name == LOCAL:
                    self._local(outcome, out)
                else:
                    self._engine(outcome, out)
            except Exception:  # the runner's own fault: say so, and go on with the others
                outcome.problem = "the runner failed (the traceback is in its output)"
                out.write(traceback.format_exc())
        with self.lock:
            outcome.interrupted = bool(self.stopping)
            outcome.ended = True
        self._say(f"engine {name}: ended after {outcome.seconds:.0f} s, "
                  f"{outcome.passed} passed, {outcome.failed} failed" + (f" ({outcome.problem})"
                                                                          if outcome.problem else ""))
        self.show()
        return True

    def _local(self, outcome: Outcome, out: IO[str]) -> None:
        version, where = server_version()
        outcome.version = version or "-"
        banner(f"engine {LOCAL}: {version or 'no server'} at {where}", out)
        self._say(f"engine {LOCAL}: {version or 'no server'} at {where}, running; its output: {_shown(Path(out.name))}")
        self._pytest(outcome, self.extra, dict(os.environ), out)

    def _engine(self, outcome: Outcome, out: IO[str]) -> None:
        """The tests on a fresh server of the outcome's engine; the server is gone when this returns."""
        name = outcome.engine
        server = ChrootServer(ENGINES[name])
        begun = time.monotonic()
        try:
            try:
                server.start()
            except EngineError as exc:
                outcome.problem = str(exc)
                banner(f"engine {name}: FAILED TO START", out)
                print(exc, file=out, flush=True)
                return
            outcome.version = server.version
            started = f"{server.version} at 127.0.0.1:{server.port} (started in {time.monotonic() - begun:.1f} s)"
            banner(f"engine {name}: {started}", out)
            self._say(f"engine {name}: {started}, running; its output: {_shown(Path(out.name))}")
            args = self.extra or ["tests", *(f"--ignore={path}" for path in LOCAL_ONLY)]
            # Its own pytest cache: `--lf` then means this engine's failures, and two engines
            # never write the same cache file at once.
            args = ["-o", f"cache_dir={LOGS / 'pytest-cache' / name}", *args]
            self._pytest(outcome, args, {**os.environ, DSN_ENV: server.url.secret_url(),
                                         CLIENT_ENV: f"chroot {server.engine.root} {server.engine.client}"}, out)
        finally:
            if server.keep_log(LOGS / f"{name}-server.log"):
                outcome.log = LOGS / f"{name}-server.log"
            server.stop()

    def _pytest(self, outcome: Outcome, args: list[str], env: dict[str, str], out: IO[str]) -> None:
        """Runs pytest with ``args``, its output to ``out``, and fills ``outcome`` with what pytest counted."""
        with tempfile.TemporaryDirectory(prefix="seguimiento-tally-") as folder:
            tally = Path(folder) / "tally.json"
            env = {**env, TALLY_ENV: str(tally), ENGINE_ENV: outcome.engine}
            out.flush()
            started = time.monotonic()
            with self.lock:
                if self.stopping:
                    return
                # Same process group as the runner: a Ctrl-C reaches pytest, which reports and ends.
                proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "tests.engines.tally", *args],
                                        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT)
                self.running[outcome.engine] = proc
            try:
                returncode = proc.wait()
            finally:
                outcome.seconds += time.monotonic() - started
                with self.lock:
                    del self.running[outcome.engine]
            if not tally.is_file():
                outcome.problem = f"pytest exited {returncode} before counting anything"
                return
            result = json.loads(tally.read_text())
        counts = result["counts"]
        # As pytest's exit status judges them: a strict XPASS is already "failed"; others pass.
        outcome.passed = counts.get("passed", 0) + counts.get("xpassed", 0)
        outcome.failed = counts.get("failed", 0) + counts.get("error", 0)
        outcome.skipped = sum(counts.get(key, 0) for key in ("skipped", "xfailed", "deselected"))
        outcome.failures = result["failures"]
        if returncode not in (0, 1) or (returncode == 1 and not outcome.failed):
            outcome.problem = f"pytest exited {returncode}"
        elif outcome.passed == 0 and not outcome.failed:
            outcome.problem = "no test ran"

    def _say(self, line: str) -> None:
        with self.lock:
            print(f"---- {line}", flush=True)

    def show(self) -> None:
        """Prints the output of each engine that has ended, in engine order, up to the first
        one that has not."""
        with self.lock:
            while self.shown < len(self.order) and self.outcomes[self.order[self.shown]].ended:
                output = self.outcomes[self.order[self.shown]].output
                if output is not None and output.is_file():
                    with output.open(encoding="utf-8", errors="replace") as text:
                        for line in text:
                            sys.stdout.write(line)
                    sys.stdout.flush()
                self.shown += 1

    def stop(self, why: str, ctrl_c: bool) -> None:
        """Stops the run: no engine starts any more; running pytests end (after a Ctrl-C, once
        they have reported, within REPORT_SECONDS); each lane then stops its server."""
        # From here on a Ctrl-C only cuts the grace short: the clean-up itself must run.
        signal.signal(signal.SIGINT, lambda _signum, _frame: self.hurry.set())
        with self.lock:
            self.stopping = why
            for name in self.queue:  # never began
                self.outcomes[name].interrupted = self.outcomes[name].ended = True
            self.queue.clear()
            procs = list(self.running.values())
        if ctrl_c:
            deadline = time.monotonic() + REPORT_SECONDS
            while any(p.poll() is None for p in procs) and time.monotonic() < deadline and not self.hurry.is_set():
                time.sleep(0.1)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(REPORT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._wait_for_lanes()


def summary(outcomes: list[Outcome], seconds: float) -> int:
    """Prints the table, the failures by engine and, last, the total line; returns the exit status."""
    banner("engine matrix")
    header = f"{'engine':<14} {'version':<30} {'passed':>7} {'failed':>7} {'skipped':>8} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for o in outcomes:
        print(f"{o.engine:<14} {o.version[:30]:<30} {o.passed:>7} {o.failed:>7} {o.skipped:>8} {o.seconds:>8.0f}"
              + ("" if o.ok else "  FAILED"))
    print(f"whole run: {seconds:.0f} s")
    for o in outcomes:
        if o.problem:
            first, *rest = o.problem.splitlines()
            print(f"ENGINE FAILED {o.engine}: {first}" + (" (the details are above)" if rest else ""))
        if o.log and not o.ok:
            print(f"server log of {o.engine}: {_shown(o.log)}")
        for failure in o.failures:
            print(f"FAILED on {o.engine} ({o.version}): {failure}")
    passed = sum(o.passed for o in outcomes)
    failed = sum(o.failed_count for o in outcomes)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of engines (1 or more)")
    return jobs


def parse(argv: list[str]) -> tuple[list[str], list[str], int]:
    parser = argparse.ArgumentParser(prog="python -m tests.engines.matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=os.environ.get(ENGINES_ENV) or ",".join(ALL),
                        help=f"comma- or space-separated, from: {', '.join(ALL)} (default: all; "
                             f"or {ENGINES_ENV})")
    parser.add_argument("--jobs", type=_jobs, default=os.environ.get(JOBS_ENV) or str(DEFAULT_JOBS),
                        help=f"how many engines run at once (default: {DEFAULT_JOBS}; or {JOBS_ENV}); "
                             "1 runs them one after the other")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER,
                        help="after --: pytest arguments that replace each engine's test paths")
    options = parser.parse_args(argv)
    engines = [e for e in options.engines.replace(",", " ").split() if e]
    unknown = [e for e in engines if e not in ALL]
    if unknown or not engines:
        parser.error(f"unknown engine(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(ALL)}")
    extra = options.pytest_args[1:] if options.pytest_args[:1] == ["--"] else options.pytest_args
    return list(dict.fromkeys(engines)), extra, options.jobs


def main(argv: list[str] | None = None) -> int:
    engines, extra, jobs = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on)
    signal.signal(signal.SIGHUP, _stop_on)
    begun = time.monotonic()
    outcomes = {name: Outcome(name) for name in engines}
    matrix = Matrix(engines, outcomes, extra, jobs)
    try:
        # The roots first: a missing mirror shows in the first seconds, not after the long run.
        for name in engines:
            if name != LOCAL and not ENGINES[name].built:
                print(f"building the {name} root ({ENGINES[name].root})...", flush=True)
                try:
                    started_at = time.monotonic()
                    build_root(ENGINES[name])
                    print(f"built the {name} root in {time.monotonic() - started_at:.0f} s", flush=True)
                except EngineError as exc:
                    outcomes[name].problem = str(exc)
                    print(f"ENGINE FAILED {name}: {exc}", file=sys.stderr, flush=True)
        runnable = [name for name in engines if not outcomes[name].problem]
        print(f"engines: {', '.join(runnable) or 'none'}, {min(jobs, len(runnable) or 1)} at a time",
              flush=True)
        matrix.run(runnable)
    except (KeyboardInterrupt, Stopped) as exc:
        why = f"interrupted by {exc if isinstance(exc, Stopped) else 'Ctrl-C'}"
        matrix.stop(why, ctrl_c=isinstance(exc, KeyboardInterrupt))
        # The engines that were running, and those that never began, did not pass.
        for o in outcomes.values():
            if o.interrupted or not (o.ended or o.problem):
                o.problem, o.ended = why, True
        matrix.show()
        summary(list(outcomes.values()), time.monotonic() - begun)
        return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
    return summary(list(outcomes.values()), time.monotonic() - begun)


if __name__ == "__main__":
    sys.exit(main())
