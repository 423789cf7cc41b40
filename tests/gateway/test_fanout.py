"""The fan-out's own guarantees: frames the way aiohttp would write them, a frozen client
disconnected at its cap without slowing the others, and a graceful stop that lets
in-flight requests finish."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest
from aiohttp._websocket.writer import WebSocketWriter

from gateway.web.keys import HUB
from gateway.web.tailer import encode_message, text_frame
from tests.gateway.conftest import People
from tests.gateway.harness import (
    Api,
    GatewayProcess,
    hand_written_events,
    last_outbox_id,
    listen,
    make_token,
    run,
    running_gateway,
    url_text,
)
from tests.support import Db


class _Capture(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def write(self, data: Any) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False


class _Protocol:
    _paused = False


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frames_match_what_aiohttp_writes(size: int) -> None:
    """The fan-out frames messages itself (aiohttp has no public pre-built-frame call); an
    aiohttp upgrade that changed how an uncompressed server text frame looks fails here."""
    payload = encode_message("CLIENT_UPDATED", 7, {"pad": "x" * size})

    transport = _Capture()

    @run(timeout=10)
    async def aiohttp_frame() -> None:
        writer = WebSocketWriter(_Protocol(), transport, use_mask=False, compress=0)  # type: ignore[arg-type]
        await writer.send_frame(payload, aiohttp.WSMsgType.TEXT)

    aiohttp_frame()
    assert text_frame(payload) == bytes(transport.data)


def _frozen_client(port: int, token: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall((f"GET /ws?since=0&token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@run(timeout=90)
async def test_a_frozen_client_is_cut_at_its_cap_and_slows_no_one(db: Db, people: People) -> None:
    cap = 256 * 1024
    async with running_gateway(db.url, ws_max_pending_bytes=cap) as gw, aiohttp.ClientSession() as session:
        port = int(gw.base.rsplit(":", 1)[1])
        frozen = await asyncio.to_thread(_frozen_client, port, people.gtr)
        try:
            readers = [await listen(session, gw.base, people.gtr, since=0) for _ in range(3)]
            total = 0
            started = time.monotonic()
            # 2000 events of ~4 KiB: far more than the cap plus both sides' socket buffers.
            for _ in range(4):
                await asyncio.to_thread(hand_written_events, db, 500, pad=4000)
                total += 500
            for reader in readers:
                await reader.until_id(total, timeout=30)
                assert reader.ids() == list(range(1, total + 1))
            elapsed = time.monotonic() - started
            assert last_outbox_id(db) == total
            # The frozen socket was closed by the gateway, the others never waited for it.
            metrics = await Api(session, gw.base, None).call("GET", "/metrics")
            assert 'seguimiento_websocket_drops_total{reason="overflow"} 1' in metrics
            assert elapsed < 20, elapsed
            assert gw.app is not None
            assert len(gw.app[HUB].subscribers) == 3
            for reader in readers:
                await reader.close()
        finally:
            frozen.close()


@run(timeout=60)
async def test_graceful_stop_finishes_in_flight_requests(db: Db, people: People) -> None:
    cliente = db.nuevo_cliente()
    blocker = Db(db.url)
    frozen: socket.socket | None = None
    server = GatewayProcess(db.url).start()
    try:
        assert server.process is not None
        async with aiohttp.ClientSession() as session:
            gtr = Api(session, server.base, people.gtr)
            ws = await listen(session, server.base, people.gtr, since=0)
            # A client that never reads nor answers the close must not hold the stop up.
            frozen = await asyncio.to_thread(_frozen_client, server.port, people.gtr)
            # Hold the customer's row so the assignment waits inside the database.
            blocker.execute("START TRANSACTION")
            blocker.query("SELECT id FROM clientes WHERE id = %s FOR UPDATE", (cliente,))
            request = asyncio.ensure_future(gtr.status(
                "POST", f"/api/clientes/{cliente}/estatus",
                {"tipo": "gtr", "estatus": "derivado", "asesorId": people.ana}))
            await asyncio.sleep(0.5)
            assert not request.done()
            server.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(ws.closed.wait(), 5)
            assert ws.close_code == 1001  # GOING_AWAY
            await asyncio.sleep(0.3)
            blocker.execute("COMMIT")
            status, body = await asyncio.wait_for(request, 10)
            assert status == 200, body
            # The one SIGTERM stops it, without waiting on the frozen client.
            assert await asyncio.to_thread(server.process.wait, 8) == 0
    finally:
        server.stop()
        if frozen is not None:
            frozen.close()
        blocker.close()
    assert db.cliente(cliente)["seguimiento_status"] == "derivado"


def test_token_command_prints_the_token_alone_on_its_last_line(db: Db, people: People) -> None:
    def token(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gateway", "token", *args, "--database-url", url_text(db.url)],
                              capture_output=True, text=True, timeout=30, check=False)

    done = token("create", "--role", "asesor", "--asesor", str(people.ana))
    assert done.returncode == 0, done.stderr
    created = done.stdout.strip().splitlines()[-1]
    assert created.startswith("seg_") and " " not in created
    assert token("create", "--role", "asesor").returncode == 2
    missing = token("create", "--role", "asesor", "--asesor", "999999")
    assert missing.returncode == 2 and "asesor" in missing.stderr

    @run()
    async def use(expect: int) -> None:
        async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
            status, _ = await Api(session, gw.base, created).status("GET", "/api/clientes")
            assert status == expect

    use(200)
    token_id = db.query("SELECT MAX(id) AS id FROM api_tokens")[0]["id"]
    assert token("revoke", str(token_id)).returncode == 0
    use(401)
    assert make_token(db, "gtr")


@run(timeout=30)
async def test_heartbeat_closes_a_socket_that_stops_answering(db: Db, people: People) -> None:
    async with running_gateway(db.url, ws_heartbeat=0.4) as gw, aiohttp.ClientSession() as session:
        assert gw.app is not None
        port = int(gw.base.rsplit(":", 1)[1])
        alive = await listen(session, gw.base, people.gtr, since=0)  # aiohttp answers pings for it
        silent = await asyncio.to_thread(_frozen_client, port, people.gtr)
        try:
            await asyncio.sleep(0.2)
            assert len(gw.app[HUB].subscribers) == 2
            deadline = time.monotonic() + 5
            while len(gw.app[HUB].subscribers) > 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert len(gw.app[HUB].subscribers) == 1
            assert not alive.closed.is_set()
        finally:
            silent.close()
        await alive.close()
