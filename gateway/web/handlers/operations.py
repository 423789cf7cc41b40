"""What operators and monitoring read without a token: /health and /metrics."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.db.exceptions import DatabaseError
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.http_errors import http_error
from gateway.web.keys import HUB, METRICS, TAILER
from gateway.web.models import ErrorDetail, Health, HealthUnavailable, TailerState

# Past this many seconds late, the sweep is reported as a problem.
SWEEP_LATE_SECONDS = 60


async def health(request: web.Request) -> web.Response:
    """Database reachable, event scheduler on, sweep enabled and on time, tailer lag."""
    hub, tailer = request.app[HUB], request.app[TAILER]
    since_read = tailer.seconds_since_read()
    tail = TailerState(up=tailer.up, deliveredId=hub.last_id,
                       secondsSinceRead=None if since_read is None else round(since_read, 3),
                       pollInterval=tailer.poll_interval)
    sockets = hub.count_by_role()
    try:
        state = await procedures.estado_servidor(_db(request))
    except DatabaseError as exc:
        error = http_error(exc)
        unavailable = HealthUnavailable(error=ErrorDetail(code=error.code, message=error.message),
                                        status="unavailable", database="unreachable", tailer=tail, websockets=sockets)
        # Without the database, latestId and lagEvents are unknown: left out, not null.
        response = answer(unavailable, error.status, exclude_unset=True)
        response.headers.update(error.headers)
        return response
    problems = []
    if str(state.event_scheduler).upper() != "ON":
        problems.append("the event scheduler is OFF: the timeout sweep does not run")
    if state.barrido_estado != "ENABLED":
        problems.append("the sweep event ev_barrido_seguimiento is not enabled")
    if state.barrido_atraso_segundos is not None and state.barrido_atraso_segundos > SWEEP_LATE_SECONDS:
        problems.append(f"the sweep is {state.barrido_atraso_segundos} s late")
    if not tailer.up:
        problems.append("the outbox tailer cannot read the outbox")
    lag = None if hub.last_id is None else max(0, state.ultimo_outbox_id - hub.last_id)
    return answer(Health(
        status="degraded" if problems else "ok",
        problems=problems,
        database="up",
        eventScheduler=state.event_scheduler,
        sweepEvent=state.barrido_estado,
        sweepDelaySeconds=state.barrido_atraso_segundos,
        tailer=tail.model_copy(update={"latestId": state.ultimo_outbox_id, "lagEvents": lag}),
        websockets=sockets,
    ))


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text exposition of this process's metrics."""
    return web.Response(text=request.app[METRICS].render(), content_type="text/plain",
                        headers={"X-Content-Type-Options": "nosniff"}, charset="utf-8")
