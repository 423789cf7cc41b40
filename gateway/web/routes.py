"""The HTTP routes and the WebSocket endpoint. Each REST route is one procedure call.

Order of checks in every handler: a token is present and well formed (401, no database
call), the body and query parse and validate (400/413/422, no database call), then the
token is looked up (401) and the caller's role and asesor checked (403), then the call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel

from gateway.commands import importer
from gateway.db import procedures
from gateway.db.errors import ErrorCode
from gateway.db.procedures import Cliente, DatabaseError, ProcedureRefused
from gateway.web import openapi
from gateway.web.auth import Caller, authenticate, bearer_token
from gateway.web.http_errors import ApiError, forbidden, http_error, invalid
from gateway.web.keys import DATABASE, HUB, METRICS, SETTINGS, SOCKETS, SOCKETS_PER_TOKEN, TAILER, TOKEN_CACHE
from gateway.web.limits import read_body
from gateway.web.models import (
    BIGINT_MAX,
    Ack,
    ActualizarCliente,
    AsesorCreado,
    Asesores,
    AsesorEstado,
    AsesorNuevo,
    AsesorRequest,
    Board,
    CambioEstatus,
    ClienteCreado,
    ClienteNuevo,
    Derivacion,
    EstadoCambiado,
    Health,
    HealthUnavailable,
    HeartbeatResponse,
    HistorialResponse,
    ImportQuery,
    ImportResult,
    LineaRechazada,
    ListQuery,
    LockedRequest,
    LockResponse,
    WebSocketQuery,
    Yo,
)
from gateway.web.tailer import Subscriber

M = TypeVar("M", bound=BaseModel)
A = TypeVar("A", bound=AsesorRequest)
CLIENTE = "/api/clientes/{id:[0-9]{1,19}}"
ASESOR = "/api/asesores/{id:[0-9]{1,19}}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Who may call a route: no token at all, any live token, or a token of that role.
Access = Literal["public", "any", "gtr", "asesor"]


@dataclass(frozen=True)
class Route:
    """One route: what setup_routes registers and what /openapi.json says about it.

    The models named here are the ones the handler parses and answers with, so the
    document cannot drift from the code; a route exists only through this table.
    """

    method: str
    path: str  # aiohttp's path, with the id's pattern
    handler: Handler
    summary: str
    access: Access
    body: type[BaseModel] | None = None  # the JSON body's model
    body_media_type: str = "application/json"  # or text/csv: the body is read raw
    query: type[BaseModel] | None = None
    status: int = 200  # the answer on success
    response: type[BaseModel] | None = None  # None: the media type's generic schema
    response_media_type: str = "application/json"
    # Refusals beyond those the shape implies (see gateway/web/openapi.py: a body implies
    # 400/413/422, a token 401, a role 403, an id 404, the database 500/503).
    refusals: tuple[int, ...] = ()
    error_bodies: dict[int, type[BaseModel]] = field(default_factory=dict)  # not ErrorBody at that status
    description: str = ""
    # The token may come as ?token= (only /ws: browsers' WebSockets cannot set headers);
    # the handler reads it with bearer_token(request, query_token=route.query_token).
    query_token: bool = False


def setup_routes(app: web.Application) -> None:
    """Register every route of ROUTES (a GET also answers HEAD, as aiohttp's add_get does)."""
    for route in ROUTES:
        if route.method == "GET":
            app.router.add_get(route.path, route.handler)
        else:
            app.router.add_route(route.method, route.path, route.handler)


# -- helpers ------------------------------------------------------------------------------


def _db(request: web.Request) -> procedures.Database:
    return request.app[DATABASE]


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(text=model.model_dump_json(), status=status, content_type="application/json")


def _cliente_id(request: web.Request) -> int:
    value = int(request.match_info["id"])
    if not 1 <= value <= BIGINT_MAX:
        raise ProcedureRefused(ErrorCode.CLIENTE_NOT_FOUND, f"cliente {value} does not exist")
    return value


def _asesor_id(request: web.Request) -> int:
    value = int(request.match_info["id"])
    if not 1 <= value <= BIGINT_MAX:
        raise ProcedureRefused(ErrorCode.ASESOR_NOT_FOUND, f"asesor {value} does not exist")
    return value


async def _body(request: web.Request, model: type[M]) -> M:
    """The request body as ``model``: 413 when too large, 400 when not JSON, 422 when it
    does not fit. An empty body counts as ``{}``."""
    settings = request.app[SETTINGS]
    raw = await read_body(request, settings.max_body_bytes, settings.body_timeout)
    if not raw.strip():
        data: object = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, "malformed_json", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object")
    return model.model_validate(data)


async def _start(request: web.Request, model: type[M]) -> tuple[Caller, M]:
    token = bearer_token(request)
    body = await _body(request, model)
    return await authenticate(request, token), body


async def _asesor_start(request: web.Request, model: type[A]) -> tuple[int, int, A]:
    """An asesor's action on a customer: the customer's id, the acting asesor (from the
    token; a body asesorId must be the same) and the parsed body."""
    cliente_id = _cliente_id(request)
    caller, body = await _start(request, model)
    return cliente_id, caller.acting_asesor(body.asesorId), body


async def _caller(request: web.Request) -> Caller:
    return await authenticate(request, bearer_token(request))


def _not_yours(cliente_id: int) -> ProcedureRefused:
    return ProcedureRefused(ErrorCode.NOT_ASSIGNED, f"cliente {cliente_id} is not assigned to you")


# -- GTR ----------------------------------------------------------------------------------


async def crear_cliente(request: web.Request) -> web.Response:
    caller, body = await _start(request, ClienteNuevo)
    caller.require_gtr()
    cliente_id = await procedures.cargar_cliente(_db(request), body.nombre, body.telefono, body.datos)
    return _json(ClienteCreado(clienteId=cliente_id), status=201)


async def derivar_cliente(request: web.Request) -> web.Response:
    cliente_id = _cliente_id(request)
    caller, body = await _start(request, Derivacion)
    caller.require_gtr()
    await procedures.derivar_cliente(_db(request), cliente_id, body.asesorId, "gtr")
    return _json(EstadoCambiado(clienteId=cliente_id, seguimiento_status="derivado", asesorId=body.asesorId))


async def importar_csv(request: web.Request) -> web.Response:
    """Bulk import of a CSV body (see gateway/commands/importer.py), GTR only. The body may be far
    larger than other requests (import_max_bytes), so it is read here with its own cap.

    Nothing is loaded until the whole body has arrived: a body over the cap is 413, one
    that stops arriving 408, one the client cuts short fails the request; none loads a row."""
    token = bearer_token(request)
    query = ImportQuery.model_validate(dict(request.query))
    settings = request.app[SETTINGS]
    limit = settings.import_max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"the CSV is larger than {limit} bytes")
    caller = await authenticate(request, token)
    caller.require_gtr()
    data = await read_body(request, limit, settings.body_timeout)
    try:
        report = await importer.run_import(data, importer.load_with(_db(request), query.origen, query.skipDuplicates))
    except importer.ImportFileError as exc:
        raise invalid(str(exc)) from exc
    return _json(ImportResult(
        cargados=report.cargados,
        rechazados=[LineaRechazada(linea=r.linea, motivo=r.motivo) for r in report.rechazados],
        lotes=report.lotes, lotesYaImportados=report.lotes_ya_importados))


