"""The one catalogue of what the gateway asks the database: one function per procedure.

Nothing else in the gateway builds SQL. Every function here CALLs one stored procedure
with bound parameters, drains every result set, and returns typed rows (pydantic models).
Driver errors are translated into the domain exceptions below in exactly one place,
:func:`translate_error`, and raised ``from`` the original.

Connections come from :class:`Database`, a small asyncio pool of autocommit UTC sessions
(``mysql.connector.aio``). A connection that failed in any way other than a procedure's
own refusal is shut down rather than reused, and a lost connection empties the pool, so a
restarted server is reached again with fresh sessions without restarting the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import mysql.connector
import mysql.connector.aio
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from gateway.db.dburl import DatabaseUrl
from gateway.db.errors import ErrorCode

# ---------------------------------------------------------------------------------------
# Domain exceptions
# ---------------------------------------------------------------------------------------


class DatabaseError(Exception):
    """The database could not do what was asked."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class ProcedureRefused(DatabaseError):
    """A procedure refused the call (SIGNAL SQLSTATE '45000' with a catalogued code)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached right now; try again shortly."""


class DatabaseBusy(DatabaseError):
    """The database gave up on the call (deadlock or lock wait timeout); nothing was changed, try again."""


class UnexpectedDatabaseError(DatabaseError):
    """The database answered with an error the gateway does not expect."""


# MySQL/MariaDB error numbers, by name, grouped by what they mean to a caller.
LOST_CONNECTION = frozenset({
    1040,  # ER_CON_COUNT_ERROR: too many connections
    1053,  # ER_SERVER_SHUTDOWN: the server is shutting down
    1077,  # ER_NORMAL_SHUTDOWN
    1152,  # ER_ABORTING_CONNECTION
    1927,  # ER_CONNECTION_KILLED (MariaDB)
    2002,  # CR_CONNECTION_ERROR: cannot connect through the socket
    2003,  # CR_CONN_HOST_ERROR: cannot connect to the host
    2005,  # CR_UNKNOWN_HOST
    2006,  # CR_SERVER_GONE_ERROR
    2013,  # CR_SERVER_LOST: lost connection during a query
    2055,  # CR_SERVER_LOST_EXTENDED
    4031,  # ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8): the server dropped an idle session
    # Group Replication refused the commit (no quorum, or the member left the group): the
    # transaction was rolled back, and another member is, or soon will be, the primary.
    3100,  # ER_RUN_HOOK_ERROR
    3101,  # ER_TRANSACTION_ROLLBACK_DURING_COMMIT
})
# "running with the --read-only / --super-read-only option": the session reached a server
# that is no longer (or not yet) the primary. The same number also means other options
# (--secure-file-priv), so only the read-only ones count as "reconnect elsewhere".
OPTION_PREVENTS_STATEMENT = 1290
TRANSIENT_CONFLICT = frozenset({
    1205,  # ER_LOCK_WAIT_TIMEOUT
    1213,  # ER_LOCK_DEADLOCK
})
DEADLOCK = 1213
SSL_CONNECTION_ERROR = 2026  # CR_SSL_CONNECTION_ERROR: no TLS offered, or the handshake failed
PROCEDURE_SQLSTATE = "45000"
# A deadlock victim was rolled back whole (every procedure's exit handler does ROLLBACK),
# so the call can be made again safely.
DEADLOCK_RETRIES = 2
DISCARD_TIMEOUT_S = 2.0


def translate_error(exc: BaseException) -> DatabaseError:
    """The domain exception for a driver, socket or timeout error. The only such mapping."""
    if isinstance(exc, DatabaseError):
        return exc
    if isinstance(exc, mysql.connector.Error):
        errno = exc.errno or 0
        if exc.sqlstate == PROCEDURE_SQLSTATE and errno in ErrorCode._value2member_map_:
            return ProcedureRefused(ErrorCode(errno), exc.msg or "")
        if errno in TRANSIENT_CONFLICT:
            return DatabaseBusy()
        if errno in LOST_CONNECTION or isinstance(exc, mysql.connector.errors.InterfaceError):
            return DatabaseUnavailable()
        if errno == OPTION_PREVENTS_STATEMENT and "read-only" in (exc.msg or "").lower().replace("_", "-"):
            return DatabaseUnavailable()
        if isinstance(exc, mysql.connector.errors.OperationalError) and errno in (0, -1):
            return DatabaseUnavailable()
        return UnexpectedDatabaseError()
    if isinstance(exc, OSError | asyncio.TimeoutError | ConnectionError | EOFError):
        return DatabaseUnavailable()
    return UnexpectedDatabaseError()


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

