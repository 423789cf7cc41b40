"""``make test``: the suite on every engine a user may bring.

1. ``local``: the whole suite, as plain ``pytest`` runs it, on the server ``tests/dbserver.py``
   finds (``SEGUIMIENTO_TEST_DSN``, else 127.0.0.1:3306: the machine's MariaDB 10.11);
2. ``mysql-9.7`` and ``mariadb-11.8``: every test but :data:`LOCAL_ONLY`, each on a fresh
   server of that engine (:mod:`tests.engines.servers`), its root built first if missing.

    python -m tests.engines.matrix [--engines mysql-9.7,...] [-- PYTEST ARGS...]

``--engines`` (or ``SEGUIMIENTO_TEST_ENGINES``; ``make test ENGINES=...``) picks engines;
PYTEST ARGS, when given, replace each engine's test paths (``PYTEST_ADDOPTS`` adds options,
e.g. ``--durations=10``, and keeps them). An engine that cannot be built
or started fails the run and says why; none is ever dropped silently. The closing line is
the total, ``N passed, M failed``, and the exit status is non-zero when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from tests.dbserver import CLIENT_ENV, DSN_ENV, ENGINE_ENV, server_version
from tests.engines.servers import ENGINES, ChrootServer, EngineError, build_root
from tests.engines.tally import TALLY_ENV

LOCAL = "local"
ALL = (LOCAL, *ENGINES)
ENGINES_ENV = "SEGUIMIENTO_TEST_ENGINES"
REPO = Path(__file__).resolve().parents[2]
# Each extra engine's server log is kept here (the server's own folder goes with it).
LOGS = REPO / "var" / "engines"

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


def banner(text: str) -> None:
    print(f"\n{'=' * 12} {text} {'=' * max(3, 78 - len(text))}", flush=True)


def run_pytest(outcome: Outcome, args: list[str], env: dict[str, str]) -> None:
    """Runs pytest with ``args`` and fills ``outcome`` with what pytest counted."""
    with tempfile.TemporaryDirectory(prefix="seguimiento-tally-") as folder:
        tally = Path(folder) / "tally.json"
        env = {**env, TALLY_ENV: str(tally), ENGINE_ENV: outcome.engine}
        started = time.monotonic()
        # Same process group as the runner: a Ctrl-C reaches pytest, which reports and ends.
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "tests.engines.tally", *args],
                                cwd=REPO, env=env)
        try:
            returncode = proc.wait()
        except BaseException as exc:
            _end(proc, ctrl_c=isinstance(exc, KeyboardInterrupt))
            raise
        finally:
            outcome.seconds += time.monotonic() - started
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


def _end(proc: subprocess.Popen[bytes], ctrl_c: bool) -> None:
    """Ends pytest when the runner is interrupted. After a Ctrl-C, pytest got the SIGINT too and
    is reporting: it gets a bound to finish. Otherwise (SIGTERM, SIGHUP) it is terminated now."""
    if ctrl_c:
        try:
            proc.wait(30)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_local(outcome: Outcome, args: list[str]) -> None:
    version, where = server_version()
    outcome.version = version or "-"
    banner(f"engine {LOCAL}: {version or 'no server'} at {where}")
    run_pytest(outcome, args, dict(os.environ))


def run_engine(outcome: Outcome, args: list[str]) -> None:
    """The tests on a fresh server of the outcome's engine; the server is gone when this returns."""
    name = outcome.engine
    server = ChrootServer(ENGINES[name])
    begun = time.monotonic()
    try:
        try:
            server.start()
        except EngineError as exc:
            outcome.problem = str(exc)
            banner(f"engine {name}: FAILED TO START")
            print(exc, file=sys.stderr, flush=True)
            return
        outcome.version = server.version
        banner(f"engine {name}: {server.version} at 127.0.0.1:{server.port} "
               f"(started in {time.monotonic() - begun:.1f} s)")
        run_pytest(outcome, args, {**os.environ, DSN_ENV: server.url.secret_url(),
                                   CLIENT_ENV: f"chroot {server.engine.root} {server.engine.client}"})
    finally:
        if server.keep_log(LOGS / f"{name}-server.log"):
            outcome.log = LOGS / f"{name}-server.log"
        server.stop()


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
            print(f"server log of {o.engine}: {o.log.relative_to(REPO)}")
        for failure in o.failures:
            print(f"FAILED on {o.engine} ({o.version}): {failure}")
    passed = sum(o.passed for o in outcomes)
    failed = sum(o.failed_count for o in outcomes)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


def parse(argv: list[str]) -> tuple[list[str], list[str]]:
    parser = argparse.ArgumentParser(prog="python -m tests.engines.matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=os.environ.get(ENGINES_ENV) or ",".join(ALL),
                        help=f"comma- or space-separated, from: {', '.join(ALL)} (default: all; "
                             f"or {ENGINES_ENV})")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER,
                        help="after --: pytest arguments that replace each engine's test paths")
    options = parser.parse_args(argv)
    engines = [e for e in options.engines.replace(",", " ").split() if e]
    unknown = [e for e in engines if e not in ALL]
    if unknown or not engines:
        parser.error(f"unknown engine(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(ALL)}")
    extra = options.pytest_args[1:] if options.pytest_args[:1] == ["--"] else options.pytest_args
    return list(dict.fromkeys(engines)), extra


def main(argv: list[str] | None = None) -> int:
    engines, extra = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on)
    signal.signal(signal.SIGHUP, _stop_on)
    begun = time.monotonic()
    outcomes = {name: Outcome(name) for name in engines}
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
        for name in engines:
            if outcomes[name].problem:
                continue
            if name == LOCAL:
                run_local(outcomes[name], extra)
            else:
                run_engine(outcomes[name], extra or ["tests", *(f"--ignore={path}" for path in LOCAL_ONLY)])
    except (KeyboardInterrupt, Stopped) as exc:
        # The engine that was running, and those that never ran, did not pass.
        for o in outcomes.values():
            if o.ok and not o.passed:
                o.problem = f"interrupted by {exc if isinstance(exc, Stopped) else 'Ctrl-C'}"
        summary(list(outcomes.values()), time.monotonic() - begun)
        return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
    return summary(list(outcomes.values()), time.monotonic() - begun)


if __name__ == "__main__":
    sys.exit(main())
