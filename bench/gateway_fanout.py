"""Fan-out throughput: one `seguimiento serve` process, many GTR sockets, bursts of events.

    .venv/bin/python bench/gateway_fanout.py [--sockets 200] [--events 2000]

Starts the gateway as a subprocess on a throwaway database, connects the sockets (clients
in this process), writes the events by hand in one transaction of 500 at a time (~200-byte
payloads), and reports deliveries per second from the first write until every socket has
every event. The clients share the 2 cores with the server, so this is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from gateway.dburl import DatabaseUrl  # noqa: E402
from gateway.migrate import migrate  # noqa: E402
from tests.dbserver import drop_database, throwaway_name  # noqa: E402
from tests.gateway.harness import GatewayProcess, hand_written_events, make_token  # noqa: E402
from tests.support import Db  # noqa: E402


async def count(ws: aiohttp.ClientWebSocketResponse, events: int) -> None:
    got = 0
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            got += 1
            if got == events:
                return


async def measure(url: DatabaseUrl, sockets: int, events: int) -> None:
    db = Db(url)
    token = make_token(db, "gtr")
    with GatewayProcess(url) as server:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            clients = [await session.ws_connect(server.base.replace("http", "ws") + "/ws",
                                                params={"token": token, "since": "0"}) for _ in range(sockets)]
            readers = [asyncio.ensure_future(count(ws, events)) for ws in clients]
            started = time.perf_counter()
            for _ in range(events // 500):
                await asyncio.to_thread(hand_written_events, db, 500, pad=150)
            await asyncio.wait_for(asyncio.gather(*readers), 300)
            elapsed = time.perf_counter() - started
            for ws in clients:
                await ws.close()
    db.close()
    print(f"{sockets} sockets x {events} events: {sockets * events / elapsed:,.0f} deliveries/s "
          f"({elapsed:.2f} s, includes writing the events)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/test")
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    url = DatabaseUrl.parse(args.database_url).with_database(throwaway_name("seg_bench"))
    migrate(url)
    try:
        asyncio.run(measure(url, args.sockets, args.events))
    finally:
        drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
