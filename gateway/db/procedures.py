"""The one catalogue of what the gateway asks the database: one function per procedure.

Nothing else in the gateway builds SQL. Every function here CALLs one stored procedure
through :meth:`gateway.db.pool.Database.call` with bound parameters and returns typed rows
(pydantic models). Failures arrive as the exceptions of :mod:`gateway.db.exceptions`.
Waking the outbox tailer after a call that wrote events is the pool's job, driven by
:data:`gateway.db.outbox.EVENT_WRITING_PROCEDURES`: no function here does it by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from gateway.db.exceptions import UnexpectedDatabaseError
from gateway.db.pool import Database, Row

# ---------------------------------------------------------------------------------------
# Row models
# ---------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    """The driver returns naive datetimes; every session runs in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _json_object(value: object) -> object:
    """MariaDB hands JSON columns back as text; MySQL may hand back str or bytes."""
    if isinstance(value, bytes | bytearray):
        value = value.decode()
    if isinstance(value, str):
        return json.loads(value)
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]
# The customer states, declared once; tests/test_states.py holds the SQL ENUM, the SQL's
# lists and the dashboard's to it.
Estado = Literal["nuevo", "derivado", "en_gestion", "terminado", "no_gestionado"]


class RowModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Cliente(RowModel):
    """A customer as ``v_clientes`` shows it (the lock token is never included)."""

    cliente_id: int
    nombre: str
    telefono: str | None
    datos: JsonObject | None
    seguimiento_status: Estado
    asesor_asignado: int | None
    created_at: UtcDatetime
    derivado_at: UtcDatetime | None
    opened_at: UtcDatetime | None
    last_activity: UtcDatetime | None
    wizard_completado: bool
    fecha_wizard_completado: UtcDatetime | None
    bloqueado: bool
    updated_at: UtcDatetime
    vence_at: UtcDatetime | None  # when the sweep returns it unless the asesor acts first


class Listado(RowModel):
    """One page of the board and the outbox id it is consistent with."""

    snapshot_outbox_id: int
    total: int
    timeout_segundos: int
    clientes: list[Cliente]


class Historial(RowModel):
    historial_id: int
    cliente_id: int
    estado_anterior: str | None
    estado_nuevo: str
    asesor_id: int | None
    asesor_anterior_id: int | None
    actor: str
    motivo: str
    outbox_id: int
    created_at: UtcDatetime


class Asesor(RowModel):
    asesor_id: int
    nombre: str
    activo: bool


class Lock(RowModel):
    lock_token: str
    lock_expires_at: UtcDatetime


class LockExpiry(RowModel):
    lock_expires_at: UtcDatetime


class OutboxEvent(RowModel):
    id: int
    event_type: str
    cliente_id: int | None
    asesor_id: int | None
    previous_asesor_id: int | None
    payload: JsonObject
    created_at: UtcDatetime


class OutboxLimits(RowModel):
    primer_id: int | None
    ultimo_id: int


class TokenIdentity(RowModel):
    token_id: int
    rol: Literal["gtr", "asesor"]
    asesor_id: int | None
    expires_at: UtcDatetime | None = None


class ServerState(RowModel):
    event_scheduler: str
    barrido_estado: str | None
    ultimo_outbox_id: int
    barrido_atraso_segundos: int | None


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


class AsesorDesactivado(RowModel):
    clientes_devueltos: int
    tokens_revocados: int


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


async def cargar_cliente(db: Database, nombre: str, telefono: str | None, datos: dict[str, Any] | None) -> int:
    """sp_cargar_cliente: GTR loads a customer as nuevo; its id. Event CLIENT_CREATED."""
    datos_json = None if datos is None else json.dumps(datos, ensure_ascii=False)
    sets = await db.call("sp_cargar_cliente", (nombre, telefono, datos_json))
    return int(_one(sets, "sp_cargar_cliente")["cliente_id"])


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


async def listar_clientes(
    db: Database, estado: Estado | None, asesor_id: int | None, limite: int, desplazamiento: int
) -> Listado:
    """sp_listar_clientes: a page of the board and the outbox id it reflects."""
    sets = await db.call("sp_listar_clientes", (estado, asesor_id, limite, desplazamiento))
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError("sp_listar_clientes did not return its two result sets")
    head = sets[0][0]
    return Listado(
        snapshot_outbox_id=int(head["snapshot_outbox_id"]),
        total=int(head["total"]),
        timeout_segundos=int(head["timeout_segundos"]),
        clientes=[Cliente.model_validate(r) for r in sets[1]],
    )


async def obtener_cliente(db: Database, cliente_id: int) -> Cliente:
    """sp_obtener_cliente: one customer."""
    return Cliente.model_validate(_one(await db.call("sp_obtener_cliente", (cliente_id,)), "sp_obtener_cliente"))


async def historial_cliente(db: Database, cliente_id: int) -> list[Historial]:
    """sp_historial_cliente: every change of one customer, oldest first."""
    return [Historial.model_validate(r) for r in _rows(await db.call("sp_historial_cliente", (cliente_id,)))]


async def outbox_leer(db: Database, desde_id: int, limite: int) -> list[OutboxEvent]:
    """sp_outbox_leer: events with id > desde_id in id order (ids are gap-free)."""
    return [OutboxEvent.model_validate(r) for r in _rows(await db.call("sp_outbox_leer", (desde_id, limite)))]


