"""Fault: one dashboard stops reading its WebSocket (a hung tab, a laptop lid closed).

The others must not wait for it: their delivery latency is measured with and without it,
under the same load (customers loaded over HTTP, whose events carry the database's commit
time, plus a DBA writing bursts of ~6 KB events directly, about 3 MB/s). The frozen client
is cut when what the gateway holds for it passes ``SEGUIMIENTO_WS_MAX_PENDING_BYTES``,
then resumes with ``since`` and ends with every event once, in order.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp

from bench.wsclient import WsClient
from tests.gateway.conftest import People
from tests.gateway.harness import Api, GatewayProcess, hand_written_events, last_outbox_id, run
from tests.reliability.dashboards import Dashboard, compare, expected_ids, percentile, totals
from tests.reliability.recording import Record
from tests.support import Db
from toolkit.metrics import value as metric_value

CAP = 256 * 1024  # SEGUIMIENTO_WS_MAX_PENDING_BYTES for this test (1 MiB by default)
READERS = 8
PHASE_S = 4.0
HTTP_WRITERS = 2
BURST_EVENTS, BURST_PAD, BURST_EVERY_S = 50, 6000, 0.1  # ~3 MB/s of events written directly
ID = re.compile(rb'"id":(\d+)')
CLOCK_OFFSET = time.time() - time.perf_counter()  # perf_counter -> wall clock


class Reader:
    """A lean socket (bench/wsclient.py) that keeps every id and the latency of the events
    that carry their commit time (CLIENT_CREATED)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.latencies: dict[str, list[float]] = {"without": [], "with": []}
        self.phase = "warm-up"
        self.client: WsClient | None = None

    def on_message(self, _client: WsClient, payload: bytes, now: float) -> None:
        found = ID.search(payload, 0, 80)
        assert found is not None, payload[:80]
        self.ids.append(int(found.group(1)))
        if self.phase in self.latencies and payload.startswith(b'{"type":"CLIENT_CREATED"'):
            committed = datetime.fromisoformat(json.loads(payload)["data"]["timestamp"].replace("Z", "+00:00"))
            self.latencies[self.phase].append(now + CLOCK_OFFSET - committed.timestamp())

    async def connect(self, url: str, receive_buffer: int | None = None) -> Reader:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        sock = socket.socket()
        if receive_buffer is not None:  # a small kernel buffer: the gateway notices sooner
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, port))
        _, self.client = await loop.create_connection(
            lambda: WsClient(f"{host}:{port}", f"{parts.path}?{parts.query}", self.on_message), sock=sock)
        await asyncio.wait_for(self.client.upgraded, 10)
        return self


async def _overflow_drops(session: aiohttp.ClientSession, base: str) -> int:
    metrics = await Api(session, base, None).call("GET", "/metrics")
    return int(metric_value(metrics, "seguimiento_websocket_drops_total", reason="overflow"))


def _bursts(db: Db, stop: threading.Event) -> None:
    conn = Db(db.url)
    try:
        while not stop.wait(BURST_EVERY_S):
            hand_written_events(conn, BURST_EVENTS, pad=BURST_PAD, event_type="DBA_BURST")
    finally:
        conn.close()


async def _load(gtr: Api, stop: asyncio.Event, tag: str) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        await gtr.call("POST", "/api/clientes", {"nombre": f"{tag} {n}"}, expect=201)
        await asyncio.sleep(0.02)


