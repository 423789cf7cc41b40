"""Helpers for the gateway tests: a real gateway on loopback, real HTTP and WebSocket clients.

Tests are plain functions that run one coroutine with :func:`run` (no asyncio plugin): it
fails the test when the coroutine takes longer than its timeout, so every test stops by
itself.

The gateway logs in as the app account of ``seguimiento grants``, as in production, not as
the administrator the tests set up and inspect the database with: the session fixture
:func:`app_account` (used by the gateway, browser, fuzz and reliability folders) creates the
three accounts on the session's database once, and :func:`serving_url` turns the
administrator's URL a test hands to :func:`running_gateway`, :class:`GatewayProcess` or the
browser tests' gateway into the app account's. A procedure missing from
``grants.APP_PROCEDURES`` then fails these tests with 1370 instead of passing as root.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, ParamSpec

import aiohttp
import pytest
from aiohttp import web

from gateway.db import grants
from gateway.db.dburl import DatabaseUrl
from gateway.db.migrate import migrate
from gateway.settings import Settings
from gateway.web.app import init_app
from gateway.web.auth import new_token, token_sha256
from gateway.web.keys import METRICS
from gateway.web.limits import make_runner
from tests.support import Db

P = ParamSpec("P")
Json = Any


def run(timeout: float = 60.0) -> Callable[[Callable[P, Coroutine[Any, Any, None]]], Callable[P, None]]:
    """Run an async test body in a fresh event loop, failing it after ``timeout`` seconds."""

    def decorate(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            async def bounded() -> None:
                await asyncio.wait_for(fn(*args, **kwargs), timeout)

            try:
                asyncio.get_running_loop()
            except RuntimeError:
                loop_running = False
            else:
                loop_running = True
            if not loop_running:
                asyncio.run(bounded())
                return
            # Something else keeps a loop running in this thread (Playwright's sync API does,
            # for the browser tests' session): give the test a thread and a loop of its own.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, bounded()).result()

        return wrapper

    return decorate


def url_text(url: DatabaseUrl) -> str:
    """The URL with its password, for settings and subprocesses (str() hides it)."""
    auth = url.user + (f":{url.password}" if url.password else "")
    return f"mysql://{auth}@{url.host}:{url.port}/{url.database}"


# The app account's login per database, by (host, port, database) of the admin URL.
_APP_LOGINS: dict[tuple[str, int, str], DatabaseUrl] = {}


def _key(url: DatabaseUrl) -> tuple[str, int, str]:
    return (url.host, url.port, url.database)


def register_app_login(admin: DatabaseUrl, app: DatabaseUrl) -> None:
    """From now on a test gateway given ``admin`` logs in as ``app``."""
    _APP_LOGINS[_key(admin)] = app


def forget_app_login(admin: DatabaseUrl) -> None:
    _APP_LOGINS.pop(_key(admin), None)


def serving_url(url: DatabaseUrl) -> DatabaseUrl:
    """The login a test gateway uses for ``url``'s database: its app account when one was
    registered (:func:`app_account`, ``tests.privateserver``), else ``url`` itself."""
    return _APP_LOGINS.get(_key(url), url)


@dataclass(frozen=True)
class AppAccount:
    """The three accounts of ``seguimiento grants`` on one database, and the app's login."""

    admin: DatabaseUrl
    accounts: dict[str, grants.Account]
    url: DatabaseUrl


def grant_app_account(admin: DatabaseUrl, prefix: str | None = None) -> AppAccount:
    """Run ``seguimiento grants``' steps on ``admin``'s (migrated) database with a random
    account prefix, and register the app's login for the test gateways.

    migrate re-creates every object under the owner, and re-enables disabled events: the
    events the database had disabled (tests call the sweep themselves) are disabled again.
    """
    # Short: MySQL user names are at most 32 characters ("sg1a2b3c4d_reporting" is 20).
    prefix = prefix or "sg" + secrets.token_hex(4)
    accounts = grants.accounts_for(prefix)
    passwords = {role: secrets.token_urlsafe(18) for role in ("app", "reporting")}
    db = Db(admin)
    try:
        disabled = [row["EVENT_NAME"] for row in db.query(
            "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() AND STATUS <> 'ENABLED'")]
        grants.apply(admin, accounts, passwords)
        migrate(admin)
        for name in disabled:
            db.execute(f"ALTER EVENT `{name}` DISABLE")
    finally:
        db.close()
    app = admin.model_copy(update={"user": accounts["app"].user, "password": passwords["app"]})
    register_app_login(admin, app)
    return AppAccount(admin, accounts, app)