async def outbox_limites(db: Database) -> OutboxLimits:
    """sp_outbox_limites: the oldest kept and the newest committed outbox ids."""
    return OutboxLimits.model_validate(_one(await db.call("sp_outbox_limites"), "sp_outbox_limites"))


class TokenCreado(RowModel):
    token_id: int
    expires_at: UtcDatetime | None


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


class LineaRechazada(RowModel):
    """A line of an import that was not loaded, and why. The one type for it, whether the CSV
    parser or sp_importar_lote rejected the line, up to the command's output and the JSON
    of POST /api/importaciones."""

    linea: int
    motivo: str


class LoteImportado(RowModel):
    """What sp_importar_lote did with one batch. ``ya_importado``: its clave had been loaded
    before, so nothing was done (the counts are the earlier run's, the lines not repeated)."""

    importacion_id: int
    cargados: int
    ya_importado: bool
    rechazados: list[LineaRechazada]


async def importar_lote(
    db: Database, clave: str, origen: str | None, filas_json: str, omitir_duplicados: bool
) -> LoteImportado:
    """sp_importar_lote: loads one batch of leads set-based. Event CLIENTS_IMPORTED."""
    sets = await db.call("sp_importar_lote", (clave, origen, filas_json, int(omitir_duplicados)))
    if len(sets) != 2 or len(sets[0]) != 1:
        raise UnexpectedDatabaseError("sp_importar_lote did not return its two result sets")
    # The summary row's rechazados is a count; the second result set is the lines themselves.
    return LoteImportado.model_validate({**sets[0][0], "rechazados": sets[1]})


async def configurar(db: Database, clave: str, valor: int) -> int:
    """sp_configurar: changes one setting; its previous value."""
    return int(_one(await db.call("sp_configurar", (clave, valor)), "sp_configurar")["valor_anterior"])


async def barrido_seguimiento(db: Database) -> int:
    """sp_barrido_seguimiento: runs the timeout sweep now; how many customers it returned."""
    sets = await db.call("sp_barrido_seguimiento")
    return int(_one(sets, "sp_barrido_seguimiento")["devueltos"])


# -- The supervisor's desk: reports and the wallboard (issue 14, docs/escritorio.md) --------


class ReporteAsesor(RowModel):
    asesor_id: int
    asesor_nombre: str
    activo: bool
    asignados: int
    abiertos: int
    completados: int
    devueltos_timeout: int
    mediana_segundos_hasta_abrir: float | None
    mediana_segundos_gestion: float | None


class ReporteHora(RowModel):
    hora: UtcDatetime
    asignados: int
    abiertos: int
    completados: int
    devueltos_timeout: int


class TramoVelocidad(RowModel):
    orden: int
    tramo: str
    desde_segundos: int
    hasta_segundos: int | None
    clientes: int


class ResumenVelocidad(RowModel):
    clientes: int
    mediana_segundos: float | None
    umbral_segundos: int
    dentro_del_umbral: int
    nivel_servicio: float | None


class ReporteCampana(RowModel):
    campana_id: int
    campana_nombre: str
    clientes: int
    mediana_segundos: float | None
    p90_segundos: float | None
    umbral_segundos: int
    dentro_del_umbral: int
    nivel_servicio: float | None


class EstadoCuenta(RowModel):
    seguimiento_status: Estado
    clientes: int


class TableroTotales(RowModel):
    esperando: int
    sin_abrir: int
    en_gestion: int
    asignados_hoy: int
    terminados_hoy: int
    devueltos_hoy: int
    timeout_segundos: int
    ahora: UtcDatetime


class EsperaMasAntigua(RowModel):
    cliente_id: int
    nombre: str
    seguimiento_status: Estado
    esperando_desde: UtcDatetime
    segundos_esperando: float


class PorVencer(RowModel):
    cliente_id: int
    nombre: str
    seguimiento_status: Estado
    asesor_asignado: int | None
    asesor_nombre: str | None
    last_activity: UtcDatetime | None
    vence_at: UtcDatetime
    segundos_restantes: float


class Tablero(RowModel):
    estados: list[EstadoCuenta]
    totales: TableroTotales
    mas_antiguo: EsperaMasAntigua | None
    por_vencer: list[PorVencer]


class CampanaCola(RowModel):
    campana_id: int
    nombre: str
    en_cola: int
    en_espera: int
    mas_antiguo_en_cola: UtcDatetime | None
    activos: int


class PresenciaAsesor(RowModel):
    asesor_id: int
    nombre: str
    presencia: Literal["disponible", "en_pausa", "desconectado"]
    motivo_pausa: str | None
    carga: int
    capacidad: int


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


async def listar_campanas(db: Database) -> list[CampanaCola]:
    """sp_listar_campanas: every campaign with its live queue."""
    return [CampanaCola.model_validate(r) for r in _rows(await db.call("sp_listar_campanas"))]


async def panel_asesores(db: Database) -> list[PresenciaAsesor]:
    """sp_panel_asesores: every active asesor's presence and load."""
    return [PresenciaAsesor.model_validate(r) for r in _rows(await db.call("sp_panel_asesores"))]