@run(timeout=120)
async def test_a_frozen_client_never_delays_the_others(db: Db, people: People, reliability: Record) -> None:
    """A frozen WebSocket client never delays the others"""
    rec = reliability
    rec.load = (f"{READERS} GTR sockets reading, {HTTP_WRITERS} HTTP writers loading customers, a DBA writing "
                f"{BURST_EVENTS} events of {BURST_PAD} B every {BURST_EVERY_S} s; {PHASE_S:.0f} s without, "
                f"{PHASE_S:.0f} s with the frozen client")
    rec.faults = f"one GTR socket stops reading (kernel receive buffer 8 KiB); cap {CAP // 1024} KiB"
    rec.inputs = "the frozen socket then reads what it has and resumes with since=<last id it got>"
    gateway = GatewayProcess(db.url, env={"SEGUIMIENTO_WS_MAX_PENDING_BYTES": str(CAP)}).start()
    stop_bursts = threading.Event()
    bursts = threading.Thread(target=_bursts, args=(db, stop_bursts), daemon=True)
    try:
        async with aiohttp.ClientSession() as session:
            ws_url = gateway.base.replace("http://", "ws://") + f"/ws?token={people.gtr}&since=0"
            readers = [await Reader().connect(ws_url) for _ in range(READERS)]
            frozen = await Reader().connect(ws_url, receive_buffer=8192)
            stop = asyncio.Event()
            gtr = Api(session, gateway.base, people.gtr)
            writers = [asyncio.ensure_future(_load(gtr, stop, f"Writer {n}")) for n in range(HTTP_WRITERS)]
            bursts.start()
            await asyncio.sleep(0.5)  # warm-up

            # Both phases alike, /metrics polled in both; only the frozen client differs.
            assert frozen.client is not None and frozen.client.transport is not None
            drops = {}
            cut_after: float | None = None
            frozen_last = 0
            for phase in ("without", "with"):
                for reader in readers:
                    reader.phase = phase
                if phase == "with":
                    frozen.client.transport.pause_reading()
                    frozen_last = frozen.ids[-1]
                started = time.monotonic()
                drops[phase] = await _overflow_drops(session, gateway.base)
                while time.monotonic() - started < PHASE_S:
                    now_dropped = await _overflow_drops(session, gateway.base)
                    if phase == "with" and cut_after is None and now_dropped > drops[phase]:
                        cut_after = time.monotonic() - started
                    await asyncio.sleep(0.05)
            for reader in readers:
                reader.phase = "after"

            stop.set()
            await asyncio.gather(*writers)
            stop_bursts.set()
            await asyncio.to_thread(bursts.join, 30)
            final = last_outbox_id(db)
            deadline = time.monotonic() + 30
            while any(not r.ids or r.ids[-1] < final for r in readers) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

            # The frozen client wakes up: it reads what had reached it, sees the cut, and resumes.
            frozen.client.transport.resume_reading()
            await asyncio.wait_for(frozen.client.closed, 10)
            close_code = frozen.client.close_code
            resumed_from = frozen.ids[-1]
            resumed = await Dashboard(session, people.gtr, gateway.base, [gateway.base], since=resumed_from,
                                      name="resumed").start()
            await resumed.until_id(final, timeout=30)
            await asyncio.sleep(0.2)
            await resumed.close()
            for reader in readers:
                assert reader.client is not None
                reader.client.close()
            outbox = db.outbox()
    finally:
        stop_bursts.set()
        gateway.stop()

    wanted = expected_ids(outbox, None)
    checks = [compare([{"id": i} for i in r.ids], wanted) for r in readers]
    frozen_log = [{"id": i} for i in frozen.ids] + resumed.messages
    checks.append(compare(frozen_log, wanted))
    without = [x for r in readers for x in r.latencies["without"]]
    with_frozen = [x for r in readers for x in r.latencies["with"]]
    p50 = {"without": percentile(without, 50) * 1000, "with": percentile(with_frozen, 50) * 1000}
    p99 = {"without": percentile(without, 99) * 1000, "with": percentile(with_frozen, 99) * 1000}
    rec.figures(**totals(checks))
    rec.figure("others' p50 ms without the frozen client", p50["without"])
    rec.figure("others' p50 ms with it", p50["with"])
    rec.figure("others' p99 ms without the frozen client", p99["without"])
    rec.figure("others' p99 ms with it", p99["with"])
    rec.figure("frozen client cut after s", cut_after)
    rec.figure("frozen client's close code seen", str(close_code))
    rec.figure("events it had read when it froze", frozen_last)
    rec.figure("events it resumed from (since)", resumed_from)
    rec.figure("events in the run", final)
    rec.notes.append(
        f"Latency: from the commit time in each CLIENT_CREATED event to its arrival on each of the {READERS} "
        f"other sockets; {len(without)} and {len(with_frozen)} samples. The frozen socket is cut when, at the "
        "next read of the outbox, the gateway still holds more than the cap of unsent data for it.")

    for check in checks:
        assert check.exact, check
    assert cut_after is not None, "the frozen client was never cut"
    assert len(without) > 50 and len(with_frozen) > 50
    # A frozen socket that held the others up would add seconds; noise on a shared machine
    # adds tens of milliseconds.
    assert p99["with"] <= max(3 * p99["without"], p99["without"] + 150), p99