async def crear_asesor(request: web.Request) -> web.Response:
    caller, body = await _start(request, AsesorNuevo)
    caller.require_gtr()
    return _json(AsesorCreado(asesorId=await procedures.crear_asesor(_db(request), body.nombre)), status=201)


async def desactivar_asesor(request: web.Request) -> web.Response:
    asesor_id = _asesor_id(request)
    caller = await _caller(request)
    caller.require_gtr()
    result = await procedures.desactivar_asesor(_db(request), asesor_id, "gtr")
    return _json(AsesorEstado(asesorId=asesor_id, activo=False, clientesDevueltos=result.clientes_devueltos,
                              tokensRevocados=result.tokens_revocados))


async def activar_asesor(request: web.Request) -> web.Response:
    asesor_id = _asesor_id(request)
    caller = await _caller(request)
    caller.require_gtr()
    await procedures.activar_asesor(_db(request), asesor_id, "gtr")
    return _json(AsesorEstado(asesorId=asesor_id, activo=True))


# -- reads --------------------------------------------------------------------------------


async def listar_clientes(request: web.Request) -> web.Response:
    token = bearer_token(request)
    query = ListQuery.model_validate(dict(request.query))
    caller = await authenticate(request, token)
    asesor_id = query.asesorId
    if caller.role == "asesor":
        if asesor_id is not None and asesor_id != caller.asesor_id:
            raise forbidden("an asesor token sees only its own customers")
        asesor_id = caller.asesor_id
    listado = await procedures.listar_clientes(_db(request), query.estado, asesor_id, query.limit, query.offset)
    return _json(Board(snapshotOutboxId=listado.snapshot_outbox_id, total=listado.total, limit=query.limit,
                       offset=query.offset, timeoutSegundos=listado.timeout_segundos, clientes=listado.clientes))


