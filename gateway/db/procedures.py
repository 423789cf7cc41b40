"""The one catalogue of what the gateway asks the database: one function per procedure.

Nothing else in the gateway builds SQL. Every function here CALLs one stored procedure
through :meth:`gateway.db.pool.Database.call` with bound parameters and returns typed rows
(pydantic models). Failures arrive as the exceptions of :mod:`gateway.db.exceptions`.
Waking the outbox tailer after a call that wrote events is the pool's job, driven by
:data:`gateway.db.outbox.EVENT_WRITING_PROCEDURES`: no function here does it by hand.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from gateway.db.exceptions import UnexpectedDatabaseError
from gateway.db.pool import Database, Row
from gateway.db.rows import (
    Actor,
    AjustesCampana,
    Asesor,
    AsesorDesactivado,
    Auditoria,
    Campana,
    Cliente,
    ClienteCargado,
    ConfigCambiada,
    Distribucion,
    EsperaMasAntigua,
    Estado,
    EstadoCuenta,
    Habilidad,
    Historial,
    Listado,
    Lock,
    LockExpiry,
    LoteImportado,
    Modo,
    MotivoPausa,
    MotivoPausaAdmin,
    OutboxEvent,
    OutboxLimits,
    PanelAsesor,
    PorVencer,
    Presencia,
    PresenciaCambiada,
    ReporteAsesor,
    ReporteCampana,
    ReporteHora,
    ResumenVelocidad,
    ServerState,
    Siguiente,
    Tablero,
    TableroTotales,
    TokenCreado,
    TokenIdentity,
    TramoVelocidad,
)

# ---------------------------------------------------------------------------------------
# Row models
# ---------------------------------------------------------------------------------------


def _one(sets: list[list[Row]], procedure: str) -> Row:
    if not sets or len(sets[0]) != 1:
        raise UnexpectedDatabaseError(f"{procedure} did not return exactly one row")
    return sets[0][0]


def _rows(sets: list[list[Row]]) -> list[Row]:
    return sets[0] if sets else []


# ---------------------------------------------------------------------------------------
# The procedures
# ---------------------------------------------------------------------------------------


async def crear_asesor(db: Database, nombre: str) -> int:
    """sp_crear_asesor: adds an asesor; its id."""
    return int(_one(await db.call("sp_crear_asesor", (nombre,)), "sp_crear_asesor")["asesor_id"])


async def desactivar_asesor(db: Database, asesor_id: int, actor: Literal["gtr", "dba"]) -> AsesorDesactivado:
    """sp_desactivar_asesor: the asesor stops working: its customers go back to GTR, its
    tokens are revoked. Events CLIENT_RETURNED_TO_GTR per customer, ASESOR_DEACTIVATED."""
    sets = await db.call("sp_desactivar_asesor", (asesor_id, actor))
    return AsesorDesactivado.model_validate(_one(sets, "sp_desactivar_asesor"))


async def activar_asesor(db: Database, asesor_id: int, actor: Literal["gtr", "dba"]) -> None:
    """sp_activar_asesor: an inactive asesor may work again. Event ASESOR_ACTIVATED."""
    await db.call("sp_activar_asesor", (asesor_id, actor))


async def listar_asesores(db: Database) -> list[Asesor]:
    """sp_listar_asesores: every asesor."""
    return [Asesor.model_validate(r) for r in _rows(await db.call("sp_listar_asesores"))]


async def cargar_cliente(db: Database, nombre: str, telefono: str | None, datos: dict[str, Any] | None,
                         campana_id: int | None = None, prioridad: int | None = None) -> ClienteCargado:
    """sp_cargar_cliente_en_campana: GTR loads a customer as nuevo into a campaign (None:
    general) with a priority (None: 0). Event CLIENT_CREATED; in an auto campaign the
    distribution may assign it in the same call."""
    datos_json = None if datos is None else json.dumps(datos, ensure_ascii=False)
    sets = await db.call("sp_cargar_cliente_en_campana", (nombre, telefono, datos_json, campana_id, prioridad))
    return ClienteCargado.model_validate(_one(sets, "sp_cargar_cliente_en_campana"))


async def derivar_cliente(db: Database, cliente_id: int, asesor_id: int, actor: Literal["gtr", "dba"]) -> None:
    """sp_derivar_cliente: (re)assigns a customer to an asesor. Event CLIENT_REASSIGNED."""
    await db.call("sp_derivar_cliente", (cliente_id, asesor_id, actor))


async def tomar_cliente(db: Database, cliente_id: int, asesor_id: int) -> Lock:
    """sp_tomar_cliente: the assigned asesor takes (or retakes) the edit lock."""
    return Lock.model_validate(_one(await db.call("sp_tomar_cliente", (cliente_id, asesor_id)), "sp_tomar_cliente"))


async def heartbeat_cliente(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> LockExpiry:
    """sp_heartbeat_cliente: the asesor is still working the customer."""
    sets = await db.call("sp_heartbeat_cliente", (cliente_id, asesor_id, lock_token))
    return LockExpiry.model_validate(_one(sets, "sp_heartbeat_cliente"))


async def abrir_wizard(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_abrir_wizard: derivado -> en_gestion. Event CLIENT_IN_GESTION."""
    await db.call("sp_abrir_wizard", (cliente_id, asesor_id, lock_token))


