"""The database's failures as the gateway's domain exceptions, and the one place driver
errors become them (:func:`translate_error`).

Every caller (the catalogue in :mod:`gateway.db.procedures`, the pool in
:mod:`gateway.db.pool`, the HTTP mapping in ``gateway/web/http_errors.py``) sees only these
exceptions, raised ``from`` the driver's original. A procedure's own refusal keeps its
catalogued code (:mod:`gateway.db.errors`); callers branch on that code, never on text.
"""

from __future__ import annotations

import asyncio

import mysql.connector

from gateway.db.errors import ErrorCode


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
PROCEDURE_SQLSTATE = "45000"


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
