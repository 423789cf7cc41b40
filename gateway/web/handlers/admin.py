"""The desk's administration (issue 14): a GTR token gives an asesor a login token, changes a
floor setting or a pause reason, and reads the audit of such changes. Each change names the caller's token
(``caller.token_id``) to its ``sp_gtr_*`` procedure, which checks it again and audits it."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.web.auth import Caller, new_token, token_sha256
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models import (
    AuditoriaQuery,
    AuditoriaResponse,
    Configuracion,
    ConfiguracionCambiada,
    MotivoPausaCambio,
    MotivosPausaTodos,
    TokenAsesorEmitido,
    TokenAsesorNuevo,
)


async def emitir_token_asesor(request: web.Request, caller: Caller, body: TokenAsesorNuevo,
                              asesor_id: int) -> web.Response:
    """Make a login token for the asesor, record its SHA-256 and show the token once."""
    token = new_token()
    creado = await procedures.gtr_emitir_token_asesor(_db(request), caller.token_id, asesor_id, token_sha256(token),
                                                      body.descripcion, body.vigenciaSegundos)
    response = answer(TokenAsesorEmitido(asesorId=asesor_id, tokenId=creado.token_id, token=token,
                                         expiresAt=creado.expires_at), status=201)
    # A secret in the body: no cache, proxy or back button may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


async def configurar(request: web.Request, caller: Caller, body: Configuracion) -> web.Response:
    """Change a floor setting (the inactivity timeout, an asesor token's lifetime)."""
    cambio = await procedures.gtr_configurar(_db(request), caller.token_id, body.clave, body.valor)
    return answer(ConfiguracionCambiada(clave=cambio.clave, valorAnterior=cambio.valor_anterior, valor=cambio.valor))


async def auditoria(request: web.Request, caller: Caller, query: AuditoriaQuery) -> web.Response:
    """The newest administrative changes, newest first (of one asesor with ``asesorId``)."""
    rows = await procedures.auditoria_admin(_db(request), query.asesorId, query.limit)
    return answer(AuditoriaResponse(auditoria=rows))


async def listar_motivos_pausa_todos(request: web.Request, caller: Caller) -> web.Response:
    """Every pause reason, those out of use too, for the desk's administration."""
    return answer(MotivosPausaTodos(motivos=await procedures.listar_motivos_pausa_todos(_db(request))))


async def configurar_motivo_pausa(request: web.Request, caller: Caller, body: MotivoPausaCambio) -> web.Response:
    """Add a pause reason or change one (rename, take out of use, bring back)."""
    motivo = await procedures.gtr_configurar_motivo_pausa(_db(request), caller.token_id, body.codigo,
                                                          body.descripcion, body.activo)
    return answer(motivo)
