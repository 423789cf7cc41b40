"""The gateway's OpenAPI 3.1 description, served at ``GET /openapi.json``.

Built from the route table (``gateway.web.routes.ROUTES``) and the very pydantic models the
handlers parse and answer with: request bodies and query strings in pydantic's
validation mode, answers in its serialization mode, every error as the one error body
(``ErrorBody``) with the codes docs/api.md lists for its status. Nothing here is written
by hand a second time, so a field added to a model is documented by the same change.

What a route may refuse follows from its shape: a JSON body may be malformed (400), too
large (413), too slow (408) or not fit (422); a CSV body may be too large, too slow or lack
its header (413, 408, 422); a query may not fit (422); a token may be missing or dead (401),
its client over the failed-login limit (429), and a role wrong (403); an
id may name no customer (404); and a route that calls the database answers 503 while it
is unreachable (500 only for a bug or an undocumented database error, which is logged).
A route adds its own refusals (409, a 403 that depends on the customer) in the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import gateway
from gateway.db.errors import CATALOGUE
from gateway.web.models import ErrorBody, Id

if TYPE_CHECKING:
    from gateway.web.routes import Route

REF = "#/components/schemas/{model}"
BEARER = "bearerAuth"
QUERY_TOKEN = "tokenQuery"

# The codes the gateway answers by itself, by status (docs/api.md's table, source
# "gateway"); the procedures' codes come from the catalogue. tests/fuzz/test_openapi.py
# checks the union against the table in docs/api.md.
GATEWAY_CODES: dict[int, tuple[str, ...]] = {
    400: ("malformed_json", "bad_request"),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    405: ("method_not_allowed",),
    408: ("request_timeout",),
    413: ("payload_too_large",),
    422: ("validation_error",),
    429: ("too_many_failed_logins", "too_many_websockets"),
    500: ("database_error", "internal_error"),
    503: ("database_unavailable", "database_busy", "too_many_connections"),
}

STATUS_TEXT = {
    101: "Switching Protocols: the WebSocket is open",
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized: no token, a malformed one, or one unknown or revoked",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout: the body stopped arriving (SEGUIMIENTO_BODY_TIMEOUT)",
    409: "Conflict: the customer's state or lock does not allow it",
    413: "Payload Too Large",
    422: "Unprocessable: the body, query or an argument does not fit",
    429: "Too many failed authentications from this address (Retry-After), or WebSockets on this token",
    500: "A bug or an undocumented database error (logged; the body has no trace)",
    503: "The database is unreachable or busy: retry after Retry-After seconds",
}

_PATH_PARAMETER = re.compile(r"\{(\w+)(?::(?:[^{}]|\{[^{}]*\})*)?\}")


def error_codes() -> dict[int, tuple[str, ...]]:
    """Every documented error code, by HTTP status: the gateway's own and the catalogue's."""
    codes = {status: list(names) for status, names in GATEWAY_CODES.items()}
    for entry in CATALOGUE.values():
        codes.setdefault(entry.http_status, []).append(entry.slug)
    return {status: tuple(sorted(names)) for status, names in sorted(codes.items())}


def openapi_path(path: str) -> str:
    """aiohttp's ``/api/clientes/{id:[0-9]{1,19}}`` as OpenAPI's ``/api/clientes/{id}``."""
    return _PATH_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)


def refusals(route: Route) -> list[int]:
    """Every error status ``route`` may answer (see the module's docstring)."""
    statuses = set(route.refusals)
    if route.body is not None:
        statuses |= {400, 408, 413, 422}
    elif route.body_media_type != "application/json":
        statuses |= {408, 413, 422}
    if route.query is not None:
        statuses.add(422)
    if route.access != "public":
        statuses |= {401, 429, 500, 503}
    if route.access in ("gtr", "asesor"):
        statuses.add(403)
    if _PATH_PARAMETER.search(route.path):
        statuses.add(404)
    return sorted(statuses)


def document(routes: Sequence[Route]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``."""
    schemas = _Schemas(routes)
    codes = error_codes()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = _operation(route, schemas, codes)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "seguimiento gateway",
            "version": gateway.__version__,
            "description": "REST routes and the WebSocket of the seguimiento gateway (docs/api.md). Every "
                           "error answers {\"error\": {\"code\", \"message\"}}: branch on code.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "responses": _error_responses({status for route in routes for status in refusals(route)}, schemas,
                                          codes),
            "securitySchemes": {
                BEARER: {"type": "http", "scheme": "bearer",
                         "description": "Authorization: Bearer <token> (seguimiento token create)"},
                QUERY_TOKEN: {"type": "apiKey", "in": "query", "name": "token",
                              "description": "?token=<token>, on /ws only: browsers' WebSockets cannot set "
                                             "headers. Elsewhere a query token is refused (401), as URLs "
                                             "end up in logs."},
            },
        },
    }


class _Schemas:
    """The JSON schemas of every model the routes name, as OpenAPI components."""

    def __init__(self, routes: Iterable[Route]) -> None:
        wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
        for route in routes:
            if route.body is not None:
                wanted[(route.body, "validation")] = None
            if route.response is not None:
                wanted[(route.response, "serialization")] = None
            for model in route.error_bodies.values():
                wanted[(model, "serialization")] = None
        refs, defs = models_json_schema(list(wanted), ref_template=REF)
        self.refs: dict[tuple[Any, JsonSchemaMode], dict[str, Any]] = dict(refs)
        self.components: dict[str, Any] = dict(sorted(defs.get("$defs", {}).items()))

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return self.refs[(model, mode)]


def _operation(route: Route, schemas: _Schemas, codes: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "x-access": route.access,
    }
    if route.description:
        operation["description"] = route.description
    if route.access == "public":
        operation["security"] = []
    else:
        operation["security"] = [{BEARER: []}, {QUERY_TOKEN: []}] if route.query_token else [{BEARER: []}]
    parameters = [_path_parameter(name) for name in _PATH_PARAMETER.findall(route.path)]
    if route.query is not None:
        parameters += _query_parameters(route.query)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        body_schema = schemas.ref(route.body, "validation")
        operation["requestBody"] = {
            # An empty body counts as {}: it is required only when the model has required fields.
            "required": bool(route.body.model_json_schema().get("required")),
            "content": {route.body_media_type: {"schema": body_schema}},
        }
    elif route.body_media_type != "application/json":
        # A raw body (text/csv): read by the handler itself, not through a model.
        operation["requestBody"] = {"required": True,
                                    "content": {route.body_media_type: {"schema": {"type": "string"}}}}
    responses: dict[str, Any] = {str(route.status): _success(route, schemas)}
    for status in refusals(route):
        responses[str(status)] = _error(route, status, schemas, codes)
    operation["responses"] = responses
    return operation


def _path_parameter(name: str) -> dict[str, Any]:
    # Ids are the only path parameters: positive BIGINTs (an unknown one is 404).
    return {"name": name, "in": "path", "required": True, "schema": TypeAdapter(Id).json_schema()}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    assert "$defs" not in schema, f"{model.__name__}: a query field must be a plain value"
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        parameters.append({"name": name, "in": "query", "required": name in required,
                           "schema": _without_null(field_schema)})
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is text: an optional field is left out, never null."""
    options = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**options[0], **rest}
    return schema


def _success(route: Route, schemas: _Schemas) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": STATUS_TEXT.get(route.status, route.summary)}
    if route.status == 101:
        return answer
    if route.response is not None:
        schema = schemas.ref(route.response, "serialization")
    elif route.response_media_type == "application/json":
        schema = {"type": "object"}
    else:
        schema = {"type": "string"}
    answer["content"] = {route.response_media_type: {"schema": schema}}
    return answer


def _error(route: Route, status: int, schemas: _Schemas, codes: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    model = route.error_bodies.get(status)
    if model is None:
        return {"$ref": f"#/components/responses/Error{status}"}
    return _error_response(status, schemas.ref(model, "serialization"), codes)


def _error_responses(statuses: Iterable[int], schemas: _Schemas,
                     codes: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    """The shared error answers (components/responses/Error<status>): the one error body."""
    body = schemas.ref(ErrorBody, "serialization")
    return {f"Error{status}": _error_response(status, body, codes) for status in sorted(statuses)}


def _error_response(status: int, body: dict[str, Any], codes: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    # The model's schema, with ``code`` narrowed to the codes documented for this status.
    schema = {"allOf": [body, {"properties": {"error": {"properties": {"code": {"enum": list(codes[status])}}}}}]}
    answer: dict[str, Any] = {
        "description": f"{STATUS_TEXT.get(status, 'Error')}. Codes: {', '.join(codes[status])}.",
        "content": {"application/json": {"schema": schema}},
    }
    if status == 503:
        answer["headers"] = {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                             "description": "seconds"}}
    return answer