Connection = Any  # mysql.connector.aio's connection; its stubs are incomplete
Row = dict[str, Any]
CallObserver = Callable[[str, str, float], None]


class Database:
    """An asyncio pool of autocommit, UTC connections to one database, and the CALL helper.

    ``observe(procedure, outcome, seconds)`` is told about every call (for metrics);
    ``on_events()`` after every successful call of a procedure that writes outbox events
    (the outbox tailer uses it to deliver them without waiting for its poll).

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


# ---------------------------------------------------------------------------------------
# Row models
# ---------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    """The driver returns naive datetimes; every session runs in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _json_object(value: object) -> object:
    """MariaDB hands JSON columns back as text; MySQL may hand back str or bytes."""
    if isinstance(value, bytes | bytearray):
        value = value.decode()
    if isinstance(value, str):
        return json.loads(value)
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]
Estado = Literal["nuevo", "derivado", "en_gestion", "terminado", "no_gestionado"]
ESTADOS: tuple[Estado, ...] = ("nuevo", "derivado", "en_gestion", "terminado", "no_gestionado")


class RowModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Cliente(RowModel):
    """A customer as ``v_clientes`` shows it (the lock token is never included)."""

    cliente_id: int
    nombre: str
    telefono: str | None
    datos: JsonObject | None
    seguimiento_status: Estado
    asesor_asignado: int | None
    created_at: UtcDatetime
    derivado_at: UtcDatetime | None
    opened_at: UtcDatetime | None
    last_activity: UtcDatetime | None
    wizard_completado: bool
    fecha_wizard_completado: UtcDatetime | None
    bloqueado: bool
    updated_at: UtcDatetime
    vence_at: UtcDatetime | None  # when the sweep returns it unless the asesor acts first


class Listado(RowModel):
    """One page of the board and the outbox id it is consistent with."""

    snapshot_outbox_id: int
    total: int
    timeout_segundos: int
    clientes: list[Cliente]


class Historial(RowModel):
    historial_id: int
    cliente_id: int
    estado_anterior: str | None
    estado_nuevo: str
    asesor_id: int | None
    asesor_anterior_id: int | None
    actor: str
    motivo: str
    outbox_id: int
    created_at: UtcDatetime


class Asesor(RowModel):
    asesor_id: int
    nombre: str
    activo: bool


class Lock(RowModel):
    lock_token: str
    lock_expires_at: UtcDatetime


class LockExpiry(RowModel):
    lock_expires_at: UtcDatetime


class OutboxEvent(RowModel):
    id: int
    event_type: str
    cliente_id: int | None
    asesor_id: int | None
    previous_asesor_id: int | None
    payload: JsonObject
    created_at: UtcDatetime


class OutboxLimits(RowModel):
    primer_id: int | None
    ultimo_id: int


class TokenIdentity(RowModel):
    token_id: int
    rol: Literal["gtr", "asesor"]
    asesor_id: int | None
    expires_at: UtcDatetime | None = None


class ServerState(RowModel):
    event_scheduler: str
    barrido_estado: str | None
    ultimo_outbox_id: int
    barrido_atraso_segundos: int | None


def _one(sets: list[list[Row]], procedure: str) -> Row:
    if not sets or len(sets[0]) != 1:
        raise UnexpectedDatabaseError(f"{procedure} did not return exactly one row")
    return sets[0][0]


def _rows(sets: list[list[Row]]) -> list[Row]:
    return sets[0] if sets else []


# ---------------------------------------------------------------------------------------
# The procedures
# ---------------------------------------------------------------------------------------


async def crear_asesor(db: Database, nombre: str) -> int:
    """sp_crear_asesor: adds an asesor; its id."""
    return int(_one(await db.call("sp_crear_asesor", (nombre,)), "sp_crear_asesor")["asesor_id"])


class AsesorDesactivado(RowModel):
    clientes_devueltos: int
    tokens_revocados: int


