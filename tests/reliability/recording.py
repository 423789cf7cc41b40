"""The reliability table's raw data: what each reliability test tried and what it measured.

Every test under ``tests/reliability/`` takes the ``reliability`` fixture and fills in its
load, faults, inputs and outcome figures; when the test ends, the record is written as JSON
to ``var/reliability/<test>.json`` with the test's result (passed/failed), its duration and
the machine it ran on. ``python -m tests.reliability.report`` renders ``docs/reliability.md``
from those files (``make reliability`` runs the tests, then the report).

Other suites record too:

- any test may take the fixture (import it into its folder's ``conftest.py``::

      from tests.reliability.recording import reliability  # noqa: F401

  e.g. the fuzz tests, to report how many inputs they tried and how many were refused);
- whole suites listed in :data:`SUITES` (the grants tests, the fuzz run) get one row each
  from their pass/fail counts, written at the end of any run that ran the whole suite
  (a run filtered with ``-k`` or a node id writes nothing for it).

The plugin that collects results (:class:`Plugin`) is registered by
``tests/reliability/conftest.py`` and by the fixture itself, whichever comes first.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "var" / "reliability"
PLUGIN_NAME = "seguimiento-reliability"
SUITE_PREFIX = "suite-"

Figure = int | float | str | None


@dataclass(frozen=True)
class Suite:
    """A test suite that gets one row in the table from its pass/fail counts."""

    key: str
    path: str  # node id prefix, relative to the repository root
    title: str
    load: str
    faults: str
    inputs: str
    missing: str  # what the row says when the suite is not in the repository


SUITES = (
    Suite(
        key="grants",
        path="tests/test_grants.py",
        title="Least-privilege database accounts (issue 6, item 1)",
        load="one throwaway database, the three accounts created by `seguimiento grants`",
        faults="a procedure dropped and re-installed by `seguimiento migrate` (grants must survive)",
        inputs="app account: SELECT/UPDATE/DELETE `clientes`, SELECT `api_tokens`/`outbox`, INSERT `asesores`, "
               "CALL the sweep/purge/revoke; reporting account: SELECT tables, UPDATE history, CALL a procedure; "
               "owner account: log in",
        missing="tests/test_grants.py is not in the repository",
    ),
    Suite(
        key="fuzz",
        path="tests/fuzz/",
        title="OpenAPI + property-based fuzz of every route and the WebSocket (issue 6, item 2)",
        load="generated requests against a running gateway",
        faults="malformed, oversized and wrongly typed bodies; garbage, huge and binary WebSocket frames",
        inputs="every route of /openapi.json",
        missing="not landed yet: tests/fuzz/ does not exist. Its tests fill this row once they land "
                "(the suite's pass/fail counts, plus any figures they record with the `reliability` fixture)",
    ),
)


def _suite_of(nodeid: str) -> Suite | None:
    for suite in SUITES:
        if nodeid == suite.path or nodeid.startswith(suite.path + ("" if suite.path.endswith("/") else "::")):
            return suite
    return None


def _covers(config: pytest.Config, arg: str, suite: Suite) -> bool:
    if "::" in arg:
        return False
    named = (Path(config.invocation_params.dir) / arg).resolve()
    target = (ROOT / suite.path).resolve()
    return named == target or named in target.parents


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:150]


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' (with uncommitted changes)' if dirty else ''}" if head else "unknown"


def machine() -> dict[str, Any]:
    """Where the figures come from: cores, load, OS, Python."""
    return {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass
class Record:
    """One row of the reliability table. Tests fill in the descriptions and the figures.

    ``outcome`` keeps insertion order: put the guarantees first (``lost``, ``duplicated``,
    ``out of order``), then the measurements (with their unit in the key: ``recovery s``).
    ``notes`` are sentences shown under the table.
    """

    test: str
    title: str
    load: str = ""
    faults: str = ""
    inputs: str = ""
    outcome: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mode: str = "ci"

    def figure(self, name: str, value: Figure) -> None:
        self.outcome[name] = round(value, 4) if isinstance(value, float) else value

    def figures(self, **values: Figure) -> None:
        for name, value in values.items():
            self.figure(name.replace("_", " "), value)

    def write(self, status: str, duration_s: float, machine_at_start: dict[str, Any]) -> Path:
        # A long run (the soak's, say) is its own row beside the CI run's.
        path = RECORDS / f"{slug(self.test)}{'' if self.mode == 'ci' else '-' + self.mode}.json"
        _write(path, {
            **asdict(self),
            "kind": "test",
            "status": status,
            "duration_s": round(duration_s, 1),
            "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": _commit(),
            "machine": machine_at_start,
        })
        return path


class Plugin:
    """Results of every test of the run: for the fixture's status and the suites' rows."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}  # nodeid -> passed / failed / skipped / error
        self.suite_tests: dict[str, dict[str, str]] = {s.key: {} for s in SUITES}
        self.suite_seconds: dict[str, float] = {s.key: 0.0 for s in SUITES}
        self.partial: set[str] = set()  # suites with deselected tests: not recorded
        self.started = time.monotonic()
        self.machine_at_start = machine()

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            suite = _suite_of(item.nodeid)
            if suite is not None:
                self.partial.add(suite.key)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        # A suite counts only when the command line named all of it (itself or a folder above
        # it), not one of its files or node ids.
        for suite in SUITES:
            if not any(_covers(config, arg, suite) for arg in config.args):
                self.partial.add(suite.key)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        suite = _suite_of(report.nodeid)
        if suite is not None:  # setup (module fixtures) and teardown count towards its time too
            self.suite_seconds[suite.key] += report.duration
        outcome: str = report.outcome
        if hasattr(report, "wasxfail"):  # a known gap, marked xfail: say so, not "skipped"
            outcome = "xfailed (known gap)" if report.skipped else "xpassed"
        if report.when != "call" and outcome == "failed":
            outcome = "error"
        elif report.when != "call" and outcome == "passed":
            return
        previous = self.outcomes.get(report.nodeid)
        if previous in ("failed", "error"):
            return  # a teardown error after a failure: keep the first word
        self.outcomes[report.nodeid] = outcome
        if suite is not None:
            self.suite_tests[suite.key][report.nodeid] = outcome

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for suite in SUITES:
            tests = self.suite_tests[suite.key]
            if not tests or suite.key in self.partial:
                continue
            counts = {word: sum(1 for o in tests.values() if o == word) for word in ("passed", "failed", "error",
                                                                                      "skipped")}
            outcome: dict[str, Figure] = {"tests": len(tests), **{k: v for k, v in counts.items() if v or k in (
                "passed", "failed")}}
            _write(RECORDS / f"{SUITE_PREFIX}{suite.key}.json", {
                "kind": "suite",
                "test": suite.path,
                "title": suite.title,
                "load": suite.load,
                "faults": suite.faults,
                "inputs": suite.inputs,
                "outcome": outcome,
                "notes": _suite_notes(tests),
                "mode": "ci",
                "status": "passed" if counts["passed"] == len(tests) else "failed",
                "duration_s": round(self.suite_seconds[suite.key], 1),
                "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "commit": _commit(),
                "machine": self.machine_at_start,
            })


def _suite_notes(tests: dict[str, str], listed: int = 20) -> list[str]:
    """Each test and its result; for a big suite, only those that did not pass."""
    items = sorted(tests.items())
    if len(items) > listed:
        items = [(name, word) for name, word in items if word != "passed"]
    return [f"`{name.split('::', 1)[-1]}`: {word}" for name, word in items]


def ensure_plugin(config: pytest.Config) -> Plugin:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = Plugin()
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    assert isinstance(plugin, Plugin)
    return plugin


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Iterator[Record]:
    """This test's row of the reliability table, written to var/reliability/ when it ends."""
    plugin = ensure_plugin(request.config)
    doc = (getattr(request.function, "__doc__", None) or "").strip().splitlines()
    record = Record(test=request.node.nodeid, title=doc[0].rstrip(".") if doc else request.node.name)
    at_start = machine()
    started = time.monotonic()
    yield record
    status = plugin.outcomes.get(request.node.nodeid, "unknown")
    record.write(status, time.monotonic() - started, at_start)
