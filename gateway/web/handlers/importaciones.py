"""Bulk import of leads from a CSV body (see gateway/db/importing.py), GTR only."""

from __future__ import annotations

from aiohttp import web

from gateway.db import importing
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.http_errors import invalid
from gateway.web.models import ImportQuery


async def importar_csv(request: web.Request, caller: Caller, body: bytes, query: ImportQuery) -> web.Response:
    """Load the CSV. The guard read the whole body first (up to import_max_bytes: 413 past
    it, 408 when it stops arriving, a body cut short fails the request), so none of those
    loads a row."""
    try:
        load = importing.load_with(_db(request), query.origen, query.skipDuplicates, query.campanaId,
                                   query.prioridad)
        report = await importing.run_import(body, load)
    except importing.ImportFileError as exc:
        raise invalid(str(exc)) from exc
    return answer(report)