def drop_app_account(account: AppAccount) -> None:
    forget_app_login(account.admin)
    db = Db(account.admin)
    try:
        for each in account.accounts.values():
            db.execute(f"DROP USER IF EXISTS {each.sql()}")
    finally:
        db.close()


_SESSION_ACCOUNTS: dict[tuple[str, int, str], AppAccount] = {}


@pytest.fixture(scope="session", autouse=True)
def app_account(migrated_url: DatabaseUrl) -> Iterator[AppAccount]:
    """The app account on the session's database, made once however many folders ask (each
    conftest that imports this fixture has its own copy of it); dropped at the session's end."""
    key = _key(migrated_url)
    if key not in _SESSION_ACCOUNTS:
        _SESSION_ACCOUNTS[key] = grant_app_account(migrated_url)
    try:
        yield _SESSION_ACCOUNTS[key]
    finally:
        account = _SESSION_ACCOUNTS.pop(key, None)
        if account is not None:
            drop_app_account(account)


def make_token(db: Db, role: str, asesor_id: int | None = None) -> str:
    """A live bearer token recorded through sp_crear_token, as `seguimiento token create` does."""
    token = new_token()
    db.call("sp_crear_token", token_sha256(token), role, asesor_id, "test")
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    """A running gateway: its base URL, and the app when it runs in this process."""

    base: str
    app: web.Application | None = None

    def procedure_calls(self, *, excluding_tailer: bool = True) -> int:
        """Procedure calls this (in-process) gateway made, leaving out the tailer's reads."""
        assert self.app is not None
        calls = self.app[METRICS].calls
        skip = {"sp_outbox_leer", "sp_outbox_limites"} if excluding_tailer else set()
        return sum(n for (proc, _outcome), n in calls.items() if proc not in skip)


@contextlib.asynccontextmanager
async def running_gateway(url: DatabaseUrl, **overrides: Any) -> AsyncIterator[Gateway]:
    """The gateway app (built by init_app) serving on a free loopback port, logged in as
    ``url``'s app account (:func:`serving_url`)."""
    # sweep_interval 0: the session's database has its events disabled (tests sweep when they
    # mean to), which a gateway would take for a promoted primary and sweep itself.
    values: dict[str, Any] = {"database_url": url_text(serving_url(url)), "host": "127.0.0.1", "port": 0,
                              "poll_interval": 0.1, "shutdown_timeout": 2.0, "sweep_interval": 0}
    values.update(overrides)
    settings = Settings(**values)
    app = init_app(settings)
    runner = make_runner(app, settings)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield Gateway(f"http://127.0.0.1:{port}", app)
    finally:
        await runner.cleanup()


