"""Render docs/reliability.md from the records the reliability tests wrote (var/reliability/).

    python -m tests.reliability.report [--records var/reliability] [--out docs/reliability.md]

``make reliability`` runs the tests and then this. Every figure in the table comes from a
record; nothing here measures or edits a number. Records of tests that no longer exist are
left out; a suite in :data:`recording.SUITES` with no record yet gets a row saying so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from tests.reliability.recording import RECORDS, ROOT, SUITES

OUT = ROOT / "docs" / "reliability.md"
# Rows in this order (by test file), anything else after them by name.
ORDER = ("test_grants", "tests/fuzz", "test_gateway_crash", "test_database_outage", "test_frozen_client",
         "test_long_transaction", "test_soak", "test_scaleout")
GUARANTEES = ("lost", "duplicated", "out of order", "unexpected")


def load(folder: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if _still_exists(record):
            records.append(record)
    return sorted(records, key=_rank)


def _still_exists(record: dict[str, Any]) -> bool:
    """Whether the record's test is still in the repository (a renamed test leaves a stale file)."""
    file, _, function = str(record["test"]).partition("::")
    path = ROOT / file
    if not path.exists():
        return False
    if function and path.is_file():
        name = function.split("[", 1)[0]
        return re.search(rf"\bdef {re.escape(name)}\b", path.read_text(encoding="utf-8")) is not None
    return True


def _rank(record: dict[str, Any]) -> tuple[int, str, str]:
    test = str(record["test"])
    for n, key in enumerate(ORDER):
        if key in test:
            return n, "0" if record.get("mode", "ci") == "ci" else "1", test
    return len(ORDER), "0", test


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # nan
            return "–"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outcome_cell(outcome: dict[str, Any]) -> str:
    parts = [f"**{name}: {fmt(value)}**" if name in GUARANTEES else f"{name}: {fmt(value)}"
             for name, value in outcome.items()]
    return cell("; ".join(parts))


def _title(record: dict[str, Any]) -> str:
    title = str(record["title"])
    if record.get("mode", "ci") != "ci":
        title += f" ({record['mode']} run)"
    return title


def _placeholders(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A row for each suite that has not recorded anything yet."""
    rows = []
    for suite in SUITES:
        recorded = any(str(r["test"]).startswith(suite.path) for r in records)
        if recorded:
            continue
        present = (ROOT / suite.path).exists()
        rows.append({
            "kind": "suite", "test": suite.path, "title": suite.title, "load": suite.load, "faults": suite.faults,
            "inputs": suite.inputs, "outcome": {},
            "status": "not run yet" if present else "not landed",
            "notes": ["Its tests are in the repository but have not recorded a run yet: run `make reliability`."
                      if present else suite.missing],
        })
    return rows


def render(records: list[dict[str, Any]]) -> str:
    rows = records + _placeholders(records)
    dates = sorted(str(r["recorded_at"]) for r in records if r.get("recorded_at"))
    commits = sorted({str(r["commit"]) for r in records if r.get("commit")})
    machines = sorted({f"{r['machine']['cores']} cores, {r['machine']['platform']}, Python {r['machine']['python']}"
                       for r in records if r.get("machine")})
    lines = [
        "# Reliability: faults, load and bad input, with measured outcomes",
        "",
        "Each row is a test that ran: the load it put on the system, the faults it injected, the inputs it",
        "tried, and what it measured. **Generated** by `make reliability`, which runs `tests/reliability/`,",
        "`tests/test_grants.py` and `tests/fuzz/`, then `python -m tests.reliability.report` renders this file",
        "from the JSON records the tests wrote to `var/reliability/` (the `reliability` fixture of",
        "`tests/reliability/recording.py`). Do not edit it by hand. The same tests run in `make test`; the",
        "soak's long variant with `SEGUIMIENTO_SOAK_SECONDS=600 .venv/bin/python -m pytest "
        "tests/reliability/test_soak.py`",
        "(then `python -m tests.reliability.report`) adds its own row.",
        "",
        f"- **Recorded:** {dates[0] if dates else '–'} to {dates[-1] if dates else '–'} "
        f"(UTC), commit {', '.join(commits) or '–'}",
        f"- **Machine:** {'; '.join(machines) or '–'}; MariaDB 10.11, loopback only. A shared, noisy machine: "
        "other engineers' suites ran at the same time (the load average at each test's start is in its details), "
        "so latencies and rates are what this machine gave then, not a benchmark.",
        "- **Guarantees** are in bold: every one must be 0, and the test fails otherwise.",
        "",
        "| # | test | load | faults | inputs tried | outcome | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, r in enumerate(rows, 1):
        outcome = outcome_cell(r.get("outcome") or {}) or cell(" ".join(r.get("notes") or []))
        lines.append(f"| {n} | {cell(_title(r))} | {cell(str(r['load']))} | {cell(str(r['faults']))} | "
                     f"{cell(str(r['inputs']))} | {outcome} | {r['status']} |")
    lines += ["", "## Details", ""]
    for n, r in enumerate(rows, 1):
        lines.append(f"### {n}. {_title(r)}")
        lines.append("")
        where = f"`{r['test']}`"
        if r.get("recorded_at"):
            load = r.get("machine", {}).get("load_average")
            where += (f": {r['status']} in {fmt(r.get('duration_s'))} s, recorded {r['recorded_at']}, commit "
                      f"{r.get('commit', '–')}" + (f", load average at start {load}" if load else ""))
        else:
            where += f": {r['status']}"
        lines += [where, ""]
        if r.get("outcome"):
            lines += ["| figure | value |", "|---|---|"]
            lines += [f"| {cell(name)} | {cell(fmt(value))} |" for name, value in r["outcome"].items()]
            lines.append("")
        for note in r.get("notes") or []:
            lines.append(f"- {note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=Path, default=RECORDS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    records = load(args.records)
    args.out.write_text(render(records), encoding="utf-8")
    failed = [r["test"] for r in records if r.get("status") not in ("passed",)]
    print(f"{args.out}: {len(records)} record(s) from {args.records}"
          + (f"; not passed: {', '.join(map(str, failed))}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
