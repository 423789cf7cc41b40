"""The connection pool: :class:`Database`, an asyncio pool of autocommit UTC sessions
(``mysql.connector.aio``), and its one helper, :meth:`Database.call`.

A connection that failed in any way other than a procedure's own refusal is shut down
rather than reused, and a lost connection empties the pool, so a restarted server is reached
again with fresh sessions without restarting the gateway. After a successful call of a
procedure that writes outbox events (:data:`gateway.db.outbox.EVENT_WRITING_PROCEDURES`),
``call`` wakes the outbox tailer itself, so no caller has to remember to.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Literal

import mysql.connector
import mysql.connector.aio

from gateway.db.dburl import DatabaseUrl
from gateway.db.exceptions import (
    DEADLOCK,
    DatabaseBusy,
    DatabaseError,
    DatabaseUnavailable,
    ProcedureRefused,
    translate_error,
)
from gateway.db.outbox import EVENT_WRITING_PROCEDURES

SSL_CONNECTION_ERROR = 2026  # CR_SSL_CONNECTION_ERROR: no TLS offered, or the handshake failed
# A deadlock victim was rolled back whole (every procedure's exit handler does ROLLBACK),
# so the call can be made again safely.
DEADLOCK_RETRIES = 2
DISCARD_TIMEOUT_S = 2.0

Connection = Any  # mysql.connector.aio's connection; its stubs are incomplete
Row = dict[str, Any]
CallObserver = Callable[[str, str, float], None]


def server_offers_tls(url: DatabaseUrl, timeout: float) -> bool:
    """Whether the server speaks TLS, asked once with the blocking client, which falls back
    to plain text by itself. The asyncio client cannot: against a server without TLS it
    must be told ``ssl_disabled``, and against MySQL 8.4 it must NOT be, because logging in
    with caching_sha2_password (8.4's default) over plain text is refused."""
    try:
        conn = mysql.connector.connect(**url.connect_args(), use_pure=True,
                                       connection_timeout=max(1, round(timeout)))
    except mysql.connector.Error as exc:
        raise translate_error(exc) from exc
    try:
        return bool(conn.is_secure)
    finally:
        conn.close()


SslMode = Literal["disabled", "preferred", "required", "verify_identity"]


class TlsRequired(DatabaseUnavailable):
    """The database did not give an encrypted, verified session, and TLS is required."""


def tls_arguments(mode: SslMode, ca: str | None) -> dict[str, object]:
    """The asyncio client's TLS arguments for a mode that insists on TLS (the CA file is
    given separately: see :func:`_open_connection`)."""
    args: dict[str, object] = {"ssl_disabled": False}
    if ca is not None or mode == "verify_identity":
        args["ssl_verify_cert"] = True
    if mode == "verify_identity":
        args["ssl_verify_identity"] = True
    return args


def certificate_names(cert: dict[str, Any], host: str) -> bool:
    """Whether a verified peer certificate (``getpeercert()``) names ``host``: an IP address
    among its IP subjectAltNames, or a DNS name among its DNS ones (a ``*.`` wildcard
    standing for one leftmost label). The common name is not used, as in browsers."""
    names = cert.get("subjectAltName", ())
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return any(kind == "IP Address" and ipaddress.ip_address(value.strip()) == address
                   for kind, value in names)
    wanted = host.lower().rstrip(".").split(".")
    for kind, value in names:
        if kind != "DNS":
            continue
        pattern = value.lower().rstrip(".").split(".")
        if len(pattern) != len(wanted):
            continue
        pairs = enumerate(zip(pattern, wanted, strict=True))
        if all(p == w or (i == 0 and p == "*" and len(wanted) > 2) for i, (p, w) in pairs):
            return True
    return False


async def _open_connection(ssl_ca: str | None, **kwargs: Any) -> Connection:
    """An asyncio connection (as ``mysql.connector.aio.connect``, which builds and connects
    the same class); ``ssl_ca``: the CA file the server's certificate must chain to.

    mysql-connector's asyncio client refuses ``ssl_ca`` without a client certificate (its
    option check wants ``ssl_cert`` and ``ssl_key`` whenever any of the three is given),
    although its TLS handshake uses a CA alone correctly. So the CA is set after that check.
    tests/gateway/test_tls.py fails if a certificate from another CA were then accepted.
    """
    conn = mysql.connector.aio.MySQLConnection(**kwargs)
    if ssl_ca is not None:
        conn._ssl_ca = ssl_ca
    try:
        await conn.connect()
    except BaseException:
        # A refused handshake leaves the client's socket open: close it here.
        if conn._socket is not None:
            with contextlib.suppress(Exception):
                await conn._socket.close_connection()
        raise
    return conn


def _connection_survives(exc: BaseException) -> bool:
    """Whether a connection that raised ``exc`` is still in a clean state to reuse."""
    translated = translate_error(exc) if isinstance(exc, Exception) else None
    return isinstance(translated, ProcedureRefused | DatabaseBusy)


# ---------------------------------------------------------------------------------------
# The connection pool
# ---------------------------------------------------------------------------------------


class Database:
    """An asyncio pool of autocommit, UTC connections to one database, and the CALL helper.

    ``observe(procedure, outcome, seconds)`` is told about every call (for metrics).
    ``on_events()`` is called by :meth:`call` itself after every successful call of a
    procedure in :data:`~gateway.db.outbox.EVENT_WRITING_PROCEDURES` (the outbox tailer sets
    it to deliver the new events without waiting for its poll).

    ``hosts``: other ``(host, port)`` servers that may be the primary (a Group Replication
    group, or a replica a DBA may promote). With any given, a new session goes to the first
    of the URL's server and these that is writable (``@@GLOBAL.read_only`` off: a group's
    secondaries and a classic replica are read-only), trying the last one found first. The
    group itself elects; the gateway only follows, so no proxy is needed in front of it.
    """

    def __init__(
        self,
        url: DatabaseUrl,
        *,
        size: int = 10,
        connect_timeout: float = 5.0,
        query_timeout: float = 30.0,
        observe: CallObserver | None = None,
        ssl_mode: SslMode = "preferred",
        ssl_ca: str | None = None,
        hosts: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.url = url
        candidates = [url] + [url.model_copy(update={"host": h, "port": p}) for h, p in hosts]
        self._candidates = list({(c.host, c.port): c for c in candidates}.values())
        self.primary = url  # where the last session went (the last primary found)
        self.ssl_mode = ssl_mode
        self.ssl_ca = ssl_ca
        self.size = size
        self._connect_timeout = connect_timeout
        self._query_timeout = query_timeout
        self._observe = observe
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(size)
        self._closed = False
        self.on_events: Callable[[], None] = lambda: None
        self.reachable: bool | None = None  # None until the first call says
        # Whether sessions use TLS: decided by the mode, or (preferred) asked once.
        self.tls: bool | None = {"disabled": False, "preferred": None}.get(ssl_mode, True)

    async def _connect(self) -> Connection:
        if len(self._candidates) == 1:
            return await self._connect_to(self.url)
        # The last primary first, then the others in their order.
        order = [self.primary] + [c for c in self._candidates if c != self.primary]
        for candidate in order:
            try:
                conn = await self._connect_to(candidate)
            except TlsRequired:
                raise
            except (mysql.connector.Error, OSError, DatabaseUnavailable) as exc:
                if isinstance(translate_error(exc), DatabaseUnavailable):
                    continue  # down (a killed primary): the next one
                raise
            try:
                cur = await conn.cursor()
                await cur.execute("SELECT @@GLOBAL.read_only")
                row = await cur.fetchone()
                await cur.close()
            except BaseException:
                await self._discard(conn)
                raise
            if row is not None and str(row[0]) in ("0", "OFF"):
                self.primary = candidate
                return conn
            await self._discard(conn)
        raise DatabaseUnavailable("no writable primary among " + ", ".join(f"{c.host}:{c.port}" for c in order))

    async def _connect_to(self, url: DatabaseUrl) -> Connection:
        if self.tls is None:
            self.tls = await asyncio.to_thread(server_offers_tls, url, self._connect_timeout)
        tls: dict[str, object] = {"ssl_disabled": not self.tls}
        if self.ssl_mode in ("required", "verify_identity"):
            tls = tls_arguments(self.ssl_mode, self.ssl_ca)
        try:
            conn = await _open_connection(
                self.ssl_ca if self.ssl_mode in ("required", "verify_identity") else None,
                **url.connect_args(),
                autocommit=True,
                time_zone="+00:00",
                connection_timeout=max(1, round(self._connect_timeout)),
                **tls,
            )
        except (mysql.connector.Error, TypeError, ssl.SSLError) as exc:
            # With TLS required the client refuses a server (or a man-in-the-middle) that does
            # not offer it, or whose certificate does not verify; some of those refusals come
            # out of mysql.connector as a TypeError. Never fall back to plain text.
            tls_refused = not isinstance(exc, mysql.connector.Error) or exc.errno == SSL_CONNECTION_ERROR
            if self.ssl_mode in ("required", "verify_identity") and tls_refused:
                raise TlsRequired(f"no TLS session with the database (database_ssl_mode "
                                  f"{self.ssl_mode}): {exc}") from exc
            raise
        if self.ssl_mode in ("required", "verify_identity") and not conn.is_secure:
            # Belt and braces: whatever the client library did, a plain session is not used.
            await conn.close()
            raise TlsRequired(f"the database session is not encrypted (database_ssl_mode {self.ssl_mode})")
        if self.ssl_mode == "verify_identity":
            # mysql-connector's asyncio client asks for the host name check but starts TLS
            # without the host name, so the check never happens (a certificate for any name
            # from the right CA passed): the gateway checks the verified certificate itself.
            writer = getattr(conn._socket, "_writer", None)
            cert = writer.get_extra_info("peercert") if writer is not None else None
            if not cert or not certificate_names(cert, url.host):
                await conn.close()
                raise TlsRequired(f"the database's certificate does not name {url.host} "
                                  "(database_ssl_mode verify_identity)")
        # The database must give up on a lock before the gateway gives up on the call: it
        # then rolls the call back and the answer (503 database_busy) truly means nothing
        # changed. With the server's default (50 s) past the query timeout (30 s), a call the
        # gateway had answered 503 went on to commit once the lock freed.
        cur = await conn.cursor()
        await cur.execute(f"SET SESSION innodb_lock_wait_timeout = {self.lock_wait_timeout}")
        await cur.close()
        return conn

    @property
    def lock_wait_timeout(self) -> int:
        """Seconds a call may wait for a row lock: half the query timeout, at least 1."""
        return max(1, int(self._query_timeout // 2))

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; discarded instead of returned if it failed uncleanly."""
        if self._closed:
            raise DatabaseUnavailable("the gateway is shutting down")
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                yield conn
            except BaseException as exc:
                # A procedure's refusal (or a deadlock it rolled back) leaves the session
                # clean; anything else (lost connection, timeout, cancellation) may not.
                if _connection_survives(exc) and not self._closed:
                    self._idle.append(conn)
                else:
                    await self._discard(conn)
                raise
            else:
                if self._closed:
                    await self._discard(conn)
                else:
                    self._idle.append(conn)

    async def _discard(self, conn: Connection) -> None:
        # Bounded: it often runs while the task is being cancelled, when a hang here (the
        # driver waits for the socket to report closed) would never be interrupted.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(DISCARD_TIMEOUT_S):
                await conn.shutdown()

    async def discard_idle(self) -> None:
        """Shut every idle connection: after a lost connection, the others are stale too."""
        idle, self._idle = self._idle, []
        for conn in idle:
            await self._discard(conn)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.close()

    async def call(self, procedure: str, args: Sequence[object] = ()) -> list[list[Row]]:
        """CALL ``procedure`` with bound ``args``; every result set, each a list of dict rows.

        ``procedure`` is always one of this module's constants, never caller input.
        """
        started = time.perf_counter()
        outcome = "ok"
        try:
            for attempt in range(DEADLOCK_RETRIES + 1):
                try:
                    # asyncio.timeout, not wait_for, which on Python 3.11 can swallow a
                    # cancellation that lands as the call completes.
                    async with asyncio.timeout(self._query_timeout):
                        sets = await self._call_once(procedure, args)
                except Exception as exc:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        # The driver answers a cancellation in the middle of a read with an
                        # error of its own; passing that on as a database error would let
                        # the caller (the outbox tailer's retry loop) carry on as if never
                        # cancelled, and a gateway's stop would wait on it forever.
                        raise asyncio.CancelledError() from exc
                    error = translate_error(exc)
                    retry = (isinstance(exc, mysql.connector.Error) and exc.errno == DEADLOCK
                             and attempt < DEADLOCK_RETRIES)
                    if retry:
                        continue
                    raise error from exc
                self.reachable = True
                if procedure in EVENT_WRITING_PROCEDURES:
                    # A wake with nothing new (an import batch loaded before) costs the
                    # tailer one empty read; a missed wake would cost a poll's delay.
                    self.on_events()
                return sets
            raise AssertionError("unreachable")  # pragma: no cover
        except DatabaseError as exc:
            outcome = type(exc).__name__
            if isinstance(exc, DatabaseUnavailable):
                self.reachable = False
                await self.discard_idle()
            elif isinstance(exc, ProcedureRefused):
                self.reachable = True
            raise
        finally:
            if self._observe is not None:
                self._observe(procedure, outcome, time.perf_counter() - started)

    async def _call_once(self, procedure: str, args: Sequence[object]) -> list[list[Row]]:
        placeholders = ", ".join(["%s"] * len(args))
        async with self.connection() as conn:
            cur = await conn.cursor(dictionary=True)
            await cur.execute(f"CALL {procedure}({placeholders})", tuple(args))
            sets: list[list[Row]] = []
            # Drain every result set, or the session is left out of sync.
            while True:
                if cur.with_rows:
                    sets.append(list(await cur.fetchall()))
                if not await cur.nextset():
                    break
            # Only here: after a failure closing the cursor would read "the rest of the
            # result" from the socket, which after a cancellation or a lost server may never
            # come, and a cancelled task must not wait on it (it once held a gateway's stop).
            # A refusal leaves nothing unread; anything else discards the connection.
            await cur.close()
            return sets
