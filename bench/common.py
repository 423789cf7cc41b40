"""What every benchmark shares: the server, throwaway databases, statistics, and reports.

Each benchmark module has ``run(mode, out) -> Report``; ``mode`` is ``smoke`` (seconds: the
CI smoke test, harness correctness only), ``short`` (a minute or two for everything) or
``full``. A report prints as tables and is written as Markdown + JSON (+ PNG plots when
matplotlib is installed) under ``out`` (``docs/bench/`` by default).

Figures are medians over repeated runs, and comparisons are ratios against a baseline
measured in the same run: the machines are 2-core, shared and noisy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mysql.connector

import toolkit.db
from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import migrate
from gateway.db.sqlfiles import load_objects

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "bench"
MODES = ("smoke", "short", "full")
DSN_ENV = "SEGUIMIENTO_BENCH_DSN"


# --- the server and throwaway databases -------------------------------------------------

def server_url() -> DatabaseUrl:
    """The server benchmarks run on: $SEGUIMIENTO_BENCH_DSN or the local 127.0.0.1:3306 root."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        return DatabaseUrl.parse(dsn)
    return DatabaseUrl(user="root", password="", host="127.0.0.1", port=3306, database="mysql")


def connect(url: DatabaseUrl, **extra: Any) -> Any:
    """``toolkit.db.connect`` with the connector's C extension where it loads (the tests use
    pure Python): the benchmarks measure the faster path, and ``connector_path()`` reports
    which one ran."""
    return toolkit.db.connect(url, use_pure=None, **extra)


@contextmanager
def private_server(name: str, *options: str) -> Iterator[DatabaseUrl]:
    """A private MariaDB/MySQL server (gateway/db/embedded.py) for a benchmark that needs
    server settings of its own, in a temporary folder removed afterwards."""
    import shutil
    import tempfile

    from gateway.db.embedded import EmbeddedServer

    folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    server = EmbeddedServer(folder, database="mysql", options=options)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def connector_path() -> dict[str, Any]:
    """Which mysql-connector-python ran: its C extension or pure Python, and why."""
    info: dict[str, Any] = {"package": "mysql-connector-python", "version": mysql.connector.__version__,
                            "c_extension": bool(mysql.connector.HAVE_CEXT)}
    if mysql.connector.HAVE_CEXT:
        info["path"] = "C extension"
    else:
        try:
            import _mysql_connector  # noqa: F401
            reason = "not used"
        except Exception as exc:  # the reason is what we report
            reason = str(exc).split(": ", 1)[-1]
        info["path"] = "pure Python"
        info["why"] = f"C extension failed to load: {reason}"
    return info


def drop_database(url: DatabaseUrl) -> None:
    conn = connect(url.with_database("mysql"))
    try:
        cur = conn.cursor()
        # Never hang on a connection a failed benchmark left open: fail loudly instead.
        cur.execute("SET SESSION lock_wait_timeout = 60")
        cur.execute(f"DROP DATABASE IF EXISTS `{url.database}`")
    finally:
        conn.close()


THROWAWAY_NAME = re.compile(r"^bench_[a-z_]+_(\d+)_[0-9a-f]{6}$")


def drop_orphans(base: DatabaseUrl) -> None:
    """Drop throwaway databases left by benchmark processes of this machine that died
    without cleaning up (killed runs): their name carries the pid, which no longer exists."""
    if base.host not in ("127.0.0.1", "localhost", "::1"):
        return
    conn = connect(base.with_database("mysql"))
    try:
        for (name,) in execute(conn, "SHOW DATABASES LIKE 'bench\\_%'"):
            match = THROWAWAY_NAME.match(str(name))
            if match and not Path(f"/proc/{match.group(1)}").exists():
                execute(conn, f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@contextmanager
def throwaway_database(prefix: str, base: DatabaseUrl | None = None) -> Iterator[DatabaseUrl]:
    """A freshly migrated database, dropped afterwards. Its events (all of sql/events) are
    disabled so the scheduler's sweep or distribution cannot fire in the middle of a measurement."""
    base = base or server_url()
    drop_orphans(base)
    url = base.with_database(f"bench_{prefix}_{os.getpid()}_{secrets.token_hex(3)}")
    try:
        migrate(url)
        conn = connect(url)
        try:
            cur = conn.cursor()
            for obj in load_objects():
                if obj.kind == "EVENT":
                    cur.execute(f"ALTER EVENT {obj.name} DISABLE")
        finally:
            conn.close()
        yield url
    finally:
        drop_database(url)


def execute(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    try:
        cur.execute(sql, tuple(params))
        return cur.fetchall() if cur.with_rows else []
    finally:
        cur.close()


# --- statistics ---------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks."""
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return float(data[lo] + (data[hi] - data[lo]) * (k - lo))


def rate_summary(latencies: list[float], elapsed: float) -> dict[str, Any]:
    """Operations, seconds, rate and p50/p99 (ms) of one run's per-operation latencies (s)."""
    return {"ops": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed if elapsed else float("nan"),
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def wait_for_purge(conn: Any, limit: int = 2000, seconds: float = 20) -> int:
    """Wait (bounded) until InnoDB's history list is short; its length when done. A repeat that
    undoes the last one's writes leaves purge work behind; waiting here keeps the next measured
    run from paying for it (or from racing the purge threads for the 2 cores)."""
    deadline = time.monotonic() + seconds
    while True:
        ((_, _, status),) = execute(conn, "SHOW ENGINE INNODB STATUS")
        match = re.search(r"History list length (\d+)", str(status))
        length = int(match.group(1)) if match else 0
        if length <= limit or time.monotonic() > deadline:
            return length
        time.sleep(0.2)


def ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# --- the machine and the run --------------------------------------------------------------

def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return float("nan")


def current_commit() -> str:
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return _git("rev-parse", "--short=12", "HEAD") + (" (with uncommitted changes)" if dirty else "")


def engine_version(url: DatabaseUrl | None = None) -> str:
    conn = connect((url or server_url()).with_database("mysql"))
    try:
        ((version,),) = execute(conn, "SELECT VERSION()")
        return str(version)
    finally:
        conn.close()


def run_metadata(mode: str, url: DatabaseUrl | None = None) -> dict[str, Any]:
    """The machine, date, connector path, engine version, commit and the exact command."""
    command = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, "-m", "bench", *sys.argv[1:]])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": mode,
        "command": command,
        # How the command was started (e.g. `make bench`), when the caller says so.
        "started_by": os.environ.get("BENCH_COMMAND", ""),
        "commit": current_commit(),
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "memory_gib": _memory_gib(),
            "os": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "engine": engine_version(url),
        "connector": connector_path(),
    }


