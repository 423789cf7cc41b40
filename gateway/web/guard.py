"""The route table's machinery: a :class:`Route` says who may call it and what it takes, and
:func:`guard` turns it into the aiohttp handler that enforces that before the route's own code.

Every route, REST or WebSocket, is checked in the order docs/api.md documents, by this one
function, so a route cannot skip or reorder a step:

1. route-specific refusals that need nothing else (the WebSocket's Origin: 403);
2. the token's shape (401, no database call; 429 past the failed-login limit);
3. the query and the body parse and validate (400/408/413/422, no database call; a raw body
   is only measured here against its cap, and read after step 5);
4. the token is looked up (401);
5. access: the role (403 ``forbidden``); an ``asesorId`` in an asesor token's body or query
   must be its own (403) and is filled in from the token; a path id must be a BIGINT (404,
   as the procedures would say); and where the route declares ``assigned_only``, an asesor
   token reads only a customer assigned to it now (403 ``not_assigned``);
6. the handler runs with what its route declares, by keyword: ``request`` always, ``caller``
   (not on public routes), ``body``, ``query``, the path's id as ``cliente_id`` or
   ``asesor_id``, and on ``assigned_only`` routes ``cliente``, the row step 5 loaded (None for
   a GTR token, which step 5 does not load it for).

A handler's parameters are checked against its route when the table is built (an import
error, not a test failure, names what is missing), so the table and the code cannot disagree.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel

from gateway.db import procedures
from gateway.db.errors import ErrorCode
from gateway.db.exceptions import ProcedureRefused
from gateway.db.pool import Database
from gateway.db.rows import Cliente
from gateway.settings import Settings
from gateway.web.auth import Caller, authenticate, bearer_token
from gateway.web.http_errors import ApiError, forbidden, invalid
from gateway.web.keys import DATABASE, SETTINGS
from gateway.web.limits import read_body
from gateway.web.models import BIGINT_MAX

# Who may call a route: no token at all, any live token, or a token of that role.
Access = Literal["public", "any", "gtr", "asesor"]
Handler = Callable[..., Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)
CLIENTE = "/api/clientes/{id:[0-9]{1,19}}"
ASESOR = "/api/asesores/{id:[0-9]{1,19}}"
CAMPANA = "/api/campanas/{id:[0-9]{1,19}}"
# The id in a path, by the collection it names: the handler's parameter for it, and the
# refusal for a number no row can have (what the procedure would answer for it).
PATH_IDS: dict[str, tuple[str, ErrorCode]] = {
    "clientes": ("cliente_id", ErrorCode.CLIENTE_NOT_FOUND),
    "asesores": ("asesor_id", ErrorCode.ASESOR_NOT_FOUND),
    "campanas": ("campana_id", ErrorCode.CAMPANA_NOT_FOUND),
}
_PATH_ID = re.compile(r"/(\w+)/\{id:")
# The field that names the acting asesor, in a body or a query (see step 5 above).
ASESOR_FIELD = "asesorId"


def _max_body(settings: Settings) -> int:
    return settings.max_body_bytes


@dataclass(frozen=True)
class Route:
    """One route: what setup_routes registers, what the guard enforces, and what
    /openapi.json says about it.

    The models named here are the ones the guard parses and the handler answers with, so the
    document cannot drift from the code; a route exists only through this table.
    """

    method: str
    path: str  # aiohttp's path, with the id's pattern (CLIENTE, ASESOR)
    handler: Handler
    summary: str
    access: Access
    body: type[BaseModel] | None = None  # the JSON body's model: the handler gets ``body``
    # or text/csv: the handler gets the raw ``body: bytes``, read only after step 5
    body_media_type: str = "application/json"
    max_body: Callable[[Settings], int] = _max_body  # the body's cap in bytes (413 past it)
    query: type[BaseModel] | None = None  # the query string's model: the handler gets ``query``
    # An asesor token may only read a customer (the path's id) assigned to it now: 403 not_assigned.
    assigned_only: bool = False
    # Refuse a browser page of another Origin (403) before anything else (the WebSocket).
    check_origin: bool = False
    status: int = 200  # the answer on success
    response: type[BaseModel] | None = None  # None: the media type's generic schema
    response_media_type: str = "application/json"
    # Refusals beyond those the shape implies (see gateway/web/openapi.py: a body implies
    # 400/413/422, a token 401, a role 403, an id 404, the database 500/503).
    refusals: tuple[int, ...] = ()
    error_bodies: dict[int, type[BaseModel]] = field(default_factory=dict)  # not ErrorBody at that status
    description: str = ""
    # The token may come as ?token= (only /ws: browsers' WebSockets cannot set headers).
    query_token: bool = False

    def __post_init__(self) -> None:
        _check_signature(self)

    @property
    def raw_body(self) -> bool:
        """The body is read as bytes, not parsed as a JSON model (a CSV upload)."""
        return self.body is None and self.body_media_type != "application/json"

    @property
    def path_id(self) -> tuple[str, ErrorCode] | None:
        """The handler's parameter for the path's id and the refusal of an impossible one."""
        found = _PATH_ID.search(self.path)
        return None if found is None else PATH_IDS[found.group(1)]


def expected_parameters(route: Route) -> dict[str, Any]:
    """The handler's parameters the guard passes for ``route``, with their types."""
    wanted: dict[str, Any] = {"request": web.Request}
    if route.access != "public":
        wanted["caller"] = Caller
    if route.body is not None:
        wanted["body"] = route.body
    elif route.raw_body:
        wanted["body"] = bytes
    if route.query is not None:
        wanted["query"] = route.query
    if route.path_id is not None:
        wanted[route.path_id[0]] = int
    if route.assigned_only:
        wanted["cliente"] = Cliente | None
    return wanted


