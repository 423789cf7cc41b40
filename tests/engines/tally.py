"""A pytest plugin for the engine matrix (``-p tests.engines.tally``): at the end of a session it
writes, as JSON to ``$SEGUIMIENTO_TEST_TALLY``, the counts that pytest's own closing line shows
and the ids of the tests that failed or errored, so the matrix's summary counts exactly what
pytest counted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

TALLY_ENV = "SEGUIMIENTO_TEST_TALLY"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get(TALLY_ENV)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not path or reporter is None:
        return
    # The same reports pytest's "N passed, M failed" line counts (count_towards_summary).
    counts = {key: sum(1 for r in reports if getattr(r, "count_towards_summary", True))
              for key, reports in reporter.stats.items() if key and key != "warnings"}
    failures = [f"{r.nodeid or '(collection)'}" + ("" if key == "failed" else f" (error in {r.when})")
                for key in ("failed", "error") for r in reporter.stats.get(key, [])]
    Path(path).write_text(json.dumps({"counts": counts, "failures": failures, "exitstatus": int(exitstatus)}))
