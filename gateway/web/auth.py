"""Bearer tokens: who is calling, and what that caller may do.

A token arrives in ``Authorization: Bearer <token>`` or, on ``/ws`` only (browsers'
WebSockets cannot set headers), in a ``token`` query parameter: anywhere else a query token
is refused, since URLs end up in proxy and server logs. The database keeps only its SHA-256
(``sp_crear_token``), and ``sp_validar_token`` says whose it is. Its answer is remembered
per process (:class:`gateway.web.sessions.TokenCache`) until the outbox event that ends the
session (revocation, expiry, the asesor's deactivation) is read, within the tailer's poll,
so a request costs one database call and an ended session stops within that poll.

Failed lookups (malformed or unknown tokens, cached or not) are counted per client address
(:class:`gateway.web.limits.AuthFailures`); an address over the limit is answered 429 before
any database call, so sending random tokens buys no database work.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiohttp import web

from gateway.db import procedures
from gateway.web.http_errors import forbidden, unauthorized
from gateway.web.keys import AUTH_FAILURES, DATABASE, TOKEN_CACHE
from gateway.web.sessions import Identity, Missing

TOKEN_PREFIX = "seg_"
# Tokens this gateway makes are seg_ + 43 url-safe characters; a deployment may record
# others (any printable token) through sp_crear_token, so accept those shapes too.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9._~+/=-]{16,256}$")


def new_token() -> str:
    """A fresh random bearer token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    """What the database stores for ``token``: its SHA-256, 64 lowercase hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """The holder of a live token."""

    token_id: int
    role: Literal["gtr", "asesor"]
    asesor_id: int | None
    expires_at: datetime | None = None
    # TokenCache.mark() when the token was found live: a socket checks it for ending events
    # read while it was being opened.
    mark: int = 0

    def require_gtr(self) -> None:
        if self.role != "gtr":
            raise forbidden("only a GTR token may do this")

    def acting_asesor(self, body_asesor_id: int | None) -> int:
        """The asesor an asesor token acts as; a different ``asesorId`` in the body is refused."""
        if self.role != "asesor" or self.asesor_id is None:
            raise forbidden("only an asesor token may do this")
        if body_asesor_id is not None and body_asesor_id != self.asesor_id:
            raise forbidden("an asesor token acts only as its own asesor")
        return self.asesor_id

    def may_see(self, asesor_asignado: int | None) -> bool:
        return self.role == "gtr" or (asesor_asignado is not None and asesor_asignado == self.asesor_id)


def _address(request: web.Request) -> str:
    return request.remote or ""


def bearer_token(request: web.Request, *, query_token: bool = False) -> str:
    """The request's token, checked for shape only (no database call). 401 when absent,
    malformed, or in the query string where ``query_token`` is not allowed (only /ws);
    429 when the client's address is over its failed-authentication limit."""
    request.app[AUTH_FAILURES].check(_address(request))
    if not query_token and "token" in request.query:
        raise unauthorized("send the token in the Authorization header (Bearer); "
                           "?token= is accepted on /ws only")
    header = request.headers.get("Authorization")
    token: str | None = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        token = value.strip()
    elif query_token:
        token = request.query.get("token")
    if not token:
        raise unauthorized()
    if not _TOKEN_SHAPE.match(token):
        request.app[AUTH_FAILURES].failed(_address(request))
        raise unauthorized("malformed bearer token")
    return token


async def authenticate(request: web.Request, token: str) -> Caller:
    """Who ``token`` belongs to. 401 for an unknown, revoked or inactive asesor's token
    (counted against the client's address); 429 when the address is over its limit."""
    failures = request.app[AUTH_FAILURES]
    failures.check(_address(request))  # again: a body read may have taken a while
    cache = request.app[TOKEN_CACHE]
    digest = token_sha256(token)
    mark = cache.mark()
    cached = cache.get(digest)
    if isinstance(cached, Missing):
        row = await procedures.validar_token(request.app[DATABASE], digest)
        found = None if row is None else Identity(row.token_id, row.rol, row.asesor_id, row.expires_at)
        identity = cache.put(digest, found, mark)
    else:
        identity = cached
    if identity is None:
        failures.failed(_address(request))
        raise unauthorized("unknown, revoked or expired token")
    return Caller(token_id=identity.token_id, role=identity.role, asesor_id=identity.asesor_id,
                  expires_at=identity.expires_at, mark=mark)
