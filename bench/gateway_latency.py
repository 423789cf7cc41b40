"""How late WebSocket events arrive: the cost of the outbox tailing technique.

    .venv/bin/python bench/gateway_latency.py [--database-url mysql://root@127.0.0.1:3306/x]
        [--samples 200] [--poll-interval 0.2]

Creates a throwaway database on the server (dropped afterwards), runs the gateway in this
process on a loopback port, subscribes one GTR socket and measures, per event, the time
from just before the write until the socket has the message:

* own write: ``POST /api/clientes`` through the gateway (the tailer is woken at once);
  the figure includes the HTTP request itself.
* outside write: ``CALL sp_cargar_cliente`` over a plain connection (a DBA, the sweep or
  another gateway): found by the next poll, so up to one poll interval later.

Prints p50/p90/p99/max in milliseconds and which mysql-connector implementation ran.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import mysql.connector  # noqa: E402

from gateway.dburl import DatabaseUrl  # noqa: E402
from gateway.migrate import migrate  # noqa: E402
from tests.dbserver import drop_database, throwaway_name  # noqa: E402
from tests.gateway.harness import make_token, running_gateway  # noqa: E402
from tests.support import Db  # noqa: E402


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    q = statistics.quantiles(ms, n=100)
    return (f"{name:14s} n={len(ms):4d}  p50={q[49]:7.2f} ms  p90={q[89]:7.2f} ms  "
            f"p99={q[98]:7.2f} ms  max={ms[-1]:7.2f} ms")


async def measure(url: DatabaseUrl, samples: int, poll: float) -> None:
    db = Db(url)
    token = make_token(db, "gtr")
    async with running_gateway(url, poll_interval=poll) as gw, aiohttp.ClientSession() as session:
        ws = await session.ws_connect(gw.base.replace("http", "ws") + "/ws", params={"token": token})
        headers = {"Authorization": f"Bearer {token}"}
        own: list[float] = []
        outside: list[float] = []
        for i in range(samples):
            started = time.perf_counter()
            async with session.post(gw.base + "/api/clientes", json={"nombre": f"Bench {i}"},
                                    headers=headers) as response:
                assert response.status == 201
            await ws.receive_json(timeout=5)
            own.append(time.perf_counter() - started)
        for i in range(samples):
            # Spread the writes over the poll cycle, as real outside writes would be.
            await asyncio.sleep(poll * (i % 7) / 7)
            started = time.perf_counter()
            await asyncio.to_thread(db.call, "sp_cargar_cliente", f"Directo {i}", None, None)
            await ws.receive_json(timeout=5)
            outside.append(time.perf_counter() - started)
        await ws.close()
    db.close()
    print(f"mysql-connector C extension: {mysql.connector.HAVE_CEXT}; poll interval {poll * 1000:.0f} ms")
    print(summary("own write", own))
    print(summary("outside write", outside))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/test")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--poll-interval", type=float, default=0.2)
    args = parser.parse_args()
    url = DatabaseUrl.parse(args.database_url).with_database(throwaway_name("seg_bench"))
    migrate(url)
    try:
        asyncio.run(measure(url, args.samples, args.poll_interval))
    finally:
        drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
