"""Asesores: GTR creates, deactivates and reactivates them; any token lists them and asks
who it is."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models import AsesorCreado, Asesores, AsesorEstado, AsesorNuevo, Yo


async def crear_asesor(request: web.Request, caller: Caller, body: AsesorNuevo) -> web.Response:
    """Create an asesor (audited with the caller's GTR token)."""
    asesor_id = await procedures.gtr_crear_asesor(_db(request), caller.token_id, body.nombre)
    return answer(AsesorCreado(asesorId=asesor_id), status=201)


async def desactivar_asesor(request: web.Request, caller: Caller, asesor_id: int) -> web.Response:
    """Make an asesor inactive: its customers go back to GTR, its tokens are revoked (audited
    with the caller's GTR token)."""
    result = await procedures.gtr_desactivar_asesor(_db(request), caller.token_id, asesor_id)
    return answer(AsesorEstado(asesorId=asesor_id, activo=False, clientesDevueltos=result.clientes_devueltos,
                               tokensRevocados=result.tokens_revocados))


async def activar_asesor(request: web.Request, caller: Caller, asesor_id: int) -> web.Response:
    """Make an inactive asesor active again (audited with the caller's GTR token)."""
    await procedures.gtr_activar_asesor(_db(request), caller.token_id, asesor_id)
    return answer(AsesorEstado(asesorId=asesor_id, activo=True))


async def listar_asesores(request: web.Request, caller: Caller) -> web.Response:
    """Every asesor."""
    return answer(Asesores(asesores=await procedures.listar_asesores(_db(request))))


async def yo(request: web.Request, caller: Caller) -> web.Response:
    """Who the token is: a dashboard learns its role, and an asesor its id and name."""
    nombre = None
    if caller.asesor_id is not None:
        asesores = await procedures.listar_asesores(_db(request))
        nombre = next((a.nombre for a in asesores if a.asesor_id == caller.asesor_id), None)
    return answer(Yo(role=caller.role, asesorId=caller.asesor_id, nombre=nombre))
