"""From any failure to an HTTP answer: the one mapping, and the one error body shape.

Every error the gateway answers has the body ``{"error": {"code": <slug>, "message": <text>}}``.
Procedure refusals take their status and slug from the catalogue in :mod:`gateway.db.errors`;
nothing here matches on message text and nothing ever answers a stack trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import ValidationError

from gateway.db.errors import CATALOGUE
from gateway.db.procedures import (
    DatabaseBusy,
    DatabaseUnavailable,
    ProcedureRefused,
    UnexpectedDatabaseError,
)
from gateway.web.models import ErrorBody, ErrorDetail

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal decided by the gateway itself (authentication, input, routing)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def unauthorized(message: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def invalid(message: str) -> ApiError:
    return ApiError(422, "validation_error", message)


@dataclass(frozen=True)
class HttpError:
    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> web.Response:
        # The body's model is also its schema in /openapi.json (gateway/web/openapi.py).
        return web.json_response(
            ErrorBody(error=ErrorDetail(code=self.code, message=self.message)).model_dump(),
            status=self.status,
            headers=self.headers,
        )


# Status and slug of aiohttp's own refusals (routing, body size), by status.
_HTTP_EXCEPTION_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def http_error(exc: BaseException) -> HttpError:
    """The HTTP answer for ``exc``. Every error answer of the gateway goes through here."""
    if isinstance(exc, ApiError):
        # the gateway's own refusal: its status and code are already decided
        return HttpError(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, ProcedureRefused):
        # a procedure's SIGNAL: status and slug from the catalogue, the procedure's message
        entry = CATALOGUE[exc.code]
        return HttpError(entry.http_status, entry.slug, exc.message or entry.meaning)
    if isinstance(exc, DatabaseUnavailable):
        # server down, restarting, or refusing connections: retry soon
        return HttpError(503, "database_unavailable", exc.message, {"Retry-After": "1"})
    if isinstance(exc, DatabaseBusy):
        # deadlock or lock wait timeout that outlived our retries; rolled back, retry
        return HttpError(503, "database_busy", exc.message, {"Retry-After": "1"})
    if isinstance(exc, UnexpectedDatabaseError):
        # an error the procedures do not document (schema not migrated, a bug): logged
        log.error("unexpected database error", exc_info=exc)
        return HttpError(500, "database_error", "the database failed unexpectedly")
    if isinstance(exc, ValidationError):
        # a request body or query that does not fit its model
        return HttpError(422, "validation_error", _describe_validation(exc))
    if isinstance(exc, web.HTTPException) and exc.status >= 400:
        # aiohttp's own refusals: unknown route, wrong method, body over the size limit
        code = _HTTP_EXCEPTION_CODES.get(exc.status, f"http_{exc.status}")
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
        return HttpError(exc.status, code, exc.reason, headers)
    # anything else is a bug: logged with its traceback, answered without one
    log.error("unhandled error", exc_info=exc)
    return HttpError(500, "internal_error", "internal error")


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
