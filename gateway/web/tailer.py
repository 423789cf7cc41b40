"""The outbox tailer and the fan-out of its events to WebSockets.

How no event is missed: writers take outbox ids from the one-row ``outbox_secuencia``
table and hold its row lock until they commit (``sql/procedures/_registrar_cambio.sql``),
so ids are gap-free and become visible strictly in id order. The tailer therefore only
keeps the last id it delivered and reads ``CALL sp_outbox_leer(last_id, n)``: there is no
gap to wait for and no window to re-check. It reads at once when this gateway's own calls
wrote events (:meth:`Tailer.wake`) and otherwise every ``poll_interval`` seconds, which
bounds how late events written by a DBA, the sweep or another gateway arrive.

Fan-out (see shared/notes/websocket.md): each event is serialised and framed once, and the
frames of one read are written to each socket with one synchronous ``transport.write``:
no task and no await per socket per message. What a socket has not yet taken stays in its
transport's buffer; a socket whose buffer still holds more than ``max_pending_bytes`` when
the next read comes is closed (it can resume with ``?since=``), so a frozen client costs
the others nothing and holds at most that cap plus one read (at most 1000 events).

Every subscriber has a cursor: the id of the last event it was given (or skipped, for an
asesor). A new subscriber first reads the outbox from its ``since`` itself, then turns
live in the same step of the event loop in which it has caught up with the tailer, so no
event falls between the backlog and the live stream and none comes twice.

An asesor's backlog (``since``) is limited to what it may see now: in full, the events of
the customers it holds now (read with the board, ``sp_listar_clientes``), and of any other
customer only the state changes that carry no personal data (how it left, who took it).
Without that, ``/ws?since=0`` replayed a week of names, phones and wizard answers of
customers already taken away from it. Events after that board read follow the live rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import WSCloseCode, web

from gateway.db import procedures
from gateway.db.exceptions import DatabaseError
from gateway.db.pool import Database
from gateway.db.rows import OutboxEvent
from gateway.web.metrics import Metrics
from gateway.web.sessions import CLOSE_SESSION_ENDED, SessionEnd, TokenCache, session_end

log = logging.getLogger(__name__)

READ_BATCH = 1000
# Events whose payload holds ids and states only (no nombre, telefono or datos): an asesor's
# backlog may show them for customers it no longer holds, so its board can drop them.
STATE_ONLY_EVENTS = frozenset({"CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_COMPLETED",
                               "CLIENT_RETURNED_TO_GTR"})
# Events for the gateways themselves (sessions that end), never sent to a dashboard: they
# name tokens, and a board has nothing to show for them. See Sessions.
GATEWAY_ONLY_EVENTS = frozenset({"TOKEN_REVOKED", "TOKEN_EXPIRED"})
# Events about the floor as a whole, sent to every socket, an asesor's too: the pause reasons
# any token may list (GET /api/motivos-pausa), so an asesor's pause switch follows GTR's
# changes live. Their payload names no customer and no token.
FLOOR_EVENTS = frozenset({"PAUSE_REASON_CHANGED"})
BOARD_PAGE = 1000  # sp_listar_clientes' largest page
RESYNC_REQUIRED = "RESYNC_REQUIRED"
# Close codes (4000-4999 are the application's own).
CLOSE_RESYNC = 4000  # the client must reload its board and subscribe again
CLOSE_SLOW_CONSUMER = WSCloseCode.TRY_AGAIN_LATER  # 1013: fell too far behind; resume with since


def encode_message(type_: str, id_: int | None, data: Any) -> bytes:
    """One WebSocket message: ``{"type", "id", "data"}`` as compact UTF-8 JSON."""
    return json.dumps({"type": type_, "id": id_, "data": data}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def text_frame(payload: bytes) -> bytes:
    """An unmasked, uncompressed, final WebSocket text frame (RFC 6455 section 5.2).

    aiohttp has no public call that sends a pre-built frame, so the fan-out builds each
    frame once here and writes it to every socket's transport. Servers never mask. A
    test compares this with what aiohttp's own writer produces, so an aiohttp upgrade that
    changed framing would fail it.
    """
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


@dataclass(eq=False)
class Subscriber:
    """One dashboard's socket and where it is in the outbox."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport
    role: Literal["gtr", "asesor"]
    asesor_id: int | None
    token_id: int = 0
    cursor: int = 0
    live: bool = False
    closed: bool = False
    delivered: int = 0
    closing: asyncio.Task[None] | None = None  # the hub closing this socket

    def wants(self, event: OutboxEvent) -> bool:
        """GTR sees everything; an asesor the events about its own customers, including
        the ones that take a customer away from it (previous_asesor_id), and FLOOR_EVENTS."""
        if self.role == "gtr" or event.event_type in FLOOR_EVENTS:
            return True
        return self.asesor_id is not None and (
            event.asesor_id == self.asesor_id or event.previous_asesor_id == self.asesor_id)


