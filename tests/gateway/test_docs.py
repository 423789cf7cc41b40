"""docs/api.md's error table says what the code does: every catalogued code with its
status, and every code the gateway itself answers."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.db.errors import CATALOGUE
from gateway.web import http_errors

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (\d{3}) \| `([a-z_]+)` \| (\d{5}|gateway) \|", re.MULTILINE)
GATEWAY_SOURCES = [Path(http_errors.__file__), *Path(http_errors.__file__).parent.glob("*.py")]


def test_error_table_matches_the_catalogue_and_the_gateway() -> None:
    rows = {code: (int(status), source) for status, code, source in ROW.findall(DOC.read_text())}
    for entry in CATALOGUE.values():
        assert rows.get(entry.slug) == (entry.http_status, str(int(entry.code))), entry.slug
    documented_gateway = {code: status for code, (status, source) in rows.items() if source == "gateway"}
    source = "\n".join(p.read_text() for p in GATEWAY_SOURCES)
    # Every code the gateway answers by name is in the table, with its status.
    answered = set(re.findall(r'HttpError\((\d{3}), "([a-z_]+)"', source))
    answered |= set(re.findall(r'ApiError\((\d{3}), "([a-z_]+)"', source))
    answered |= {(str(s), c) for s, c in http_errors._HTTP_EXCEPTION_CODES.items()}
    answered |= {("401", "unauthorized"), ("403", "forbidden"), ("422", "validation_error")}
    for status, code in answered:
        assert documented_gateway.get(code) == int(status), code
    assert set(documented_gateway) <= {c for _s, c in answered}
