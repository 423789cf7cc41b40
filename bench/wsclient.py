"""A lean WebSocket client for the receiving side of the benchmarks.

Hundreds of sockets have to take tens of thousands of messages a second on the same 2
cores as the server under test, so the receivers are a bare asyncio Protocol: a hand-made
upgrade request (offering permessage-deflate, as browsers do), then frame parsing in
``data_received``, one clock reading per chunk of bytes received. It inflates compressed
frames if a server accepts the offer (neither server here does), answers pings, and
records the close code. A *frozen* client stops reading right after the upgrade, like a
dashboard whose tab hangs.

Both servers are measured with this same client, so its cost weighs on both alike.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

OnMessage = Callable[["WsClient", bytes, float], None]


class WsClient(asyncio.Protocol):
    def __init__(self, host: str, path: str, on_message: OnMessage | None, frozen: bool = False) -> None:
        self.host = host
        self.path = path
        self.on_message = on_message
        self.frozen = frozen
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.deflate: bool = False
        self._inflater: zlib._Decompress | None = None
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self.messages = 0
        self.bytes = 0

    # -- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self._buffer
        buf += data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            status = head.split(" ", 2)[1] if " " in head else "?"
            if status != "101":
                self.upgraded.set_exception(ConnectionError(f"upgrade refused: {head.splitlines()[0]}"))
                assert self.transport is not None
                self.transport.close()
                return
            self.deflate = "permessage-deflate" in head.lower()
            if self.deflate:
                self._inflater = zlib.decompressobj(-15)
            self.upgraded.set_result(True)
            if self.frozen:
                assert self.transport is not None
                self.transport.pause_reading()
                return
        self._parse(now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"connection lost before upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    # -- frames --------------------------------------------------------------------------
    def _parse(self, now: float) -> None:
        buf = self._buffer
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if n - pos < head + length:
                break
            payload = bytes(buf[pos + head: pos + head + length])
            pos += head + length
            self._frame(b0, payload, now)
        if pos:
            del buf[:pos]

    def _frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        fin = b0 & 0x80
        if opcode in (0x1, 0x2, 0x0):
            if b0 & 0x40 and self._inflater is not None:  # RSV1: compressed message
                payload = self._inflater.decompress(payload + b"\x00\x00\xff\xff")
            if not fin:
                self._fragments.append(payload)
                return
            if self._fragments:
                payload = b"".join(self._fragments) + payload
                self._fragments = []
            self.messages += 1
            self.bytes += len(payload)
            if self.on_message is not None:
                self.on_message(self, payload, now)
        elif opcode == 0x9:  # ping -> pong
            self._send(0xA, payload)
        elif opcode == 0x8:  # close
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self._send(0x8, payload[:2])
            assert self.transport is not None
            self.transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._send(0x8, struct.pack("!H", 1000))
            self.transport.close()


async def connect(url: str, on_message: OnMessage | None, frozen: bool = False) -> WsClient:
    """Open one socket to ``url`` (ws://host:port/path?query) and wait for the upgrade."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: WsClient(f"{host}:{port}", path, on_message, frozen),
                                             host, port)
    await asyncio.wait_for(client.upgraded, 30)
    return client


async def connect_many(url: str, n: int, on_message: OnMessage | None, parallel: int = 50) -> list[WsClient]:
    """``n`` sockets, at most ``parallel`` handshakes at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one() -> WsClient:
        async with gate:
            return await connect(url, on_message)

    return list(await asyncio.gather(*(one() for _ in range(n))))


def raise_fd_limit(wanted: int = 20000) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, wanted) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
