"""Requests derived from the route table (``gateway.web.routes.ROUTES``), so that a test that
walks the table covers a route the day it is added: its concrete path, a valid sample body
built from the route's model, and a query its model refuses."""

from __future__ import annotations

import json
import typing
from typing import Any, Literal

from pydantic import BaseModel

from gateway.web.guard import ASESOR_FIELD, Route
from gateway.web.openapi import openapi_path
from gateway.web.routes import ROUTES

GUARDED = tuple(r for r in ROUTES if r.access != "public")
PUBLIC = tuple(r for r in ROUTES if r.access == "public")
SAMPLE_CSV = b"nombre,telefono\nMuestra,+51 999 000 111\n"


def name(route: Route) -> str:
    """A route as test ids and messages show it: ``POST /api/clientes/{id}/lock``."""
    return f"{route.method} {openapi_path(route.path)}"


def path(route: Route, id_: int | str = 1) -> str:
    """The route's path with ``id_`` in place of its id (if it has one)."""
    return openapi_path(route.path).replace("{id}", str(id_))


def _value(annotation: Any) -> Any:
    """A small valid value of a field's type (constraints: ids >= 1, strings of 1 character)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _value(typing.get_args(annotation)[0])
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, type(int | None)):
        return _value(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin is dict or annotation is dict:
        return {}
    return {int: 1, str: "x", bool: False}[annotation]


def sample(model: type[BaseModel]) -> dict[str, Any]:
    """A body ``model`` accepts: its required fields, and if that is not enough (a validator
    wants more), its optional ones too, except ``asesorId`` (an asesor token's own)."""
    body = {n: _value(f.annotation) for n, f in model.model_fields.items() if f.is_required()}
    try:
        model.model_validate(body)
    except ValueError:
        body |= {n: _value(f.annotation) for n, f in model.model_fields.items()
                 if not f.is_required() and n != ASESOR_FIELD}
    model.model_validate(body)  # raises if the sample still does not fit: extend _value
    return body


def body(route: Route, *, lock_token: str | None = None) -> tuple[bytes | None, dict[str, str]]:
    """A valid body for ``route`` (None if it takes none) and its Content-Type header.
    ``lock_token``, when given, replaces a sample body's lockToken."""
    if route.raw_body:
        return SAMPLE_CSV, {"Content-Type": route.body_media_type}
    if route.body is None:
        return None, {}
    data = sample(route.body)
    if lock_token is not None and "lockToken" in data:
        data["lockToken"] = lock_token
    return json.dumps(data).encode(), {"Content-Type": "application/json"}


def bad_query(route: Route) -> str:
    """A query string ``route``'s query model refuses (422): every field given a value no
    field type accepts as text."""
    assert route.query is not None
    return "&".join(f"{field}=-1%20not%20a%20value" for field in route.query.model_fields)
