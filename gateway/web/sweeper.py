"""The sweep, followed from the gateway: a primary promoted from a replica (a Group
Replication election, or a DBA's promotion) has its sweep event disabled, since events
replicate as REPLICA_SIDE_DISABLED (MariaDB: SLAVESIDE_DISABLED). No customer would time out
again, silently. So every ``sweep_interval`` seconds each gateway asks the primary it is
connected to (``sp_estado_servidor``) whether the event scheduler is on and the sweep event
enabled, and when either is not, calls ``sp_barrido_seguimiento`` itself.

The automatic distribution (issue 13) is followed the same way: when the scheduler is off
or ``ev_distribuir`` is not enabled, the gateway calls ``sp_distribuir`` too, so leads still
flow to available asesores (and stale presences still go desconectado) after a failover;
that procedure keeps two runs apart with its own named lock.

Never two sweeps at once: the procedure takes a named lock (GET_LOCK) on the server before
it changes anything, and answers ``omitido`` when another run holds it, whether that run is
the event or another gateway. Only a writable primary can sweep: a replica's copy of the
event is disabled, and a sweep called there fails on read_only.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.db import procedures, rows
from gateway.db.exceptions import DatabaseError
from gateway.db.pool import Database
from gateway.web.metrics import Metrics

log = logging.getLogger(__name__)


async def needs_gateway_sweep(db: Database) -> bool:
    """Whether the primary's own event does not sweep (scheduler off or event disabled)."""
    state = await procedures.estado_servidor(db)
    return state.event_scheduler.upper() != "ON" or state.barrido_estado != "ENABLED"


def needs_gateway_distribution(state: rows.ServerState) -> bool:
    """Whether the primary's own ev_distribuir does not run (scheduler off or event disabled)."""
    return state.event_scheduler.upper() != "ON" or state.distribuir_estado != "ENABLED"


async def follow(db: Database, interval: float, metrics: Metrics) -> None:
    """Runs until cancelled; a database that is down is simply asked again next time. The
    first look is one interval after start: a gateway's start does not wait on it."""
    while True:
        await asyncio.sleep(interval)
        try:
            state = await procedures.estado_servidor(db)
            if state.event_scheduler.upper() != "ON" or state.barrido_estado != "ENABLED":
                returned = await procedures.barrido_seguimiento(db)
                metrics.gateway_swept(returned)
                if returned:
                    log.info("sweep run by the gateway (the primary's event does not run): %d returned", returned)
            if needs_gateway_distribution(state):
                run = await procedures.distribuir(db)
                if run.asignados or run.desconectados:
                    log.info("distribution run by the gateway (the primary's event does not run): %d assigned, "
                             "%d desconectado", run.asignados, run.desconectados)
        except DatabaseError as exc:
            log.debug("sweep check failed, next in %.0f s: %s", interval, exc)
        except Exception:
            # Anything else is a bug, but the sweep must go on: say so loudly and look again
            # next time rather than let the task end unnoticed.
            log.exception("sweep check failed unexpectedly, next in %.0f s", interval)
