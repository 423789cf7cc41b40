"""Presence, the gateway's half (issue 13): every ``presence_interval`` seconds each gateway
reports the asesores that have a live dashboard socket on it (``sp_reportar_conectados``).

The database does the rest: ``sp_distribuir`` (its event, every 5 s) sets ``desconectado``
an asesor that no gateway has reported for ``presencia_socket_segundos`` (90 by default).
Nothing depends on a gateway saying goodbye, so a gateway that crashes simply stops
reporting, and its asesores go ``desconectado`` on time, while one whose dashboard is open on
another gateway keeps being reported there and stays as it is. The procedure's contract is a
report at least every ``presencia_socket_segundos / 3`` seconds: the default interval, 20 s,
keeps that with the default 90 s (tests/gateway/test_presence.py runs it with smaller ones).

An empty report is still sent: it costs one call and keeps the contract simple.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.db import procedures
from gateway.db.exceptions import DatabaseError
from gateway.db.pool import Database
from gateway.web.tailer import Hub

log = logging.getLogger(__name__)


def connected_asesores(hub: Hub) -> list[int]:
    """The asesores with at least one open dashboard socket on this gateway."""
    return sorted({sub.asesor_id for sub in hub.subscribers
                   if sub.role == "asesor" and sub.asesor_id is not None and not sub.closed})


async def report(db: Database, hub: Hub, interval: float) -> None:
    """Runs until cancelled: reports at once, then every ``interval`` seconds. A database
    that is down is simply told again next time (the asesores' last-seen times then age, as
    they should: no gateway can vouch for them)."""
    while True:
        try:
            await procedures.reportar_conectados(db, connected_asesores(hub))
        except DatabaseError as exc:
            log.debug("presence report failed, next in %.1f s: %s", interval, exc)
        except Exception:
            # A bug, but presence must go on being reported: say so loudly, try again.
            log.exception("presence report failed unexpectedly, next in %.1f s", interval)
        await asyncio.sleep(interval)
