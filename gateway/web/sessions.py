"""Sessions that end: a per-process cache of validated tokens, and the outbox events that
end sessions (issue 11).

A request's token is looked up in :class:`TokenCache` first; only a miss costs a database
call (``sp_validar_token``), so an authenticated request makes one database call, its own.
The cache never outlives the database's word by more than the tailer's poll:

* ``TOKEN_REVOKED``, ``TOKEN_EXPIRED`` and ``ASESOR_DEACTIVATED`` (written by
  ``sp_revocar_token``, ``sp_caducar_tokens`` and ``sp_desactivar_asesor`` in the
  transaction that ends the session) drop the entries they name as soon as the tailer reads
  them, before any socket is sent the read, and the hub closes the sockets of that token or
  asesor with :data:`CLOSE_SESSION_ENDED`;
* a lookup that was in flight while such an event was read is not cached, and is refused
  when the event names its token or asesor: the database may have answered before the
  commit, and caching that answer would serve a token after its revocation was read;
* an entry past its token's ``expires_at`` is not served (the database then refuses it);
* every entry is forgotten after ``token_cache_seconds``, which bounds what a change that
  wrote no event (a hand-edited table, an outbox lost in a failover) can leave stale; and
  the whole cache is dropped when the tailer loses the database or the outbox.

Unknown tokens are remembered too (``None``), for as long, so a client that repeats a bad
or revoked token does not cost a database call per request; a client that sends a new
random token each time is held by the failed-login limit (:class:`gateway.web.limits.AuthFailures`),
which counts cached refusals like the others. The cache holds at most ``size`` tokens of
each kind, least recently used first out.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from gateway.db.rows import OutboxEvent

# WebSocket close code of a socket whose session ended (revoked or expired token,
# deactivated asesor): reconnecting with the same token is refused with 401.
CLOSE_SESSION_ENDED = 4001
ENDING_EVENTS = frozenset({"TOKEN_REVOKED", "TOKEN_EXPIRED", "ASESOR_DEACTIVATED"})
# How many recent ending events a lookup in flight is checked against; a lookup that
# overlapped more than this is refused as if it had been named (it can retry).
RECENT_ENDS = 1000


@dataclass(frozen=True)
class Identity:
    """Who a live token is, as sp_validar_token said."""

    token_id: int
    role: Literal["gtr", "asesor"]
    asesor_id: int | None
    expires_at: datetime | None


@dataclass(frozen=True)
class SessionEnd:
    """What one ending event ends: a token, an asesor's sessions, or (both None) everything."""

    token_id: int | None = None
    asesor_id: int | None = None

    def ends(self, token_id: int, asesor_id: int | None) -> bool:
        if self.token_id is None and self.asesor_id is None:
            return True
        return self.token_id == token_id or (self.asesor_id is not None and self.asesor_id == asesor_id)


EVERYTHING = SessionEnd()


def session_end(event: OutboxEvent) -> SessionEnd | None:
    """The sessions ``event`` ends, or None for an event that ends none."""
    if event.event_type in ("TOKEN_REVOKED", "TOKEN_EXPIRED"):
        token_id = event.payload.get("tokenId") if isinstance(event.payload, dict) else None
        return SessionEnd(token_id=int(token_id)) if token_id is not None else EVERYTHING
    if event.event_type == "ASESOR_DEACTIVATED":
        return SessionEnd(asesor_id=event.asesor_id) if event.asesor_id is not None else EVERYTHING
    return None


class Missing:
    pass


MISS = Missing()  # get(): not cached, ask the database


class TokenCache:
    """Validated tokens by SHA-256 (see the module docstring). One per gateway process."""

    def __init__(self, size: int, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.max_age = max_age
        self._clock = clock
        self._known: collections.OrderedDict[str, tuple[Identity, float]] = collections.OrderedDict()
        self._unknown: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._ends: collections.deque[tuple[int, SessionEnd]] = collections.deque(maxlen=RECENT_ENDS)
        self._seq = 0  # ending events seen so far
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._known) + len(self._unknown)

    def mark(self) -> int:
        """Where the stream of ending events stands: take it before asking the database."""
        return self._seq

    def get(self, digest: str) -> Identity | None | Missing:
        """The cached identity, None for a cached unknown token, or MISS."""
        now = self._clock()
        entry = self._known.get(digest)
        if entry is not None:
            identity, cached_at = entry
            expired = identity.expires_at is not None and identity.expires_at <= datetime.now(UTC)
            if now - cached_at < self.max_age and not expired:
                self._known.move_to_end(digest)
                self.hits += 1
                return identity
            del self._known[digest]
        cached_at_unknown = self._unknown.get(digest)
        if cached_at_unknown is not None:
            if now - cached_at_unknown < self.max_age:
                self.hits += 1
                return None
            del self._unknown[digest]
        self.misses += 1
        return MISS

    def put(self, digest: str, identity: Identity | None, mark: int) -> Identity | None:
        """Remember what the database said about ``digest`` when asked at ``mark``. Returns
        the identity to use: None when an ending event read meanwhile names it."""
        if identity is not None and self.ended_since(mark, identity.token_id, identity.asesor_id):
            return None
        if self._seq != mark or self.size == 0:
            return identity  # the world moved while we asked: use the answer, cache nothing
        if identity is None:
            self._unknown[digest] = self._clock()
            self._unknown.move_to_end(digest)
            if len(self._unknown) > self.size:
                self._unknown.popitem(last=False)
        else:
            self._known[digest] = (identity, self._clock())
            self._known.move_to_end(digest)
            if len(self._known) > self.size:
                self._known.popitem(last=False)
        return identity

    def ended_since(self, mark: int, token_id: int, asesor_id: int | None) -> bool:
        """Whether an ending event read after ``mark`` names this token or asesor."""
        newer = self._seq - mark
        if newer <= 0:
            return False
        if newer > len(self._ends):
            return True
        return any(end.ends(token_id, asesor_id) for seq, end in self._ends if seq > mark)

    def end(self, ends: Iterable[SessionEnd]) -> None:
        """Forget what ``ends`` names (the tailer read their events)."""
        tokens: set[int] = set()
        asesores: set[int] = set()
        everything = False
        for end in ends:
            self._seq += 1
            self._ends.append((self._seq, end))
            everything |= end.token_id is None and end.asesor_id is None
            if end.token_id is not None:
                tokens.add(end.token_id)
            if end.asesor_id is not None:
                asesores.add(end.asesor_id)
        if everything:
            self._known.clear()
            return
        # One pass for a whole read of events (a thousand expiries at once stay cheap).
        for digest in [d for d, (i, _t) in self._known.items()
                       if i.token_id in tokens or (i.asesor_id is not None and i.asesor_id in asesores)]:
            del self._known[digest]

    def clear(self) -> None:
        """Forget everything: the tailer lost the database or outbox events (any lookup in
        flight is refused too, since an event it should be checked against may be lost)."""
        self.end([EVERYTHING])
        self._unknown.clear()
