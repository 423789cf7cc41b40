"""Asesores: GTR creates, deactivates and reactivates them; any token lists them and asks
who it is. Routing (issue 13): GTR's panel, skills and capacity; presence, set by the asesor
itself or by GTR."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models import AsesorCreado, Asesores, AsesorEstado, AsesorNuevo, Yo
from gateway.web.models_enrutamiento import (
    CapacidadFijada,
    CapacidadRequest,
    HabilidadCambiada,
    HabilidadRequest,
    MotivosPausa,
    PanelAsesores,
    PresenciaCambiada,
    PresenciaGtr,
    PresenciaPropia,
)


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
    if caller.asesor_id is None:
        return answer(Yo(role=caller.role, asesorId=None, nombre=None))
    # The panel's row has its name and its presence (the switch starts from it); a token of
    # an inactive asesor never gets here (its tokens are revoked).
    panel = await procedures.panel_asesores(_db(request))
    own = next((a for a in panel if a.asesor_id == caller.asesor_id), None)
    return answer(Yo(role=caller.role, asesorId=caller.asesor_id, nombre=own.nombre if own else None,
                     presencia=own.presencia if own else None, motivoPausa=own.motivo_pausa if own else None))


# -- routing (issue 13): the GTR panel, skills, capacity, presence -------------------------


async def panel_asesores(request: web.Request, caller: Caller) -> web.Response:
    """The GTR asesor panel."""
    return answer(PanelAsesores(asesores=await procedures.panel_asesores(_db(request))))


async def cambiar_habilidad(request: web.Request, caller: Caller, body: HabilidadRequest,
                            asesor_id: int) -> web.Response:
    """Give or take a campaign's skill."""
    change = procedures.asignar_habilidad if body.habilidad else procedures.quitar_habilidad
    result = await change(_db(request), asesor_id, body.campanaId)
    return answer(HabilidadCambiada(asesorId=asesor_id, campanaId=body.campanaId, habilidad=body.habilidad,
                                    cambiado=result.cambiado))


async def fijar_capacidad(request: web.Request, caller: Caller, body: CapacidadRequest,
                          asesor_id: int) -> web.Response:
    """Set how many customers the asesor may hold at once."""
    capacidad = await procedures.fijar_capacidad(_db(request), asesor_id, body.capacidad)
    return answer(CapacidadFijada(asesorId=asesor_id, capacidad=capacidad))


async def presencia_por_gtr(request: web.Request, caller: Caller, body: PresenciaGtr,
                            asesor_id: int) -> web.Response:
    """GTR sets an asesor's presence."""
    result = await procedures.cambiar_presencia(_db(request), asesor_id, body.presencia, body.motivoPausa, "gtr")
    return answer(PresenciaCambiada(asesorId=asesor_id, presencia=result.presencia,
                                    motivoPausa=result.motivo_pausa, asignados=result.asignados))


async def presencia_propia(request: web.Request, caller: Caller, body: PresenciaPropia) -> web.Response:
    """The asesor sets its own presence."""
    asesor_id = caller.own_asesor()
    result = await procedures.cambiar_presencia(_db(request), asesor_id, body.presencia, body.motivoPausa,
                                                "asesor")
    return answer(PresenciaCambiada(asesorId=asesor_id, presencia=result.presencia,
                                    motivoPausa=result.motivo_pausa, asignados=result.asignados))


async def listar_motivos_pausa(request: web.Request, caller: Caller) -> web.Response:
    """The pause reasons that may be chosen now."""
    return answer(MotivosPausa(motivos=await procedures.listar_motivos_pausa(_db(request))))
