"""Dashboards that survive faults, and the check of what each one received.

A :class:`Dashboard` is what the browser's dashboard does: one WebSocket, and whenever it
is cut (the gateway crashed, stopped, or dropped it for falling behind) a new one with
``since=<the last id it got>``, to whichever gateway it is sent to (a load balancer's
choice). Its messages accumulate across the reconnections, so at the end the whole log
can be compared with the outbox: :func:`compare` counts what was lost, duplicated or out
of order, and :func:`expected_ids` says what a socket of each role may see.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from gateway.web.tailer import STATE_ONLY_EVENTS
from tests.gateway.harness import Json, Listener

RECONNECT_PAUSE = 0.05  # between attempts while no gateway answers


def expected_ids(outbox: Sequence[dict[str, Any]], asesor_id: int | None, since: int = 0) -> list[int]:
    """The outbox ids a socket may see after ``since``: all for GTR (``asesor_id`` None), else
    the events whose asesor_id or previous_asesor_id is that asesor."""
    return [e["id"] for e in outbox if e["id"] > since
            and (asesor_id is None or asesor_id in (e["asesor_id"], e["previous_asesor_id"]))]


@dataclass
class LogCheck:
    """What a socket got, against what it should have got."""

    received: int
    expected: int
    lost: int
    duplicated: int
    out_of_order: int
    unexpected: int
    payload_mismatches: int

    @property
    def exact(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.unexpected or self.payload_mismatches)


def withheld_from_a_resumed_asesor(outbox: Sequence[dict[str, Any]], asesor_id: int) -> set[int]:
    """The ids an asesor socket that resumed with ``since`` may rightly never get.

    The tailer replays an asesor's backlog in full only for the customers it holds when it
    resumes (gateway/web/tailer.py): an event that carries a customer's data is withheld
    once that customer has left the asesor. Which events those are depends on when the
    socket came back, so this is every such event of a customer that left this asesor
    later in the outbox; a socket that was never cut must still get all of them."""
    withheld: set[int] = set()
    left_at: dict[int, int] = {}  # cliente_id -> id of the last event that took it from the asesor
    for e in outbox:
        if e["previous_asesor_id"] == asesor_id and e["asesor_id"] != asesor_id:
            left_at[e["cliente_id"]] = e["id"]
    for e in outbox:
        if (e["event_type"] not in STATE_ONLY_EVENTS and asesor_id == e["asesor_id"]
                and e["id"] < left_at.get(e["cliente_id"], 0)):
            withheld.add(e["id"])
    return withheld


def compare(messages: Sequence[Json], expected: Sequence[int], outbox: Sequence[dict[str, Any]] | None = None,
            may_miss: Set[int] = frozenset()) -> LogCheck:
    """Count lost, duplicated, out-of-order and unexpected events in a socket's log; with the
    outbox, also messages whose type or payload differ from the outbox row. An id in
    ``may_miss`` is not counted as lost when it does not come."""
    ids = [m["id"] for m in messages]
    counts = Counter(ids)
    wanted = set(expected) - (set(may_miss) - set(counts))
    mismatches = 0
    if outbox is not None:
        by_id = {e["id"]: e for e in outbox}
        for m in messages:
            row = by_id.get(m["id"])
            if row is None or m["type"] != row["event_type"] or m["data"] != row["payload"]:
                mismatches += 1
    return LogCheck(
        received=len(ids),
        expected=len(wanted),
        lost=len(wanted - set(counts)),
        duplicated=sum(n - 1 for n in counts.values() if n > 1),
        out_of_order=sum(1 for a, b in zip(ids, ids[1:], strict=False) if not (isinstance(a, int) and b > a)),
        unexpected=sum(n for i, n in counts.items() if i not in wanted),
        payload_mismatches=mismatches,
    )


def totals(checks: Sequence[LogCheck]) -> dict[str, int]:
    """The guarantees summed over sockets, for a record's outcome."""
    return {
        "lost": sum(c.lost for c in checks),
        "duplicated": sum(c.duplicated for c in checks),
        "out of order": sum(c.out_of_order for c in checks),
        "unexpected": sum(c.unexpected for c in checks),
    }


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Dashboard:
    """A dashboard's WebSocket that resumes with ``since`` whenever it is cut.

    The first socket goes to ``first``; every reconnection to ``reconnect_to`` in turn (the
    same gateway after a restart, or another one: any gateway resumes any socket).
    """

    session: aiohttp.ClientSession
    token: str
    first: str
    reconnect_to: Sequence[str]
    since: int = 0
    name: str = ""
    messages: list[Json] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)  # time.monotonic() of each cut
    resumed: list[float] = field(default_factory=list)  # ... of each successful reconnection
    close_codes: list[int | None] = field(default_factory=list)
    attempts: int = 0
    _listener: Listener | None = None
    _task: asyncio.Task[None] | None = None
    _stopping: bool = False

    def last_id(self) -> int:
        return self.messages[-1]["id"] if self.messages else self.since

    def ids(self) -> list[int]:
        return [m["id"] for m in self.messages]

    async def start(self) -> Dashboard:
        self._listener = await self._open(self.first)
        self._task = asyncio.get_running_loop().create_task(self._supervise())
        return self

    async def _open(self, base: str) -> Listener:
        query = {"token": self.token, "since": str(self.last_id())}
        ws = await self.session.ws_connect(base.replace("http://", "ws://") + "/ws", params=query, autoping=True)
        # The listener appends to this dashboard's own log, so it outlives the socket.
        return Listener(ws, messages=self.messages).start()

    async def _supervise(self) -> None:
        turn = 0
        while True:
            assert self._listener is not None
            await self._listener.closed.wait()
            self.close_codes.append(self._listener.close_code)
            if self._stopping:
                return
            self.cuts.append(time.monotonic())
            while not self._stopping:
                base = self.reconnect_to[turn % len(self.reconnect_to)]
                turn += 1
                self.attempts += 1
                try:
                    self._listener = await self._open(base)
                except (TimeoutError, aiohttp.ClientError, OSError):
                    await asyncio.sleep(RECONNECT_PAUSE)
                    continue
                self.resumed.append(time.monotonic())
                break
            if self._stopping:
                return

    async def drop(self) -> None:
        """Close the current socket from the client's side (a network blip, a load balancer
        draining): the dashboard resumes at once with since, on its next gateway."""
        if self._listener is not None and not self._listener.closed.is_set():
            await self._listener.ws.close()

    async def until_id(self, last_id: int, timeout: float = 15.0) -> float:
        """Wait until the log reaches ``last_id``; when it did (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while not (self.messages and self.messages[-1]["id"] is not None and self.messages[-1]["id"] >= last_id):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: timed out waiting for id {last_id}; last {self.last_id()}, "
                                     f"{len(self.messages)} messages, cuts {len(self.cuts)}")
            await asyncio.sleep(0.01)
        return time.monotonic()

    async def close(self) -> None:
        self._stopping = True
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5)
        # A reconnection that was under way when we stopped opened one more socket.
        if self._listener is not None and not self._listener.closed.is_set():
            with contextlib.suppress(Exception):
                await self._listener.close()