def _check_signature(route: Route) -> None:
    where = f"{route.method} {route.path} ({route.handler.__name__})"
    found = _PATH_ID.search(route.path)
    if found is not None and found.group(1) not in PATH_IDS:
        raise TypeError(f"{where}: no PATH_IDS entry for the id of /{found.group(1)}/")
    if route.assigned_only and (route.path_id is None or route.path_id[0] != "cliente_id"):
        raise TypeError(f"{where}: assigned_only needs a customer id in the path")
    wanted = expected_parameters(route)
    hints = typing.get_type_hints(route.handler)
    got = {name: hints.get(name) for name in inspect.signature(route.handler).parameters}
    if got != wanted:
        raise TypeError(f"{where}: the guard passes {wanted}, the handler takes {got}")


def setup_routes(app: web.Application, routes: tuple[Route, ...]) -> None:
    """Register every route, each behind its guard (a GET also answers HEAD, as add_get does)."""
    for route in routes:
        if route.method == "GET":
            app.router.add_get(route.path, guard(route))
        else:
            app.router.add_route(route.method, route.path, guard(route))


def guard(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of ``route``: the checks of this module's docstring, in that order,
    then the route's handler."""
    path_id = route.path_id  # read from the path once, not per request

    async def guarded(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS]
        if route.check_origin and not origin_allowed(request):
            raise forbidden("this Origin may not open the WebSocket")
        token = None if route.access == "public" else bearer_token(request, query_token=route.query_token)
        args: dict[str, Any] = {"request": request}
        query = None if route.query is None else route.query.model_validate(dict(request.query))
        body: BaseModel | None = None
        if route.body is not None:
            body = await _json_body(request, route.body, route.max_body(settings), settings.body_timeout)
        elif route.raw_body:
            _within_cap(request, route.max_body(settings))
        if token is not None:
            caller = await authenticate(request, token)
            _require_role(caller, route.access)
            query, body = _as_self(caller, query), _as_self(caller, body)
            args["caller"] = caller
        if path_id is not None:
            args[path_id[0]] = _path_id(request, *path_id)
        if route.assigned_only:
            args["cliente"] = await _require_assigned(request, args["caller"], args["cliente_id"])
        if query is not None:
            args["query"] = query
        if body is not None:
            args["body"] = body
        elif route.raw_body:
            args["body"] = await read_body(request, route.max_body(settings), settings.body_timeout)
        return await route.handler(**args)

    guarded.__name__ = guarded.__qualname__ = route.handler.__name__
    guarded.__doc__ = route.handler.__doc__
    return guarded


async def _json_body(request: web.Request, model: type[BaseModel], limit: int, timeout: float) -> BaseModel:
    """The request body as ``model``: 413 when too large, 408 when it stops arriving, 400
    when not JSON, 422 when it does not fit. An empty body counts as ``{}``."""
    raw = await read_body(request, limit, timeout)
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


def _within_cap(request: web.Request, limit: int) -> None:
    # A raw body is read after authentication (only a caller allowed to send it makes the
    # gateway hold it); a declared length over the cap is refused before, as read_body would.
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")


def _require_role(caller: Caller, access: Access) -> None:
    if access == "gtr":
        caller.require_gtr()
    elif access == "asesor":
        caller.own_asesor()


def _as_self(caller: Caller, model: M | None) -> M | None:
    """An asesor token acts and reads only as itself: another ``asesorId`` is 403, none is its own."""
    if model is None or caller.role != "asesor" or ASESOR_FIELD not in type(model).model_fields:
        return model
    own = caller.own_asesor()
    if getattr(model, ASESOR_FIELD) not in (None, own):
        raise forbidden("an asesor token acts only as its own asesor")
    return model.model_copy(update={ASESOR_FIELD: own})


def _path_id(request: web.Request, name: str, not_found: ErrorCode) -> int:
    value = int(request.match_info["id"])
    if not 1 <= value <= BIGINT_MAX:
        # 0 is no id and nineteen digits may pass a BIGINT: no such row, as the procedure would say.
        raise ProcedureRefused(not_found, f"{name.removesuffix('_id')} {value} does not exist")
    return value


async def _require_assigned(request: web.Request, caller: Caller, cliente_id: int) -> Cliente | None:
    """For an asesor token, the customer, if assigned to it now (403 not_assigned, 404 if none)."""
    if caller.role == "gtr":
        return None
    cliente = await procedures.obtener_cliente(request.app[DATABASE], cliente_id)
    if not caller.may_see(cliente.asesor_asignado):
        raise ProcedureRefused(ErrorCode.NOT_ASSIGNED, f"cliente {cliente_id} is not assigned to you")
    return cliente


def origin_allowed(request: web.Request) -> bool:
    """A request without Origin is not a browser's; a browser's must be an allowed Origin
    (SEGUIMIENTO_ALLOWED_ORIGINS), or by default the gateway's own host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    allowed = request.app[SETTINGS].allowed_origins
    if "*" in allowed:
        return True
    if allowed:
        return origin.rstrip("/") in allowed
    return urlsplit(origin).netloc.lower() == request.host.lower()


def answer(model: BaseModel, status: int = 200, *, exclude_unset: bool = False) -> web.Response:
    """A handler's JSON answer: ``model`` as its route's ``response`` declares it."""
    return web.Response(text=model.model_dump_json(exclude_unset=exclude_unset), status=status,
                        content_type="application/json")


def database(request: web.Request) -> Database:
    """The procedure catalogue's database, for a handler."""
    return request.app[DATABASE]