async def obtener_cliente(request: web.Request) -> web.Response:
    cliente_id = _cliente_id(request)
    caller = await _caller(request)
    cliente = await procedures.obtener_cliente(_db(request), cliente_id)
    if not caller.may_see(cliente.asesor_asignado):
        raise _not_yours(cliente_id)
    return _json(cliente)


async def historial_cliente(request: web.Request) -> web.Response:
    cliente_id = _cliente_id(request)
    caller = await _caller(request)
    if caller.role != "gtr":
        # An asesor reads the history of its current customers only.
        cliente = await procedures.obtener_cliente(_db(request), cliente_id)
        if not caller.may_see(cliente.asesor_asignado):
            raise _not_yours(cliente_id)
    historial = await procedures.historial_cliente(_db(request), cliente_id)
    return _json(HistorialResponse(clienteId=cliente_id, historial=historial))


async def yo(request: web.Request) -> web.Response:
    """Who the token is: a dashboard learns its role, and an asesor its id and name."""
    caller = await _caller(request)
    nombre = None
    if caller.asesor_id is not None:
        asesores = await procedures.listar_asesores(_db(request))
        nombre = next((a.nombre for a in asesores if a.asesor_id == caller.asesor_id), None)
    return _json(Yo(role=caller.role, asesorId=caller.asesor_id, nombre=nombre))


async def listar_asesores(request: web.Request) -> web.Response:
    await _caller(request)
    return _json(Asesores(asesores=await procedures.listar_asesores(_db(request))))


# -- the asesor's work on a customer ------------------------------------------------------


async def tomar_cliente(request: web.Request) -> web.Response:
    cliente_id, asesor_id, _ = await _asesor_start(request, AsesorRequest)
    lock = await procedures.tomar_cliente(_db(request), cliente_id, asesor_id)
    return _json(LockResponse(clienteId=cliente_id, lockToken=lock.lock_token, lockExpiresAt=lock.lock_expires_at))


async def heartbeat_cliente(request: web.Request) -> web.Response:
    cliente_id, asesor_id, body = await _asesor_start(request, LockedRequest)
    expiry = await procedures.heartbeat_cliente(_db(request), cliente_id, asesor_id, body.lockToken)
    return _json(HeartbeatResponse(clienteId=cliente_id, lockExpiresAt=expiry.lock_expires_at))


async def abrir_wizard(request: web.Request) -> web.Response:
    cliente_id, asesor_id, body = await _asesor_start(request, LockedRequest)
    await procedures.abrir_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return _json(EstadoCambiado(clienteId=cliente_id, seguimiento_status="en_gestion", asesorId=asesor_id))


async def completar_wizard(request: web.Request) -> web.Response:
    cliente_id, asesor_id, body = await _asesor_start(request, LockedRequest)
    await procedures.completar_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return _json(EstadoCambiado(clienteId=cliente_id, seguimiento_status="terminado", asesorId=asesor_id))


