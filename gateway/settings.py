"""The gateway's settings: environment variables ``SEGUIMIENTO_*`` and/or a dotenv file.

``seguimiento serve --settings FILE`` reads FILE (``KEY=value`` lines, same names as the
environment variables); a variable set in the environment wins over the file, and a
command-line option wins over both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.db.dburl import DatabaseUrl, DatabaseUrlError


class Settings(BaseSettings):
    """Everything ``seguimiento serve`` can be told. Times are in seconds."""

    model_config = SettingsConfigDict(env_prefix="SEGUIMIENTO_", extra="ignore", frozen=True)

    database_url: str | None = Field(default=None, description="mysql://user:password@host:port/database")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # How often the outbox tailer looks for events written outside this gateway (DBA, sweep,
    # another gateway). Events from this gateway's own calls wake it at once.
    poll_interval: float = Field(default=0.2, gt=0, le=10)
    pool_size: int = Field(default=10, ge=1, le=200)
    # Origins a browser's WebSocket may come from, comma-separated. Empty: only same-origin
    # pages (Origin's host equals Host) and clients that send no Origin. "*": any origin.
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # A socket whose unsent data passes this many bytes is closed (it resumes with ?since=).
    ws_max_pending_bytes: int = Field(default=1 << 20, ge=1024)
    # Ping every so often; a socket that does not answer within half of it is closed.
    ws_heartbeat: float = Field(default=20.0, gt=0)
    max_body_bytes: int = Field(default=128 * 1024, ge=1024)
    # POST /api/importaciones reads its CSV with its own cap (100,000 leads are ~5 MB).
    import_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # Connections: an idle keep-alive connection is closed after keepalive_timeout; a request
    # whose line and headers have not all arrived header_timeout after its first byte is cut
    # (a client holding a partial header); a body that stops arriving for body_timeout is
    # answered 408. Past max_connections open connections, a new one is answered 503 and closed.
    keepalive_timeout: float = Field(default=15.0, gt=0)
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)
    # WebSockets one token may hold open at once (a dashboard needs one per tab).
    ws_max_per_token: int = Field(default=20, ge=1)
    # A client address whose token lookups failed auth_max_failures times within
    # auth_failure_window seconds gets 429 (Retry-After) for every token until the window
    # ends, without a database call: random tokens cannot buy database work.
    auth_max_failures: int = Field(default=20, ge=1)
    auth_failure_window: float = Field(default=60.0, gt=0)
    # Validated (and unknown) tokens each process remembers, so a request costs one database
    # call, not two; 0 turns the cache off. An entry is dropped by the outbox event that
    # ends its session (read within poll_interval) and in any case after
    # token_cache_seconds, which bounds what a change without an event leaves stale.
    token_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)
    token_cache_seconds: float = Field(default=60.0, gt=0, le=3600)
    # TLS to the database: disabled; preferred (TLS when the server offers it, else plain
    # text: a man-in-the-middle can downgrade it); required (TLS or no connection; the
    # certificate is checked against database_ssl_ca when one is given); verify_identity
    # (TLS, certificate signed by database_ssl_ca and naming the URL's host).
    database_ssl_mode: Literal["disabled", "preferred", "required", "verify_identity"] = "preferred"
    database_ssl_ca: Path | None = None
    # Other servers that may be the primary, "host:port" comma-separated (a Group Replication
    # group's other members; a replica a DBA may promote). Each new session goes to the one
    # that is writable: the gateway follows a failover by itself (docs/scaling.md).
    database_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Every sweep_interval seconds the gateway asks the primary whether its sweep event runs
    # (a primary promoted from a replica has it disabled) and, if not, runs the sweep itself;
    # sp_barrido_seguimiento's named lock keeps two sweeps apart. 0: never.
    sweep_interval: float = Field(default=30.0, ge=0)
    # Every presence_interval seconds the gateway reports the asesores with a live dashboard
    # socket on it (sp_reportar_conectados); one that no gateway reports for the database's
    # presencia_socket_segundos (90 by default) goes desconectado. The procedure's contract is
    # at most presencia_socket_segundos / 3 between reports: keep this at or below it. 0: never
    # (then every asesor this gateway serves ages towards desconectado).
    presence_interval: float = Field(default=20.0, ge=0, le=3600)
    connect_timeout: float = Field(default=5.0, gt=0)
    query_timeout: float = Field(default=30.0, gt=0)
    # On SIGTERM/SIGINT: how long in-flight requests may take to finish.
    shutdown_timeout: float = Field(default=10.0, ge=0)

    @field_validator("database_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, tuple | list):
            for item in value:
                host, _, port = str(item).rpartition(":")
                if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
                    raise ValueError(f"database_hosts: {item!r} is not host:port")
        return value

    def database_candidates(self) -> list[tuple[str, int]]:
        """``database_hosts`` as (host, port) pairs."""
        return [(item.rpartition(":")[0], int(item.rpartition(":")[2])) for item in self.database_hosts]

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _ca_for_verify_identity(self) -> Settings:
        if self.database_ssl_mode == "verify_identity" and self.database_ssl_ca is None:
            raise ValueError("database_ssl_mode verify_identity needs database_ssl_ca (the CA certificate file)")
        if self.database_ssl_ca is not None and not self.database_ssl_ca.is_file():
            raise ValueError(f"database_ssl_ca: no file {self.database_ssl_ca}")
        return self

    def database(self) -> DatabaseUrl:
        """The parsed database URL (``SEGUIMIENTO_DATABASE_URL``)."""
        if not self.database_url:
            raise DatabaseUrlError(
                "no database given: pass --database-url mysql://user:password@host:port/database "
                "or set SEGUIMIENTO_DATABASE_URL"
            )
        return DatabaseUrl.parse(self.database_url)


def load_settings(env_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment (and ``env_file``), with ``overrides`` (not None) on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if env_file is not None:
        return Settings(_env_file=env_file, **given)  # type: ignore[call-arg, arg-type]
    return Settings(**given)  # type: ignore[arg-type]
