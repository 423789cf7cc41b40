"""Cancelling the outbox tailer always stops it.

On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that arrives in the same turn of
the event loop as the end of what it waits for. The tailer's idle wait used it, so when a
gateway stopped right as one of its own writes woke the tailer, the tailer went on polling
and held the stop forever. Here the wake-up and the cancellation land together."""

from __future__ import annotations

import asyncio

from gateway.db.procedures import Database
from gateway.web.metrics import Metrics
from gateway.web.tailer import Hub, Tailer
from tests.gateway.harness import run
from tests.support import Db

ROUNDS = 20
POLL_S = 0.5


@run(timeout=120)
async def test_a_stop_landing_with_a_wake_up_still_stops_the_tailer(db: Db) -> None:
    database = Database(db.url, size=1)
    loop = asyncio.get_running_loop()
    try:
        for _ in range(ROUNDS):
            tailer = Tailer(database, Hub(Metrics(), 1 << 20), Metrics(), POLL_S)
            task = loop.create_task(tailer.run())
            await tailer.started.wait()
            await asyncio.sleep(POLL_S / 10)  # the tailer is in its idle wait now

            def wake_and_cancel(tailer: Tailer = tailer, task: asyncio.Task[None] = task) -> None:
                tailer.wake()  # this gateway just wrote an event...
                task.cancel()  # ...and is being stopped in the same turn of the loop

            loop.call_soon(wake_and_cancel)
            done, _ = await asyncio.wait({task}, timeout=2)
            assert done, "the tailer ignored its cancellation"
            assert task.cancelled()
    finally:
        await database.close()