async def cambiar_estatus(request: web.Request) -> web.Response:
    """The seed's PATCH: en_gestion opens the wizard, terminado completes it."""
    cliente_id, asesor_id, body = await _asesor_start(request, CambioEstatus)
    if body.estatus == "en_gestion":
        await procedures.abrir_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    else:
        await procedures.completar_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return _json(EstadoCambiado(clienteId=cliente_id, seguimiento_status=body.estatus, asesorId=asesor_id))


async def actualizar_cliente(request: web.Request) -> web.Response:
    cliente_id, asesor_id, body = await _asesor_start(request, ActualizarCliente)
    await procedures.actualizar_cliente(_db(request), cliente_id, asesor_id, body.lockToken, body.procedure_json())
    return _json(Ack(clienteId=cliente_id))


async def liberar_cliente(request: web.Request) -> web.Response:
    cliente_id, asesor_id, body = await _asesor_start(request, LockedRequest)
    await procedures.liberar_cliente(_db(request), cliente_id, asesor_id, body.lockToken)
    return _json(Ack(clienteId=cliente_id))


# -- operations ---------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    """Database reachable, event scheduler on, sweep enabled and on time, tailer lag."""
    hub, tailer = request.app[HUB], request.app[TAILER]
    since_read = tailer.seconds_since_read()
    tail = {
        "up": tailer.up,
        "deliveredId": hub.last_id,
        "secondsSinceRead": None if since_read is None else round(since_read, 3),
        "pollInterval": tailer.poll_interval,
    }
    sockets = hub.count_by_role()
    try:
        state = await procedures.estado_servidor(_db(request))
    except DatabaseError as exc:
        error = http_error(exc)
        body = {"error": {"code": error.code, "message": error.message}, "status": "unavailable",
                "database": "unreachable", "tailer": tail, "websockets": sockets}
        return web.json_response(body, status=error.status, headers=error.headers)
    problems = []
    if str(state.event_scheduler).upper() != "ON":
        problems.append("the event scheduler is OFF: the timeout sweep does not run")
    if state.barrido_estado != "ENABLED":
        problems.append("the sweep event ev_barrido_seguimiento is not enabled")
    if state.barrido_atraso_segundos is not None and state.barrido_atraso_segundos > 60:
        problems.append(f"the sweep is {state.barrido_atraso_segundos} s late")
    if not tailer.up:
        problems.append("the outbox tailer cannot read the outbox")
    tail["latestId"] = state.ultimo_outbox_id
    tail["lagEvents"] = None if hub.last_id is None else max(0, state.ultimo_outbox_id - hub.last_id)
    return web.json_response({
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "database": "up",
        "eventScheduler": state.event_scheduler,
        "sweepEvent": state.barrido_estado,
        "sweepDelaySeconds": state.barrido_atraso_segundos,
        "tailer": tail,
        "websockets": sockets,
    })


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=request.app[METRICS].render(), content_type="text/plain",
                        headers={"X-Content-Type-Options": "nosniff"}, charset="utf-8")


# -- WebSocket ----------------------------------------------------------------------------


def _origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser
    allowed = request.app[SETTINGS].allowed_origins
    if "*" in allowed:
        return True
    if allowed:
        return origin.rstrip("/") in allowed
    return urlsplit(origin).netloc.lower() == request.host.lower()


async def websocket(request: web.Request) -> web.StreamResponse:
    """Live events: ``GET /ws?since=<outbox id>&token=<token>``."""
    if not _origin_allowed(request):
        raise forbidden("this Origin may not open the WebSocket")
    token = bearer_token(request, query_token=WEBSOCKET_ROUTE.query_token)
    since: int | None = None
    if "since" in request.query:
        try:
            since = int(request.query["since"])
        except ValueError:
            since = -1
        if not 0 <= since <= BIGINT_MAX:
            raise invalid("since must be an outbox id (0 or more)")
    caller = await authenticate(request, token)
    hub = request.app[HUB]
    if hub.last_id is None:
        raise procedures.DatabaseUnavailable("the outbox tailer has not reached the database yet")
    settings = request.app[SETTINGS]
    per_token = request.app[SOCKETS_PER_TOKEN]
    if per_token[caller.token_id] >= settings.ws_max_per_token:
        raise ApiError(429, "too_many_websockets",
                       f"this token already has {settings.ws_max_per_token} WebSockets open (ws_max_per_token)")
    per_token[caller.token_id] += 1
    try:
        return await _serve_socket(request, caller, since)
    finally:
        per_token[caller.token_id] -= 1
        if per_token[caller.token_id] <= 0:
            del per_token[caller.token_id]