async def actualizar_cliente(
    db: Database, cliente_id: int, asesor_id: int, lock_token: str, datos: dict[str, Any]
) -> None:
    """sp_actualizar_cliente: edits nombre/telefono and merges datos. Event CLIENT_UPDATED."""
    datos_json = json.dumps(datos, ensure_ascii=False)
    await db.call("sp_actualizar_cliente", (cliente_id, asesor_id, lock_token, datos_json))


async def completar_wizard(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_completar_wizard: en_gestion -> terminado. Event CLIENT_COMPLETED."""
    await db.call("sp_completar_wizard", (cliente_id, asesor_id, lock_token))


async def liberar_cliente(db: Database, cliente_id: int, asesor_id: int, lock_token: str) -> None:
    """sp_liberar_cliente: the asesor drops the edit lock and keeps the customer."""
    await db.call("sp_liberar_cliente", (cliente_id, asesor_id, lock_token))


def _listado(sets: list[list[Row]], procedure: str) -> Listado:
    """A board page as sp_listar_clientes and sp_listar_clientes_de_campana answer it: a head
    row (snapshot id, total, timeout) and the customers."""
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError(f"{procedure} did not return its two result sets")
    head = sets[0][0]
    return Listado(
        snapshot_outbox_id=int(head["snapshot_outbox_id"]),
        total=int(head["total"]),
        timeout_segundos=int(head["timeout_segundos"]),
        clientes=[Cliente.model_validate(r) for r in sets[1]],
    )


async def listar_clientes(
    db: Database, estado: Estado | None, asesor_id: int | None, limite: int, desplazamiento: int
) -> Listado:
    """sp_listar_clientes: a page of the board and the outbox id it reflects."""
    return _listado(await db.call("sp_listar_clientes", (estado, asesor_id, limite, desplazamiento)),
                    "sp_listar_clientes")


async def obtener_cliente(db: Database, cliente_id: int) -> Cliente:
    """sp_obtener_cliente: one customer."""
    return Cliente.model_validate(_one(await db.call("sp_obtener_cliente", (cliente_id,)), "sp_obtener_cliente"))


async def historial_cliente(db: Database, cliente_id: int) -> list[Historial]:
    """sp_historial_cliente: every change of one customer, oldest first."""
    return [Historial.model_validate(r) for r in _rows(await db.call("sp_historial_cliente", (cliente_id,)))]


async def historial_cliente_de_asesor(db: Database, asesor_id: int, cliente_id: int) -> list[Historial]:
    """sp_historial_cliente_de_asesor: the history of a customer assigned to ``asesor_id`` now,
    the ownership check and the read in one snapshot (45004 when it is not that asesor's)."""
    sets = await db.call("sp_historial_cliente_de_asesor", (asesor_id, cliente_id))
    return [Historial.model_validate(r) for r in _rows(sets)]


async def outbox_leer(db: Database, desde_id: int, limite: int) -> list[OutboxEvent]:
    """sp_outbox_leer: events with id > desde_id in id order (ids are gap-free)."""
    return [OutboxEvent.model_validate(r) for r in _rows(await db.call("sp_outbox_leer", (desde_id, limite)))]


async def outbox_limites(db: Database) -> OutboxLimits:
    """sp_outbox_limites: the oldest kept and the newest committed outbox ids."""
    return OutboxLimits.model_validate(_one(await db.call("sp_outbox_limites"), "sp_outbox_limites"))


async def crear_token(
    db: Database, token_sha256: str, rol: Literal["gtr", "asesor"], asesor_id: int | None, descripcion: str | None,
    vigencia_segundos: int | None = None,
) -> TokenCreado:
    """sp_crear_token_con_vigencia: records a bearer token by its SHA-256; its id and expiry.
    ``vigencia_segundos`` None takes the database's default, 0 means no expiry."""
    sets = await db.call("sp_crear_token_con_vigencia", (token_sha256, rol, asesor_id, descripcion,
                                                         vigencia_segundos))
    return TokenCreado.model_validate(_one(sets, "sp_crear_token_con_vigencia"))


async def validar_token(db: Database, token_sha256: str) -> TokenIdentity | None:
    """sp_validar_token: who a live token is; None for an unknown or revoked one."""
    rows = _rows(await db.call("sp_validar_token", (token_sha256,)))
    return TokenIdentity.model_validate(rows[0]) if rows else None


async def revocar_token(db: Database, token_id: int) -> bool:
    """sp_revocar_token: stops a token at once; whether one was revoked. Event TOKEN_REVOKED."""
    sets = await db.call("sp_revocar_token", (token_id,))
    return bool(_one(sets, "sp_revocar_token")["revocados"])


async def estado_servidor(db: Database) -> ServerState:
    """sp_estado_servidor: scheduler, sweep event, newest outbox id, sweep delay."""
    return ServerState.model_validate(_one(await db.call("sp_estado_servidor"), "sp_estado_servidor"))


async def importar_lote(
    db: Database, clave: str, origen: str | None, filas_json: str, omitir_duplicados: bool,
    campana_id: int | None = None, prioridad: int | None = None,
) -> LoteImportado:
    """sp_importar_lote_en_campana: one batch into a campaign (None: general). CLIENTS_IMPORTED."""
    sets = await db.call("sp_importar_lote_en_campana",
                         (clave, origen, filas_json, int(omitir_duplicados), campana_id, prioridad))
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError("sp_importar_lote_en_campana did not return its two result sets")
    # The summary row's rechazados is a count; the second result set is the lines themselves.
    return LoteImportado.model_validate({**sets[0][0], "rechazados": sets[1]})


async def configurar(db: Database, clave: str, valor: int) -> int:
    """sp_configurar: changes one setting; its previous value."""
    return int(_one(await db.call("sp_configurar", (clave, valor)), "sp_configurar")["valor_anterior"])


async def barrido_seguimiento(db: Database) -> int:
    """sp_barrido_seguimiento: runs the timeout sweep now; how many customers it returned."""
    sets = await db.call("sp_barrido_seguimiento")
    return int(_one(sets, "sp_barrido_seguimiento")["devueltos"])


# -- Routing (issue 13): campaigns, skills, capacity, presence, the pull and the hand-back --


async def crear_campana(db: Database, nombre: str, timeout_segundos: int | None, prioridad: int | None,
                        modo: Modo | None, reciclaje_segundos: int | None, max_devoluciones: int | None) -> int:
    """sp_crear_campana: a campaign (None takes each default); its id. Event CAMPAIGN_CHANGED."""
    sets = await db.call("sp_crear_campana", (nombre, timeout_segundos, prioridad, modo, reciclaje_segundos,
                                              max_devoluciones))
    return int(_one(sets, "sp_crear_campana")["campana_id"])


async def configurar_campana_varios(db: Database, campana_id: int,
                                    cambios: dict[str, str | int | bool | None]) -> AjustesCampana:
    """sp_configurar_campana_varios: several settings ({clave: valor}) in one transaction, all
    or none; the campaign as it is now. One event CAMPAIGN_CHANGED."""
    sets = await db.call("sp_configurar_campana_varios", (campana_id, json.dumps(cambios, ensure_ascii=False)))
    return AjustesCampana.model_validate(_one(sets, "sp_configurar_campana_varios"))


async def listar_campanas(db: Database) -> list[Campana]:
    """sp_listar_campanas: every campaign with its settings and live queue."""
    return [Campana.model_validate(r) for r in _rows(await db.call("sp_listar_campanas"))]


async def asignar_habilidad(db: Database, asesor_id: int, campana_id: int) -> Habilidad:
    """sp_asignar_habilidad: the asesor may work the campaign. Event ASESOR_SKILLS_CHANGED."""
    sets = await db.call("sp_asignar_habilidad", (asesor_id, campana_id))
    return Habilidad.model_validate(_one(sets, "sp_asignar_habilidad"))


async def quitar_habilidad(db: Database, asesor_id: int, campana_id: int) -> Habilidad:
    """sp_quitar_habilidad: no more customers of the campaign. Event ASESOR_SKILLS_CHANGED."""
    sets = await db.call("sp_quitar_habilidad", (asesor_id, campana_id))
    return Habilidad.model_validate(_one(sets, "sp_quitar_habilidad"))


async def fijar_capacidad(db: Database, asesor_id: int, capacidad: int) -> int:
    """sp_fijar_capacidad: customers it may hold at once. Event ASESOR_CAPACITY_CHANGED."""
    return int(_one(await db.call("sp_fijar_capacidad", (asesor_id, capacidad)), "sp_fijar_capacidad")["capacidad"])


async def panel_asesores(db: Database) -> list[PanelAsesor]:
    """sp_panel_asesores: presence, load against capacity, timeouts and skills of each asesor."""
    return [PanelAsesor.model_validate(r) for r in _rows(await db.call("sp_panel_asesores"))]


async def cambiar_presencia(db: Database, asesor_id: int, presencia: Presencia, motivo_pausa: str | None,
                            actor: Actor) -> PresenciaCambiada:
    """sp_cambiar_presencia: disponible, en_pausa (a reason), desconectado. ASESOR_STATUS_CHANGED."""
    sets = await db.call("sp_cambiar_presencia", (asesor_id, presencia, motivo_pausa, actor))
    return PresenciaCambiada.model_validate(_one(sets, "sp_cambiar_presencia"))


async def listar_motivos_pausa(db: Database) -> list[MotivoPausa]:
    """sp_listar_motivos_pausa: the pause reasons that may be chosen now."""
    return [MotivoPausa.model_validate(r) for r in _rows(await db.call("sp_listar_motivos_pausa"))]


async def reportar_conectados(db: Database, asesor_ids: list[int]) -> int:
    """sp_reportar_conectados: the asesores with a live dashboard socket here. No event."""
    sets = await db.call("sp_reportar_conectados", (json.dumps(sorted(asesor_ids)),))
    return int(_one(sets, "sp_reportar_conectados")["vistos"])


async def siguiente_cliente(db: Database, asesor_id: int) -> Siguiente:
    """sp_siguiente_cliente: the pull (cliente_id None: nothing waits). Event CLIENT_REASSIGNED."""
    return Siguiente.model_validate(_one(await db.call("sp_siguiente_cliente", (asesor_id,)),
                                         "sp_siguiente_cliente"))


async def devolver_cliente(db: Database, cliente_id: int, asesor_id: int, motivo: str) -> None:
    """sp_devolver_cliente: the asesor hands a customer back. Event CLIENT_RETURNED_TO_GTR."""
    await db.call("sp_devolver_cliente", (cliente_id, asesor_id, motivo))


async def distribuir(db: Database) -> Distribucion:
    """sp_distribuir: the automatic distribution now (stale sockets first)."""
    return Distribucion.model_validate(_one(await db.call("sp_distribuir"), "sp_distribuir"))


# ---------------------------------------------------------------------------------------
# The supervisor's desk (issue 14): administration by a GTR token, each change audited with
# the caller's token id (``emisor``), which the procedures check again (45015 not_permitted).
# ---------------------------------------------------------------------------------------


async def gtr_crear_asesor(db: Database, emisor_token_id: int, nombre: str) -> int:
    """sp_gtr_crear_asesor: GTR adds an asesor; its id. Event ASESOR_CREATED, audited."""
    sets = await db.call("sp_gtr_crear_asesor", (emisor_token_id, nombre))
    return int(_one(sets, "sp_gtr_crear_asesor")["asesor_id"])


async def gtr_desactivar_asesor(db: Database, emisor_token_id: int, asesor_id: int) -> AsesorDesactivado:
    """sp_gtr_desactivar_asesor: sp_desactivar_asesor by a GTR token, audited."""
    sets = await db.call("sp_gtr_desactivar_asesor", (emisor_token_id, asesor_id))
    return AsesorDesactivado.model_validate(_one(sets, "sp_gtr_desactivar_asesor"))


async def gtr_activar_asesor(db: Database, emisor_token_id: int, asesor_id: int) -> None:
    """sp_gtr_activar_asesor: sp_activar_asesor by a GTR token, audited."""
    await db.call("sp_gtr_activar_asesor", (emisor_token_id, asesor_id))


async def gtr_configurar(db: Database, emisor_token_id: int, clave: str, valor: int) -> ConfigCambiada:
    """sp_gtr_configurar: GTR changes a floor setting. Event CONFIG_CHANGED, audited."""
    sets = await db.call("sp_gtr_configurar", (emisor_token_id, clave, valor))
    return ConfigCambiada.model_validate(_one(sets, "sp_gtr_configurar"))


async def gtr_emitir_token_asesor(
    db: Database, emisor_token_id: int, asesor_id: int, token_sha256: str, descripcion: str | None,
    vigencia_segundos: int | None,
) -> TokenCreado:
    """sp_gtr_emitir_token_asesor: records an asesor's login token (its SHA-256 only) given by
    a GTR token. Event ASESOR_TOKEN_ISSUED, audited (neither holds the token)."""
    sets = await db.call("sp_gtr_emitir_token_asesor", (emisor_token_id, asesor_id, token_sha256, descripcion,
                                                        vigencia_segundos))
    return TokenCreado.model_validate(_one(sets, "sp_gtr_emitir_token_asesor"))


async def auditoria_admin(db: Database, asesor_id: int | None, limite: int) -> list[Auditoria]:
    """sp_auditoria_admin: the newest administrative changes, of one asesor or all."""
    return [Auditoria.model_validate(r) for r in _rows(await db.call("sp_auditoria_admin", (asesor_id, limite)))]


# -- The supervisor's desk: reports and the wallboard (issue 14, docs/escritorio.md) --------


async def reporte_asesores(db: Database, desde: datetime, hasta: datetime, asesor_id: int | None
                           ) -> list[ReporteAsesor]:
    """sp_reporte_asesores: per asesor, the UTC hours [desde, hasta)."""
    sets = await db.call("sp_reporte_asesores", (desde, hasta, asesor_id))
    return [ReporteAsesor.model_validate(r) for r in _rows(sets)]


async def reporte_por_hora(db: Database, desde: datetime, hasta: datetime, asesor_id: int | None) -> list[ReporteHora]:
    """sp_reporte_por_hora: the hours with activity, oldest first."""
    return [ReporteHora.model_validate(r)
            for r in _rows(await db.call("sp_reporte_por_hora", (desde, hasta, asesor_id)))]


async def reporte_velocidad(
    db: Database, desde: datetime, hasta: datetime, asesor_id: int | None, umbral_segundos: int | None
) -> tuple[list[TramoVelocidad], ResumenVelocidad]:
    """sp_reporte_velocidad: speed to lead's distribution (seven buckets) and its summary."""
    sets = await db.call("sp_reporte_velocidad", (desde, hasta, asesor_id, umbral_segundos))
    if len(sets) != 2 or len(sets[1]) != 1:
        raise UnexpectedDatabaseError("sp_reporte_velocidad did not return its two result sets")
    return [TramoVelocidad.model_validate(r) for r in sets[0]], ResumenVelocidad.model_validate(sets[1][0])


async def reporte_campanas(
    db: Database, desde: datetime, hasta: datetime, asesor_id: int | None, campana_id: int | None,
    umbral_segundos: int | None,
) -> list[ReporteCampana]:
    """sp_reporte_campanas: speed to lead and service level per campaign."""
    sets = await db.call("sp_reporte_campanas", (desde, hasta, asesor_id, campana_id, umbral_segundos))
    return [ReporteCampana.model_validate(r) for r in _rows(sets)]


async def tablero(db: Database, segundos_aviso: int, limite: int) -> Tablero:
    """sp_tablero: the wallboard's counts, the oldest waiting lead, those about to time out."""
    sets = await db.call("sp_tablero", (segundos_aviso, limite))
    if len(sets) != 4 or len(sets[1]) != 1:
        raise UnexpectedDatabaseError("sp_tablero did not return its four result sets")
    return Tablero(estados=[EstadoCuenta.model_validate(r) for r in sets[0]],
                   totales=TableroTotales.model_validate(sets[1][0]),
                   mas_antiguo=EsperaMasAntigua.model_validate(sets[2][0]) if sets[2] else None,
                   por_vencer=[PorVencer.model_validate(r) for r in sets[3]])


# -- The desk's administration of pause reasons (issue 14, docs/escritorio.md) -------------


async def listar_motivos_pausa_todos(db: Database) -> list[MotivoPausaAdmin]:
    """sp_listar_motivos_pausa_todos: every pause reason, those out of use too."""
    return [MotivoPausaAdmin.model_validate(r) for r in _rows(await db.call("sp_listar_motivos_pausa_todos"))]


async def gtr_configurar_motivo_pausa(db: Database, emisor_token_id: int, codigo: str, descripcion: str,
                                      activo: bool) -> MotivoPausaAdmin:
    """sp_gtr_configurar_motivo_pausa: GTR adds or changes a pause reason. Event
    PAUSE_REASON_CHANGED, audited."""
    sets = await db.call("sp_gtr_configurar_motivo_pausa", (emisor_token_id, codigo, descripcion, int(activo)))
    return MotivoPausaAdmin.model_validate(_one(sets, "sp_gtr_configurar_motivo_pausa"))


async def listar_clientes_de_campana(
    db: Database, campana_id: int, estado: Estado | None, asesor_id: int | None, limite: int, desplazamiento: int
) -> Listado:
    """sp_listar_clientes_de_campana: a page of one campaign's board, as sp_listar_clientes answers."""
    return _listado(await db.call("sp_listar_clientes_de_campana", (campana_id, estado, asesor_id, limite,
                                                                    desplazamiento)),
                    "sp_listar_clientes_de_campana")