async def desactivar_asesor(db: Database, asesor_id: int, actor: Literal["gtr", "dba"]) -> AsesorDesactivado:
    """sp_desactivar_asesor: the asesor stops working: its customers go back to GTR, its
    tokens are revoked. Events CLIENT_RETURNED_TO_GTR per customer, ASESOR_DEACTIVATED."""
    sets = await db.call("sp_desactivar_asesor", (asesor_id, actor))
    db.on_events()
    return AsesorDesactivado.model_validate(_one(sets, "sp_desactivar_asesor"))


async def activar_asesor(db: Database, asesor_id: int, actor: Literal["gtr", "dba"]) -> None:
    """sp_activar_asesor: an inactive asesor may work again. Event ASESOR_ACTIVATED."""
    await db.call("sp_activar_asesor", (asesor_id, actor))
    db.on_events()


async def listar_asesores(db: Database) -> list[Asesor]:
    """sp_listar_asesores: every asesor."""
    return [Asesor.model_validate(r) for r in _rows(await db.call("sp_listar_asesores"))]


async def cargar_cliente(db: Database, nombre: str, telefono: str | None, datos: dict[str, Any] | None) -> int:
    """sp_cargar_cliente: GTR loads a customer as nuevo; its id. Event CLIENT_CREATED."""
    datos_json = None if datos is None else json.dumps(datos, ensure_ascii=False)
    sets = await db.call("sp_cargar_cliente", (nombre, telefono, datos_json))
    db.on_events()
    return int(_one(sets, "sp_cargar_cliente")["cliente_id"])


async def derivar_cliente(db: Database, cliente_id: int, asesor_id: int, actor: Literal["gtr", "dba"]) -> None:
    """sp_derivar_cliente: (re)assigns a customer to an asesor. Event CLIENT_REASSIGNED."""
    await db.call("sp_derivar_cliente", (cliente_id, asesor_id, actor))
    db.on_events()


async def tomar_cliente(db: Database, cliente_id: int, asesor_id: int) -> Lock:
    """sp_tomar_cliente: the assigned asesor takes (or retakes) the edit lock."""
    return Lock.model_validate(_one(await db.call("sp_tomar_cliente", (cliente_id, asesor_id)), "sp_tomar_cliente"))