async def _serve_socket(request: web.Request, caller: Caller, since: int | None) -> web.StreamResponse:
    hub = request.app[HUB]
    settings = request.app[SETTINGS]
    ws = web.WebSocketResponse(compress=False, heartbeat=settings.ws_heartbeat, max_msg_size=64 * 1024)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the client went away during the handshake
        return ws
    request.app[SOCKETS].add(ws)
    sub = Subscriber(ws=ws, transport=transport, role=caller.role, asesor_id=caller.asesor_id,
                     token_id=caller.token_id)
    expiry: asyncio.TimerHandle | None = None
    try:
        # The session ends on time even before the database records the expiry (its
        # TOKEN_EXPIRED event closes it too, whatever this process's clock says).
        if caller.expires_at is not None:
            delay = (caller.expires_at - datetime.now(UTC)).total_seconds()
            expiry = asyncio.get_running_loop().call_later(max(0.0, delay), hub.end_session, sub)
        try:
            await hub.attach(sub, since, _db(request))
        except DatabaseError:
            await ws.close(code=1013, message=b"database unavailable: retry with since")
            return ws
        # An ending event read between the token check and the hub taking this socket in
        # found no socket to close: close it now.
        if request.app[TOKEN_CACHE].ended_since(caller.mark, caller.token_id, caller.asesor_id):
            hub.end_session(sub)
        async for _message in ws:
            pass  # dashboards only listen; pings and pongs are handled by aiohttp
    finally:
        if expiry is not None:
            expiry.cancel()
        hub.detach(sub)
        if sub.closing is not None:
            await sub.closing
    return ws


# -- the route table ----------------------------------------------------------------------


@cache
def _openapi_text() -> str:
    return json.dumps(openapi.document(ROUTES), ensure_ascii=False)


async def openapi_json(_request: web.Request) -> web.Response:
    """This gateway's OpenAPI 3.1 description, built from ROUTES and their models."""
    return web.Response(text=_openapi_text(), content_type="application/json")


