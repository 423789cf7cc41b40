"""Campaigns (issue 13): GTR creates and configures them; any token lists them (an asesor's
board names each customer's campaign)."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models_enrutamiento import CambiosCampana, CampanaCreada, CampanaNueva, Campanas


async def listar_campanas(request: web.Request, caller: Caller) -> web.Response:
    """Every campaign with its settings and live queue."""
    return answer(Campanas(campanas=await procedures.listar_campanas(_db(request))))


async def crear_campana(request: web.Request, caller: Caller, body: CampanaNueva) -> web.Response:
    """Create a campaign."""
    campana_id = await procedures.crear_campana(_db(request), body.nombre, body.timeoutSegundos, body.prioridad,
                                                body.modo, body.reciclajeSegundos, body.maxDevoluciones)
    return answer(CampanaCreada(campanaId=campana_id), status=201)


async def configurar_campana(request: web.Request, caller: Caller, body: CambiosCampana,
                             campana_id: int) -> web.Response:
    """Change settings of a campaign: every field given in one sp_configurar_campana_varios
    call, so in one transaction (all of them or none) with one CAMPAIGN_CHANGED. Answers the
    campaign as it is once that call committed."""
    return answer(await procedures.configurar_campana_varios(_db(request), campana_id, body.cambios()))