async def heartbeat_cliente(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> LockExpiry:
    """sp_heartbeat_cliente: the asesor is still working the customer."""
    sets = await db.call("sp_heartbeat_cliente", (cliente_id, asesor_id, lock_token))
    return LockExpiry.model_validate(_one(sets, "sp_heartbeat_cliente"))


async def abrir_wizard(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_abrir_wizard: derivado -> en_gestion. Event CLIENT_IN_GESTION."""
    await db.call("sp_abrir_wizard", (cliente_id, asesor_id, lock_token))
    db.on_events()


async def actualizar_cliente(
    db: Database, cliente_id: int, asesor_id: int, lock_token: str, datos: dict[str, Any]
) -> None:
    """sp_actualizar_cliente: edits nombre/telefono and merges datos. Event CLIENT_UPDATED."""
    datos_json = json.dumps(datos, ensure_ascii=False)
    await db.call("sp_actualizar_cliente", (cliente_id, asesor_id, lock_token, datos_json))
    db.on_events()


async def completar_wizard(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_completar_wizard: en_gestion -> terminado. Event CLIENT_COMPLETED."""
    await db.call("sp_completar_wizard", (cliente_id, asesor_id, lock_token))
    db.on_events()


async def liberar_cliente(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_liberar_cliente: the asesor drops the edit lock and keeps the customer."""
    await db.call("sp_liberar_cliente", (cliente_id, asesor_id, lock_token))


async def listar_clientes(
    db: Database, estado: Estado | None, asesor_id: int | None, limite: int, desplazamiento: int
) -> Listado:
    """sp_listar_clientes: a page of the board and the outbox id it reflects."""
    sets = await db.call("sp_listar_clientes", (estado, asesor_id, limite, desplazamiento))
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError("sp_listar_clientes did not return its two result sets")
    head = sets[0][0]
    return Listado(
        snapshot_outbox_id=int(head["snapshot_outbox_id"]),
        total=int(head["total"]),
        timeout_segundos=int(head["timeout_segundos"]),
        clientes=[Cliente.model_validate(r) for r in sets[1]],
    )


async def obtener_cliente(db: Database, cliente_id: int) -> Cliente:
    """sp_obtener_cliente: one customer."""
    return Cliente.model_validate(_one(await db.call("sp_obtener_cliente", (cliente_id,)), "sp_obtener_cliente"))


async def historial_cliente(db: Database, cliente_id: int) -> list[Historial]:
    """sp_historial_cliente: every change of one customer, oldest first."""
    return [Historial.model_validate(r) for r in _rows(await db.call("sp_historial_cliente", (cliente_id,)))]


async def outbox_leer(db: Database, desde_id: int, limite: int) -> list[OutboxEvent]:
    """sp_outbox_leer: events with id > desde_id in id order (ids are gap-free)."""
    return [OutboxEvent.model_validate(r) for r in _rows(await db.call("sp_outbox_leer", (desde_id, limite)))]


async def outbox_limites(db: Database) -> OutboxLimits:
    """sp_outbox_limites: the oldest kept and the newest committed outbox ids."""
    return OutboxLimits.model_validate(_one(await db.call("sp_outbox_limites"), "sp_outbox_limites"))


class TokenCreado(RowModel):
    token_id: int
    expires_at: UtcDatetime | None


async def crear_token(
    db: Database, token_sha256: str, rol: Literal["gtr", "asesor"], asesor_id: int | None, descripcion: str | None,
    vigencia_segundos: int | None = None,
) -> TokenCreado:
    """sp_crear_token_con_vigencia: records a bearer token by its SHA-256; its id and expiry.
    ``vigencia_segundos`` None takes the database's default, 0 means no expiry."""
    sets = await db.call("sp_crear_token_con_vigencia", (token_sha256, rol, asesor_id, descripcion,
                                                         vigencia_segundos))
    return TokenCreado.model_validate(_one(sets, "sp_crear_token_con_vigencia"))


async def validar_token(db: Database, token_sha256: str) -> TokenIdentity | None:
    """sp_validar_token: who a live token is; None for an unknown or revoked one."""
    rows = _rows(await db.call("sp_validar_token", (token_sha256,)))
    return TokenIdentity.model_validate(rows[0]) if rows else None


async def revocar_token(db: Database, token_id: int) -> bool:
    """sp_revocar_token: stops a token at once; whether one was revoked. Event TOKEN_REVOKED."""
    sets = await db.call("sp_revocar_token", (token_id,))
    db.on_events()
    return bool(_one(sets, "sp_revocar_token")["revocados"])


async def estado_servidor(db: Database) -> ServerState:
    """sp_estado_servidor: scheduler, sweep event, newest outbox id, sweep delay."""
    return ServerState.model_validate(_one(await db.call("sp_estado_servidor"), "sp_estado_servidor"))


class Importacion(RowModel):
    importacion_id: int
    cargados: int
    rechazados: int
    ya_importado: bool


class LineaRechazada(RowModel):
    linea: int
    motivo: str


class ResultadoImportacion(RowModel):
    importacion_id: int
    cargados: int
    ya_importado: bool
    rechazadas: list[LineaRechazada]


async def importar_lote(
    db: Database, clave: str, origen: str | None, filas_json: str, omitir_duplicados: bool
) -> ResultadoImportacion:
    """sp_importar_lote: loads one batch of leads set-based. Event CLIENTS_IMPORTED."""
    sets = await db.call("sp_importar_lote", (clave, origen, filas_json, int(omitir_duplicados)))
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError("sp_importar_lote did not return its two result sets")
    head = Importacion.model_validate(sets[0][0])
    if not head.ya_importado:
        db.on_events()
    return ResultadoImportacion(
        importacion_id=head.importacion_id,
        cargados=head.cargados,
        ya_importado=head.ya_importado,
        rechazadas=[LineaRechazada.model_validate(r) for r in sets[1]],
    )


async def configurar(db: Database, clave: str, valor: int) -> int:
    """sp_configurar: changes one setting; its previous value."""
    return int(_one(await db.call("sp_configurar", (clave, valor)), "sp_configurar")["valor_anterior"])


async def barrido_seguimiento(db: Database) -> int:
    """sp_barrido_seguimiento: runs the timeout sweep now; how many customers it returned."""
    sets = await db.call("sp_barrido_seguimiento")
    db.on_events()
    return int(_one(sets, "sp_barrido_seguimiento")["devueltos"])