class GatewayProcess:
    """``seguimiento serve`` as a real subprocess on a free loopback port, logged in as
    ``url``'s app account (:func:`serving_url`).

    ``command`` is how to run ``seguimiento`` (default: this interpreter's ``-m gateway``; the
    wheel test gives another virtualenv's script) and ``cwd`` the folder it runs in.
    """

    def __init__(self, url: DatabaseUrl, port: int | None = None, env: dict[str, str] | None = None,
                 command: Sequence[str] = (sys.executable, "-m", "gateway"), cwd: str | None = None) -> None:
        self.url = url
        self.port = port or free_port()
        # No sweep unless asked: see running_gateway.
        self.env = {**os.environ, "SEGUIMIENTO_POLL_INTERVAL": "0.1", "SEGUIMIENTO_SWEEP_INTERVAL": "0", **(env or {})}
        self.command = list(command)
        self.cwd = cwd
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._drainer: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> GatewayProcess:
        self.output = []
        self.process = subprocess.Popen(
            [*self.command, "serve", "--database-url", url_text(serving_url(self.url)),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            env=self.env, cwd=self.cwd,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if "listening on" in line:
                # Keep draining its output, so a chatty server never blocks on a full pipe.
                self._drainer = threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True)
                self._drainer.start()
                return self
        self.stop()
        raise AssertionError("seguimiento serve did not start:\n" + "".join(self.output))

    def _drain(self, stream: IO[str]) -> None:
        with contextlib.suppress(ValueError, OSError):
            for line in stream:
                self.output.append(line)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a process manager would; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._drainer is not None:
            self._drainer.join(5)
            self._drainer = None
        elif self.process.stdout is not None and not self.process.stdout.closed:
            self.output.append(self.process.stdout.read())
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL, a crash: no graceful stop, sockets and requests cut mid-flight. The exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        return self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class Api:
    """An HTTP client of one gateway with one token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str | None) -> None:
        self.session = session
        self.base = base
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def raw(self, method: str, path: str, *, data: bytes | str | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, Json]:
        async with self.session.request(method, self.base + path, data=data,
                                        headers={**self.headers(), **(headers or {})}) as response:
            text = await response.text()
            body = json.loads(text) if text and response.content_type == "application/json" else text
            return response.status, body

    async def call(self, method: str, path: str, body: Json = None, *, expect: int | None = None) -> Json:
        data = None if body is None else json.dumps(body)
        status, answer = await self.raw(method, path, data=data,
                                        headers={"Content-Type": "application/json"})
        if expect is not None:
            assert status == expect, f"{method} {path} -> {status} {answer}"
        return answer

    async def status(self, method: str, path: str, body: Json = None) -> tuple[int, Json]:
        data = None if body is None else json.dumps(body)
        return await self.raw(method, path, data=data, headers={"Content-Type": "application/json"})


def error_code(body: Json) -> str:
    """The ``code`` of an error body, checking the one error shape on the way."""
    assert isinstance(body, dict) and set(body) >= {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str)
    assert "Traceback" not in body["error"]["message"]
    return str(body["error"]["code"])


@dataclass
class Listener:
    """A WebSocket subscriber that collects every message in the background."""

    ws: aiohttp.ClientWebSocketResponse
    messages: list[Json] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> Listener:
        self._task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self.messages.append(json.loads(message.data))
                    self._changed.set()
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            self._changed.set()

    def events(self, type_: str | None = None) -> list[Json]:
        return [m for m in self.messages if type_ is None or m["type"] == type_]

    def ids(self) -> list[int]:
        return [m["id"] for m in self.messages]

    async def until(self, done: Callable[[list[Json]], bool], timeout: float = 10.0, what: str = "") -> None:
        """Wait until ``done(messages)``; fail with what was received after ``timeout``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(self.messages):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or (self.closed.is_set() and not done(self.messages)):
                if self.closed.is_set() and remaining > 0:
                    raise AssertionError(f"socket closed ({self.close_code}) waiting for {what}: {self.messages}")
                raise AssertionError(f"timed out waiting for {what}: got {self.messages[-20:]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def until_type(self, type_: str, count: int = 1, timeout: float = 10.0) -> list[Json]:
        await self.until(lambda ms: sum(m["type"] == type_ for m in ms) >= count, timeout, f"{count} {type_}")
        return self.events(type_)

    async def until_id(self, last_id: int, timeout: float = 10.0) -> None:
        await self.until(lambda ms: bool(ms) and ms[-1]["id"] is not None and ms[-1]["id"] >= last_id,
                         timeout, f"id {last_id}")

    async def close(self) -> None:
        await self.ws.close()
        if self._task is not None:
            await self._task


async def listen(session: aiohttp.ClientSession, base: str, token: str, since: int | None = None,
                 **params: str) -> Listener:
    query = {"token": token, **params}
    if since is not None:
        query["since"] = str(since)
    ws = await session.ws_connect(base.replace("http://", "ws://") + "/ws", params=query, autoping=True)
    return Listener(ws).start()


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def hand_written_events(db: Db, n: int, *, pad: int = 0, commit: bool = True, hold: float = 0.0,
                        event_type: str = "TEST_EVENT") -> None:
    """n outbox events written by hand in ONE transaction, the way every writer must: ids
    reserved through _reservar_outbox_ids as the last step, held until COMMIT (or ROLLBACK,
    which takes them back). ``hold`` keeps the transaction open that many seconds."""
    assert 1 <= n <= 1000
    db.execute("START TRANSACTION")
    try:
        db.execute("CALL _reservar_outbox_ids(%s, @primero)", (n,))
        db.execute(
            "INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at) "
            "SELECT @primero + i, %s, NULL, NULL, NULL, JSON_OBJECT('i', i, 'pad', REPEAT('x', %s)), "
            "       UTC_TIMESTAMP(6) "
            "  FROM (SELECT a.d + 10 * b.d + 100 * c.d AS i FROM "
            "        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
            "         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
            "         UNION ALL SELECT 9) a, "
            "        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
            "         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
            "         UNION ALL SELECT 9) b, "
            "        (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
            "         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
            "         UNION ALL SELECT 9) c) seq "
            " WHERE i < %s",
            (event_type, pad, n),
        )
        if hold:
            time.sleep(hold)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT" if commit else "ROLLBACK")


def last_outbox_id(db: Db) -> int:
    return int(db.query("SELECT ultimo_id FROM outbox_secuencia WHERE id = 1")[0]["ultimo_id"])


LISTENING = re.compile(r"listening on http://[^:]+:(\d+)")
