"""Database URLs: ``mysql://user:password@host:port/database``.

Every ``seguimiento`` command takes its server the same way: ``--database-url`` or, when
that is absent, the ``SEGUIMIENTO_DATABASE_URL`` environment variable.
"""

from __future__ import annotations

import os
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, Field

ENV_VAR = "SEGUIMIENTO_DATABASE_URL"
SCHEMES = ("mysql", "mariadb")


class DatabaseUrlError(ValueError):
    """The database URL is missing or malformed."""


class DatabaseUrl(BaseModel, frozen=True):
    """Where the seguimiento database lives."""

    user: str = "root"
    password: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=3306, ge=1, le=65535)
    database: str = Field(pattern=r"^[A-Za-z0-9_$]{1,64}$")

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise DatabaseUrlError(f"database URL must start with mysql:// (got {url!r})")
        database = parts.path.lstrip("/")
        if not database:
            raise DatabaseUrlError("database URL names no database: mysql://user:pw@host:port/DATABASE")
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise DatabaseUrlError(f"database URL has a bad port: {exc}") from exc
        try:
            return cls(
                user=unquote(parts.username or "root"),
                password=unquote(parts.password or ""),
                host=parts.hostname or "127.0.0.1",
                port=port,
                database=database,
            )
        except ValueError as exc:
            raise DatabaseUrlError(f"bad database URL: {exc}") from exc

    @classmethod
    def from_args_or_env(cls, url: str | None) -> DatabaseUrl:
        url = url or os.environ.get(ENV_VAR)
        if not url:
            raise DatabaseUrlError(
                f"no database given: pass --database-url mysql://user:password@host:port/database "
                f"or set {ENV_VAR}"
            )
        return cls.parse(url)

    def with_database(self, database: str) -> DatabaseUrl:
        return self.model_copy(update={"database": database})

    def connect_args(self) -> dict[str, object]:
        """Keyword arguments for ``mysql.connector.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
        }

    def secret_url(self) -> str:
        """The URL with its password, for handing to another tool (yoyo, settings); never print it."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"mysql://{auth}@{self.host}:{self.port}/{self.database}"

    def __str__(self) -> str:  # never print the password
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}"