# --- reports ------------------------------------------------------------------------------

@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Report:
    """One benchmark's results: tables for people, ``data`` for machines, plots for both."""

    name: str
    title: str
    mode: str
    meta: dict[str, Any]
    summary: str = ""
    tables: list[Table] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def table(self, title: str, headers: list[str], rows: list[list[Any]], note: str = "") -> None:
        self.tables.append(Table(title, headers, rows, note))

    def target(self, name: str, goal: str, measured: str, met: bool | None, note: str = "") -> None:
        """A target of the issue: met (True/False), or None when this run could not measure it."""
        self.targets.append({"target": name, "goal": goal, "measured": measured, "met": met, "note": note})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A report back from its JSON (to render its Markdown again)."""
        report = cls(data["benchmark"], data["title"], data["meta"]["mode"], data["meta"], data["summary"],
                     targets=data["targets"], notes=data["notes"], plots=data["plots"], data=data["data"])
        report.tables = [Table(t["title"], t["headers"], t["rows"], t["note"]) for t in data["tables"]]
        return report

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "title": self.title,
            "meta": self.meta,
            "summary": self.summary,
            "targets": self.targets,
            "tables": [{"title": t.title, "headers": t.headers, "rows": t.rows, "note": t.note} for t in self.tables],
            "notes": self.notes,
            "plots": self.plots,
            "data": self.data,
        }

    def to_markdown(self) -> str:
        m = self.meta
        conn = m["connector"]
        started = f", started by: {m['started_by']}" if m.get("started_by") else ""
        commit = f"`{m['commit']}`"
        if m.get("commit_at_end") and m["commit_at_end"] != m["commit"]:
            commit += f" (at the end: `{m['commit_at_end']}`)"
        load_end = f", at the end {m['load_average_at_end']}" if m.get("load_average_at_end") else ""
        lines = [
            f"# {self.title}", "",
            f"- **Command:** `{m['command']}` (mode `{self.mode}`{started})",
            f"- **Date:** {m['date']}; **commit:** {commit}",
            f"- **Machine:** {m['machine']['cores']} cores ({m['machine']['cpu']}), "
            f"{m['machine']['memory_gib']} GiB, {m['machine']['os']}, Python {m['machine']['python']}; "
            f"load average at start {m['machine']['load_average_at_start']}{load_end} (shared, noisy machine)",
            f"- **Engine:** {m['engine']}",
            f"- **Connector:** {conn['package']} {conn['version']}, **{conn['path']}**"
            + (f" ({conn['why']})" if conn.get("why") else ""),
            "",
        ]
        if self.summary:
            lines += [self.summary, ""]
        if self.targets:
            lines += ["## Targets", "", "| target | goal | measured | met |", "|---|---|---|---|"]
            for t in self.targets:
                met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
                lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {met} |")
            lines.append("")
            for t in self.targets:
                if t["note"]:
                    lines.append(f"- *{t['target']}*: {t['note']}")
            lines.append("")
        for table in self.tables:
            lines += [f"## {table.title}", "", markdown_table(table.headers, table.rows), ""]
            if table.note:
                lines += [table.note, ""]
        for plot in self.plots:
            lines += [f"![{plot}]({plot})", ""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def print(self) -> None:
        print(f"\n=== {self.title} ({self.mode}) ===")
        for table in self.tables:
            print(f"\n{table.title}")
            print(text_table(table.headers, table.rows))
        for t in self.targets:
            met = {True: "MET", False: "MISSED", None: "n/a"}[t["met"]]
            print(f"  [{met}] {t['target']}: {t['measured']} (goal {t['goal']})")

    def write(self, out: Path) -> Path:
        self.meta.setdefault("commit_at_end", current_commit())
        self.meta.setdefault("load_average_at_end", [round(x, 2) for x in os.getloadavg()])
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.name}.json").write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")
        path = out / f"{self.name}.md"
        path.write_text(self.to_markdown())
        return path


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(out)


def text_table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or None when matplotlib is not installed
    (``make bench`` installs it; the CI smoke test may run without)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save_plot(report: Report, fig: Any, out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    report.plots.append(name)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