LOCKED = "The caller must hold the customer's live edit lock (``lockToken`` from the lock route)."
ROUTES: tuple[Route, ...] = (
    Route("POST", "/api/clientes", crear_cliente, "Load a customer (nuevo). Event CLIENT_CREATED.", "gtr",
          body=ClienteNuevo, status=201, response=ClienteCreado),
    Route("GET", "/api/clientes", listar_clientes, "The board: a page of customers and its snapshotOutboxId.",
          "any", query=ListQuery, response=Board, refusals=(403,),
          description="An asesor token always gets its own customers (another asesorId: 403)."),
    Route("GET", CLIENTE, obtener_cliente, "One customer.", "any", response=Cliente, refusals=(403,),
          description="An asesor reads only a customer assigned to it (403 not_assigned)."),
    Route("GET", CLIENTE + "/historial", historial_cliente, "The customer's history.", "any",
          response=HistorialResponse, refusals=(403,),
          description="An asesor reads only the history of a customer assigned to it now."),
    Route("POST", CLIENTE + "/estatus", derivar_cliente, "Assign or reassign. Event CLIENT_REASSIGNED.", "gtr",
          body=Derivacion, response=EstadoCambiado, refusals=(409,)),
    Route("PATCH", CLIENTE + "/estatus", cambiar_estatus,
          "en_gestion opens the wizard, terminado completes it (the seed's PATCH).", "asesor",
          body=CambioEstatus, response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/lock", tomar_cliente, "Take the customer's edit lock (the same token while live).",
          "asesor", body=AsesorRequest, response=LockResponse, refusals=(409,)),
    Route("POST", CLIENTE + "/heartbeat", heartbeat_cliente, "Keep the lock and the customer alive.", "asesor",
          body=LockedRequest, response=HeartbeatResponse, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/open-wizard", abrir_wizard, "Open the wizard (en_gestion). Event CLIENT_IN_GESTION.",
          "asesor", body=LockedRequest, response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("PUT", CLIENTE, actualizar_cliente, "Edit nombre, telefono, datos. Event CLIENT_UPDATED.", "asesor",
          body=ActualizarCliente, response=Ack, refusals=(409,),
          description=LOCKED + " At least one of nombre, telefono, datos; telefono null clears the phone; "
                               "datos keys are merged (null removes a key)."),
    Route("POST", CLIENTE + "/complete-wizard", completar_wizard,
          "Complete the wizard (terminado). Event CLIENT_COMPLETED.", "asesor", body=LockedRequest,
          response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/release", liberar_cliente, "Drop the lock, keep the customer.", "asesor",
          body=LockedRequest, response=Ack, refusals=(409,), description=LOCKED),
    Route("GET", "/api/asesores", listar_asesores, "Every asesor.", "any", response=Asesores),
    Route("POST", "/api/asesores", crear_asesor, "Create an asesor.", "gtr", body=AsesorNuevo, status=201,
          response=AsesorCreado),
    Route("POST", ASESOR + "/deactivate", desactivar_asesor,
          "Make an asesor inactive. Events CLIENT_RETURNED_TO_GTR per customer, ASESOR_DEACTIVATED.", "gtr",
          response=AsesorEstado, refusals=(409,),
          description="Its customers (derivado, en_gestion) go back to GTR as no_gestionado (history reason "
                      "asesor_desactivado); its tokens are revoked, so its REST calls answer 401 and its "
                      "WebSockets close with 4001 on every gateway. 409 asesor_state_unchanged: already inactive."),
    Route("POST", ASESOR + "/activate", activar_asesor, "Make an inactive asesor active again. Event ASESOR_ACTIVATED.",
          "gtr", response=AsesorEstado, refusals=(409,),
          description="It needs new tokens: the ones revoked when it was deactivated stay revoked. "
                      "409 asesor_state_unchanged: already active."),
    Route("GET", "/api/me", yo, "Who the token is.", "any", response=Yo),
    Route("POST", "/api/importaciones", importar_csv, "Bulk import of leads from a CSV body.", "gtr",
          body_media_type="text/csv", query=ImportQuery, response=ImportResult,
          description="UTF-8 CSV with a header row naming nombre (required), telefono and any other columns "
                      "(into datos). Up to SEGUIMIENTO_IMPORT_MAX_BYTES (413 past it); no nombre column: 422. "
                      "Events CLIENTS_IMPORTED, one per batch of 5,000 rows."),
    Route("GET", "/health", health, "Database, event scheduler, sweep and tailer health (no token).", "public",
          response=Health, refusals=(500, 503), error_bodies={500: HealthUnavailable, 503: HealthUnavailable}),
    Route("GET", "/metrics", metrics, "Prometheus metrics (no token; restrict it at the network).", "public",
          response_media_type="text/plain"),
    Route("GET", "/openapi.json", openapi_json, "This document (no token).", "public"),
    WEBSOCKET_ROUTE := Route(
          "GET", "/ws", websocket, "Live events over a WebSocket (upgrade this request).", "any",
          query=WebSocketQuery, status=101, refusals=(400, 403, 422), query_token=True,
          description="Messages: {type, id, data} JSON text frames in id order (docs/api.md, WebSocket). "
                      "Refusals come before the upgrade, as HTTP errors (400: not a WebSocket upgrade; 403: "
                      "Origin not allowed; 422: bad since). After it, close codes 1001 (gateway stopping), "
                      "1013 (fell behind or database unreachable: reconnect with since), 4000 (resync), 4001 "
                      "(session ended: token revoked or expired, or asesor deactivated); a "
                      "client's own frames are ignored, but one over 64 KiB is cut with 1009, text that is not "
                      "UTF-8 with 1007, a protocol error with 1002. 429 too_many_websockets: the token "
                      "holds SEGUIMIENTO_WS_MAX_PER_TOKEN sockets already."),
)
