"""The error catalogue and the SQL agree: every code signalled is named, every name is used."""

from __future__ import annotations

import re

from gateway.db.errors import CATALOGUE, ErrorCode
from gateway.db.sqlfiles import SQL_DIR

SIGNALLED = re.compile(r"MYSQL_ERRNO\s*=\s*(\d+)", re.IGNORECASE)


def signalled_codes() -> dict[int, list[str]]:
    """Every MYSQL_ERRNO literal under sql/, with the files that signal it."""
    found: dict[int, list[str]] = {}
    for path in sorted(SQL_DIR.rglob("*.sql")):
        for match in SIGNALLED.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(int(match.group(1)), []).append(path.name)
    return found


def test_the_sql_signals_something() -> None:
    assert signalled_codes(), "no MYSQL_ERRNO found under sql/: did the files move?"


def test_every_signalled_code_is_in_the_catalogue() -> None:
    unknown = {code: files for code, files in signalled_codes().items() if code not in set(ErrorCode)}
    assert not unknown, f"codes signalled by the SQL but missing from gateway/db/errors.py: {unknown}"


def test_every_catalogued_code_is_signalled() -> None:
    unused = set(ErrorCode) - set(signalled_codes())
    assert not unused, f"codes in gateway/db/errors.py that no procedure signals: {sorted(unused)}"


def test_every_code_has_one_catalogue_entry() -> None:
    assert set(CATALOGUE) == set(ErrorCode)
    for code, entry in CATALOGUE.items():
        assert entry.code is code
        assert entry.meaning and entry.slug == code.name.lower()
        assert 400 <= entry.http_status < 500
    slugs = [entry.slug for entry in CATALOGUE.values()]
    assert len(slugs) == len(set(slugs))


def test_codes_are_in_the_user_range() -> None:
    # SIGNAL accepts 1-65535; server errors live below 5000 (MySQL) and near 4000 (MariaDB),
    # so our own codes stay in a block of their own.
    assert all(45000 < code < 46000 for code in ErrorCode)
