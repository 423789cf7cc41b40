"""The supervisor's desk: the reports page's figures and the wallboard's (GTR only)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from aiohttp import web

from gateway.db import procedures
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models_reportes import Muro, Reporte, ReporteQuery, TableroQuery


async def reporte(request: web.Request, caller: Caller, query: ReporteQuery) -> web.Response:
    """Per asesor, per hour, speed to lead and per campaign, for whole UTC days."""
    db = _db(request)
    first, last = query.days(datetime.now(UTC).date())
    desde = datetime.combine(first, time())
    hasta = datetime.combine(last + timedelta(days=1), time())
    # One after the other: the first call folds new history into the summaries, and the
    # others then find nothing to fold (concurrent folds would wait on each other's lock).
    asesores = await procedures.reporte_asesores(db, desde, hasta, query.asesorId)
    por_hora, (tramos, resumen), campanas = await asyncio.gather(
        procedures.reporte_por_hora(db, desde, hasta, query.asesorId),
        procedures.reporte_velocidad(db, desde, hasta, query.asesorId, query.umbralSegundos),
        procedures.reporte_campanas(db, desde, hasta, query.asesorId, query.campanaId, query.umbralSegundos))
    return answer(Reporte(desde=desde, hasta=hasta, asesores=asesores, porHora=por_hora, velocidad=tramos,
                          resumenVelocidad=resumen, campanas=campanas))


async def muro(request: web.Request, caller: Caller, query: TableroQuery) -> web.Response:
    """The wallboard: counts, the oldest waiting lead, those about to time out, queues, presence."""
    db = _db(request)
    tablero, campanas, asesores = await asyncio.gather(
        procedures.tablero(db, query.avisoSegundos, query.limite), procedures.listar_campanas(db),
        procedures.panel_asesores(db))
    return answer(Muro(estados=tablero.estados, totales=tablero.totales, masAntiguo=tablero.mas_antiguo,
                       porVencer=tablero.por_vencer, campanas=campanas, asesores=asesores))
