"""Where a pull waits: benchmark 6's pull fixture, then one asesor alone and P at once back
to back, while a sampler reads the server's process list every few milliseconds and counts
each pulling session's state and statement (a session in ``Sleep`` is the server waiting
for its client). Also the handler reads per pull, and the server's CPU per pull (from
/proc: only meaningful on a private server, which is the default).

    python -m bench.pull_waits [--shared] [--pullers 32] [SERVER OPTION ...]

SERVER OPTIONs go to the private server, e.g. ``--innodb-flush-log-at-trx-commit=2``.
A diagnostic, not a benchmark of record: it prints, it writes no report.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import routing
from bench.common import connect, execute, log, private_server, throwaway_database, wait_for_purge
from gateway.db.dburl import DatabaseUrl
from toolkit.db import call
from toolkit.resources import cpu_seconds


def sample(url: DatabaseUrl, stop: threading.Event, states: collections.Counter[str]) -> None:
    """Count the state and statement of every other session of ``url``'s database until stopped."""
    conn = connect(url)
    me = conn.connection_id
    try:
        while not stop.is_set():
            for row in execute(conn, "SHOW FULL PROCESSLIST"):
                if row[3] != url.database or row[0] == me:
                    continue
                command, state, info = row[4], row[6], " ".join(str(row[7] or "").split())[:70]
                states["(Sleep: the client's turn)" if command == "Sleep" else f"{state} | {info}"] += 1
            time.sleep(0.003)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", action="store_true", help="the benchmarks' server instead of a private one")
    parser.add_argument("--pullers", type=int, default=32)
    parser.add_argument("--pulls", type=int, default=30)
    args, options = parser.parse_known_args()
    cfg = {"rows": 200_000, "waiting": 20_000, "asesores": 0, "pullers": args.pullers, "pulls": args.pulls}

    @contextlib.contextmanager
    def base() -> Iterator[DatabaseUrl | None]:
        if args.shared:
            yield None
        else:
            with private_server("pullwaits", "--max-connections=200", *options) as url:
                yield url

    with base() as server, throwaway_database("pullwaits", server) as url:
        conn = connect(url)
        ((version, flush, pid_file),) = execute(conn, "SELECT VERSION(), @@innodb_flush_log_at_trx_commit, "
                                                      "@@pid_file")
        pid = int(Path(str(pid_file)).read_text().strip()) if server else None
        log(f"pull_waits: {version}, innodb_flush_log_at_trx_commit={flush}, server options {options}")
        routing.load_fixture(conn, cfg)
        wait_for_purge(conn)
        pullers = [int(r[0]) for r in execute(conn, f"SELECT id FROM asesores ORDER BY id LIMIT {args.pullers + 1}")]
        execute(conn, "UPDATE asesores SET presencia = 'disponible'")
        probe = connect(url)
        query = "SHOW SESSION STATUS WHERE Variable_name LIKE 'Handler_%%'"
        before = {str(k): int(v) for k, v in execute(probe, query)}
        for _ in range(10):
            call(probe, "sp_siguiente_cliente", pullers[0])
        after = {str(k): int(v) for k, v in execute(probe, query)}
        probe.close()
        print("handler operations per pull, alone:",
              {k: (after[k] - before[k]) / 10 for k in before if after[k] != before[k]})
        for label, group in (("alone", pullers[:1]), (f"{args.pullers} at once", pullers[1:])):
            pool = routing.Pullers(url, group)
            try:
                states: collections.Counter[str] = collections.Counter()
                stop = threading.Event()
                sampler = threading.Thread(target=sample, args=(url, stop, states))
                sampler.start()
                cpu0 = cpu_seconds(pid) if pid else 0.0
                result: dict[str, Any] = pool.run(conn, args.pulls * (4 if len(group) == 1 else 1), 0, 0)
                cpu1 = cpu_seconds(pid) if pid else 0.0
                stop.set()
                sampler.join()
            finally:
                pool.close()
            print(f"{label}: p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                  f"{result['calls_per_s']:.0f} pulls/s, client CPU {result['client_cpu_ms_per_pull']:.2f} ms/pull"
                  + (f", server CPU {(cpu1 - cpu0) / result['calls'] * 1000:.2f} ms/pull" if pid else ""))
            total = sum(states.values())
            for state, n in states.most_common(10):
                print(f"  {100 * n / total:5.1f}%  {state}")
        conn.close()


if __name__ == "__main__":
    main()
