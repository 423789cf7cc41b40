"""A real gateway, with the dashboard, served from a background thread on loopback.

Playwright's sync API owns the test's main thread, so the gateway gets an event loop of
its own in another thread. It can be stopped and started again on the same port, which
is how a browser test makes a page lose its WebSocket and reconnect.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

from gateway.db.dburl import DatabaseUrl
from gateway.settings import Settings
from gateway.web.app import init_app
from gateway.web.dashboard import setup_dashboard
from gateway.web.limits import make_runner
from tests.gateway.harness import serving_url

T = TypeVar("T")
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_dashboard(app: web.Application) -> web.Application:
    """``app`` serving the dashboard: the factory may already do it (once the lead wires it)."""
    if not any(getattr(resource, "canonical", None) == "/gtr" for resource in app.router.resources()):
        setup_dashboard(app)
    return app


def stuck_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """Where each task of ``loop`` is waiting, down its chain of awaits: what a hang needs."""
    lines = []
    for task in asyncio.all_tasks(loop):
        lines.append(f"  {task.get_name()}{' (cancelling)' if task.cancelling() else ''}")
        coro: Any = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is not None:
                lines.append(f"    {frame.f_code.co_qualname} {frame.f_code.co_filename}:{frame.f_lineno}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return "\n".join(lines)


class GatewayThread:
    """The gateway app (built by ``init_app``) on 127.0.0.1:``port`` in its own loop thread,
    logged in as ``url``'s app account (``tests.gateway.harness.serving_url``)."""

    def __init__(self, url: DatabaseUrl, port: int | None = None, **overrides: Any) -> None:
        self.url = url
        self.overrides = overrides  # more settings
        self.port = port or free_port()
        self.runner: web.AppRunner | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="gateway-loop", daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        """Run ``coro`` on the gateway's loop (the test's thread belongs to Playwright's)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"the gateway's loop did not finish in {timeout} s; its tasks:\n"
                               + stuck_tasks(self.loop)) from exc

    def start(self) -> GatewayThread:
        self.run(self._start())
        return self

    async def _start(self) -> None:
        settings = Settings(database_url=serving_url(self.url).secret_url(), host="127.0.0.1", port=self.port,
                            poll_interval=0.05, shutdown_timeout=1.0, **self.overrides)
        app = with_dashboard(init_app(settings))
        runner = make_runner(app, settings)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True).start()
        except BaseException:
            await runner.cleanup()
            raise
        self.runner = runner

    def stop(self) -> None:
        """Stop serving (sockets are closed with GOING_AWAY); the loop stays for a restart."""
        if self.runner is not None:
            runner, self.runner = self.runner, None
            self.run(runner.cleanup())

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
