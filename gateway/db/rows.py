"""The rows the procedures answer, as pydantic models: what the catalogue
(:mod:`gateway.db.procedures`) returns and the web edge's answers embed. Column names are the
procedures' own (snake_case); datetimes come back in UTC, JSON columns as objects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict


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
    # Routing (issue 13): v_clientes' trailing columns (defaults: a row from before them validates).
    campana_id: int = 1
    prioridad: int = 0
    devoluciones: int = 0
    en_cola: bool = False


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
    distribuir_estado: str | None = None  # ev_distribuir's STATUS (issue 13), trailing column


class AsesorDesactivado(RowModel):
    clientes_devueltos: int
    tokens_revocados: int


class ClienteCargado(RowModel):
    cliente_id: int
    asesor_asignado: int | None  # given at once by an auto campaign's distribution; None: it waits


class TokenCreado(RowModel):
    token_id: int
    expires_at: UtcDatetime | None


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


Modo = Literal["manual", "auto"]


Presencia = Literal["disponible", "en_pausa", "desconectado"]


Actor = Literal["asesor", "gtr", "dba"]


class AjustesCampana(RowModel):
    """A campaign's settings, as sp_configurar_campana and sp_configurar_campana_varios answer them."""

    campana_id: int
    nombre: str
    timeout_segundos: int | None  # None: the global timeout_segundos applies
    prioridad: int
    modo: Modo
    reciclaje_segundos: int
    max_devoluciones: int
    pausa_tras_timeouts: int | None  # None: the global pausa_timeouts_consecutivos
    activa: bool


class Campana(AjustesCampana):
    """A campaign with its settings and live queue, as sp_listar_campanas shows it."""

    en_cola: int  # waiting, may be offered now
    en_espera: int  # waiting out a recycling delay
    mas_antiguo_en_cola: UtcDatetime | None
    activos: int  # derivado + en_gestion
    asesores_con_habilidad: int


class PanelAsesor(RowModel):
    """One active asesor on the GTR panel (sp_panel_asesores)."""

    asesor_id: int
    nombre: str
    presencia: Presencia
    motivo_pausa: str | None
    presencia_desde: UtcDatetime | None
    carga: int
    capacidad: int
    timeouts_consecutivos: int
    visto_at: UtcDatetime | None
    campanas: Annotated[list[int], BeforeValidator(_json_object)]


class MotivoPausa(RowModel):
    codigo: str
    descripcion: str


class Habilidad(RowModel):
    asesor_id: int
    campana_id: int
    cambiado: bool


class PresenciaCambiada(RowModel):
    asesor_id: int
    presencia: Presencia
    motivo_pausa: str | None
    asignados: int  # customers the distribution gave it right away


class Siguiente(RowModel):
    cliente_id: int | None  # None: nothing waits for this asesor
    campana_id: int | None


class Distribucion(RowModel):
    asignados: int
    desconectados: int
    omitido: bool


class ConfigCambiada(RowModel):
    clave: str
    valor_anterior: int
    valor: int


class Auditoria(RowModel):
    """One administrative change as ``sp_auditoria_admin`` lists it."""

    auditoria_id: int
    event_type: str
    asesor_id: int | None
    token_id: int | None
    emisor_token_id: int | None
    emisor_descripcion: str | None  # who the GTR token was given to
    actor: str
    detalle: JsonObject | None
    outbox_id: int | None
    created_at: UtcDatetime


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


class MotivoPausaAdmin(RowModel):
    """A pause reason as the desk's administration sees it: those out of use too."""

    codigo: str
    descripcion: str
    activo: bool
