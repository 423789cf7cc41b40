"""Fixtures of the reliability tests: the recording of each test's row of the reliability
table (see recording.py), and the gateway tests' people (two asesores and their tokens)."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import people  # noqa: F401  (the fixture, shared with the gateway tests)
from tests.gateway.harness import app_account  # noqa: F401  (the gateway's login)
from tests.reliability.recording import ensure_plugin, reliability  # noqa: F401  (the fixture)


def pytest_configure(config: pytest.Config) -> None:
    # Registered for the whole run, so the grants and fuzz suites get their rows too.
    ensure_plugin(config)