class Hub:
    """The subscribers of one gateway process and the last outbox id given to them."""

    def __init__(self, metrics: Metrics, max_pending_bytes: int, tokens: TokenCache | None = None) -> None:
        self.metrics = metrics
        self.max_pending_bytes = max_pending_bytes
        self.tokens = tokens if tokens is not None else TokenCache(0, 1.0)
        self.subscribers: set[Subscriber] = set()
        self.last_id: int | None = None  # None until the tailer first reached the database
        self._closing: set[asyncio.Task[None]] = set()

    def count_by_role(self) -> dict[str, int]:
        counts = {"gtr": 0, "asesor": 0}
        for sub in self.subscribers:
            counts[sub.role] += 1
        return counts

    # -- the tailer's side ---------------------------------------------------------------

    def publish(self, events: list[OutboxEvent]) -> None:
        """Deliver a read of consecutive events to every live subscriber. Synchronous."""
        if not events:
            return
        # Sessions that end, first: the cache forgets them before anything else runs, and
        # their sockets are closed rather than sent this read.
        ends = [end for end in map(session_end, events) if end is not None]
        if ends:
            self.end_sessions(ends)
        frames = [(event, text_frame(encode_message(event.event_type, event.id, event.payload)))
                  for event in events if event.event_type not in GATEWAY_ONLY_EVENTS]
        first, last = events[0].id, events[-1].id
        everything = b"".join(frame for _event, frame in frames)  # what every up-to-date GTR socket gets
        for sub in list(self.subscribers):
            if not sub.live or sub.closed:
                continue
            if sub.role == "gtr" and sub.cursor < first:
                if frames:
                    self._write(sub, everything, len(frames))
            else:
                chunks = [frame for event, frame in frames if event.id > sub.cursor and sub.wants(event)]
                if chunks:
                    self._write(sub, b"".join(chunks), len(chunks))
            sub.cursor = max(sub.cursor, last)
        self.last_id = last

    def end_sessions(self, ends: list[SessionEnd]) -> None:
        """Forget the tokens ``ends`` name and close their sockets (CLOSE_SESSION_ENDED)."""
        self.tokens.end(ends)
        everything = any(end.token_id is None and end.asesor_id is None for end in ends)
        tokens = {end.token_id for end in ends if end.token_id is not None}
        asesores = {end.asesor_id for end in ends if end.asesor_id is not None}
        for sub in list(self.subscribers):
            if not sub.closed and (everything or sub.token_id in tokens or sub.asesor_id in asesores):
                self.end_session(sub)

    def end_session(self, sub: Subscriber) -> None:
        """Close ``sub``: its token was revoked or expired, or its asesor deactivated."""
        if not sub.closed:
            self._drop(sub, CLOSE_SESSION_ENDED, b"session ended: revoked, expired or deactivated", "session_ended")

    def resync_all(self, reason: str) -> None:
        """Events were lost to everyone (the purge passed the tailer): every socket must reload."""
        # An ending event may be among the lost ones: validate every token again.
        self.tokens.clear()
        for sub in list(self.subscribers):
            self.send_resync(sub, {"reason": reason})

    # -- a socket's side -------------------------------------------------------------------

    async def attach(self, sub: Subscriber, since: int | None, db: Database) -> bool:
        """Register ``sub``, send it every event after ``since``, then make it live.

        Returns False when it was told RESYNC_REQUIRED instead (and is being closed).
        """
        assert self.last_id is not None, "attach only once the tailer has started"
        self.subscribers.add(sub)
        if since is None:
            sub.cursor = self.last_id
            sub.live = True
            return True
        limits = await procedures.outbox_limites(db)
        lost = (since > limits.ultimo_id
                or (limits.primer_id is None and since < limits.ultimo_id)
                or (limits.primer_id is not None and since < limits.primer_id - 1))
        if lost:
            self.send_resync(sub, {"since": since, "oldestId": limits.primer_id, "latestId": limits.ultimo_id})
            return False
        sub.cursor = since
        replayable: Callable[[OutboxEvent], bool] = sub.wants
        if sub.role == "asesor" and sub.asesor_id is not None:
            replayable = await _asesor_replay_filter(sub, db)
        while not sub.closed:
            events = await procedures.outbox_leer(db, sub.cursor, READ_BATCH)
            if events and events[0].id != sub.cursor + 1:
                # purged while we read: the gap cannot be filled
                self.send_resync(sub, {"since": since, "oldestId": events[0].id, "latestId": limits.ultimo_id})
                return False
            chunks = [text_frame(encode_message(e.event_type, e.id, e.payload)) for e in events
                      if e.event_type not in GATEWAY_ONLY_EVENTS and replayable(e)]
            if events:
                sub.cursor = events[-1].id
            if chunks:
                self._write(sub, b"".join(chunks), len(chunks))
            # No await between this check and going live: the tailer cannot publish in between.
            if len(events) < READ_BATCH and sub.cursor >= self.last_id:
                sub.live = True
                return True
        return False

    def detach(self, sub: Subscriber) -> None:
        sub.closed = True
        self.subscribers.discard(sub)

    def send_resync(self, sub: Subscriber, data: dict[str, Any]) -> None:
        if sub.closed:
            return
        self._write(sub, text_frame(encode_message(RESYNC_REQUIRED, None, data)), 1)
        self._drop(sub, CLOSE_RESYNC, b"resync required", "resync")

    # -- writing ---------------------------------------------------------------------------

    def _write(self, sub: Subscriber, data: bytes, messages: int) -> None:
        transport = sub.transport
        if sub.closed or sub.ws.closed or transport.is_closing():
            self.detach(sub)
            return
        # What the client has not taken yet stays in the transport's buffer. One read's
        # worth may always be added (a healthy client drains it before the next), so a
        # socket holds at most max_pending_bytes plus one read before it is cut.
        if transport.get_write_buffer_size() > self.max_pending_bytes:
            self._drop(sub, CLOSE_SLOW_CONSUMER, b"too far behind: reconnect with since", "overflow")
            return
        transport.write(data)
        sub.delivered += messages
        self.metrics.events_delivered(messages)

    def _drop(self, sub: Subscriber, code: int, message: bytes, reason: str) -> None:
        self.detach(sub)
        self.metrics.socket_dropped(reason)
        task = asyncio.get_running_loop().create_task(close_socket(sub.ws, code, message))
        sub.closing = task
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Wait for the sockets being closed by the hub."""
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


async def _asesor_replay_filter(sub: Subscriber, db: Database) -> Callable[[OutboxEvent], bool]:
    """Which backlog events an asesor socket may be sent (see the module docstring)."""
    assert sub.asesor_id is not None
    page = await procedures.listar_clientes(db, None, sub.asesor_id, BOARD_PAGE, 0)
    as_of = page.snapshot_outbox_id
    held = {c.cliente_id for c in page.clientes}
    offset = BOARD_PAGE
    while offset < page.total:
        # Later pages are read after as_of: a customer that left meanwhile is missing (its
        # older events are withheld, as they should be), one that came is included.
        more = await procedures.listar_clientes(db, None, sub.asesor_id, BOARD_PAGE, offset)
        if not more.clientes:
            break
        held.update(c.cliente_id for c in more.clientes)
        offset += BOARD_PAGE

    def replayable(event: OutboxEvent) -> bool:
        if not sub.wants(event):
            return False
        return (event.id > as_of or event.cliente_id in held or event.event_type in STATE_ONLY_EVENTS
                or event.event_type in FLOOR_EVENTS)

    return replayable


async def close_socket(ws: web.WebSocketResponse, code: int, message: bytes) -> None:
    """Close ``ws`` with ``code``, but never wait on a frozen client: 2 s, then cut it."""
    with contextlib.suppress(Exception, asyncio.TimeoutError):
        async with asyncio.timeout(2):
            await ws.close(code=code, message=message, drain=False)


class Tailer:
    """Reads the outbox after the last delivered id and hands events to the hub.

    Runs until cancelled. When the database is unreachable it says so (``up``), retries
    with a growing pause (at most 2 s) and, once back, resumes after the last delivered id.
    """

    def __init__(
        self,
        db: Database,
        hub: Hub,
        metrics: Metrics,
        poll_interval: float,
        on_outage: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.metrics = metrics
        self.poll_interval = poll_interval
        self.on_outage = on_outage
        self.up = False
        self.last_read_at: float | None = None  # time.monotonic() of the last good read
        self._wakeup = asyncio.Event()
        self.started = asyncio.Event()  # set once the first read succeeded

    def wake(self) -> None:
        """Read now: this gateway just wrote events."""
        self._wakeup.set()

    def seconds_since_read(self) -> float | None:
        return None if self.last_read_at is None else time.monotonic() - self.last_read_at

    async def run(self) -> None:
        pause = self.poll_interval
        while True:
            try:
                await self._tail()
            except DatabaseError as exc:
                if self.up:
                    log.warning("outbox tailer lost the database: %s", exc)
                self.up = False
                # Ending events may be written while we cannot read them: ask again.
                self.hub.tokens.clear()
                if self.on_outage is not None:
                    await self.on_outage()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
            else:  # pragma: no cover - _tail only returns by raising
                pause = self.poll_interval

    async def _tail(self) -> None:
        # Where the outbox stands, on the first read and after every outage: a failover that
        # lost the last commits leaves the new primary's newest id BELOW what this gateway
        # delivered, and the next events will take those ids again. Waiting after our own
        # cursor would skip them silently, so every socket is told to reload instead, and
        # the cursor restarts from the database's newest id.
        limits = await procedures.outbox_limites(self.db)
        if self.hub.last_id is None:
            self.hub.last_id = limits.ultimo_id
        elif limits.ultimo_id < self.hub.last_id:
            log.error("the outbox ends at id %d, before id %d this gateway delivered: events were lost "
                      "(a failover to a server missing the last commits?); every socket must reload",
                      limits.ultimo_id, self.hub.last_id)
            self.hub.resync_all("the database lost events this dashboard had already received")
            self.hub.last_id = limits.ultimo_id
        while True:
            self._wakeup.clear()
            last = self.hub.last_id
            assert last is not None
            events = await procedures.outbox_leer(self.db, last, READ_BATCH)
            if not self.up:
                log.info("outbox tailer reading after id %d", last)
            self.up = True
            self.started.set()
            self.last_read_at = time.monotonic()
            if events and events[0].id != last + 1:
                log.error("outbox ids %d..%d were purged before this gateway read them", last + 1,
                          events[0].id - 1)
                self.hub.resync_all("outbox events were purged before they could be delivered")
            self.metrics.events_read(len(events))
            self.hub.publish(events)
            if len(events) == READ_BATCH:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that lands in the same turn as the wake-up, and this loop would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wakeup.wait()


def gauges(hub: Hub, tailer: Tailer, db: Database) -> dict[str, Callable[[], dict[Any, float]]]:
    """The live values /metrics reports for the hub, tailer and database."""

    def connections() -> dict[Any, float]:
        return {(("role", role),): float(n) for role, n in hub.count_by_role().items()}

    def tailed() -> dict[Any, float]:
        return {(): float(hub.last_id or 0)}

    def lag() -> dict[Any, float]:
        seconds = tailer.seconds_since_read()
        return {(): float("nan") if seconds is None else seconds}

    def up() -> dict[Any, float]:
        return {(): 1.0 if (tailer.up and db.reachable is not False) else 0.0}

    return {
        "seguimiento_websocket_connections": connections,
        "seguimiento_outbox_tailed_id": tailed,
        "seguimiento_outbox_tail_lag_seconds": lag,
        "seguimiento_database_up": up,
    }

