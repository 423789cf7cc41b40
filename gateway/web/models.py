"""Request and response bodies of the REST API.

Requests are parsed strictly: unknown fields, wrong JSON types (a string where a number
goes, a number where a string goes) and out-of-range values are refused with 422 before
any database call.

JSON field names follow one rule (CONTRIBUTING.md, "JSON field names"): a name the API
makes up is lowerCamelCase, as the seed's front end spells them (``asesorId``, ``lockToken``,
``snapshotOutboxId``), in requests, answers and event payloads alike; a database row (the
``RowModel``s of gateway/db/procedures.py) keeps its view's snake_case column names; and
the seed's own names (SEED_NAMES) are spelled as the seed does wherever they appear.
tests/gateway/test_json_names.py holds every model, /openapi.json and the outbox payloads to it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from gateway.db.rows import (
    Asesor,
    Auditoria,
    Cliente,
    Estado,
    Historial,
    MotivoPausaAdmin,
    Presencia,
)

# The seed's names, kept as it spells them in answers and events too (the customer's state
# is ``seguimiento_status`` in the seed's rows, API and events alike).
SEED_NAMES = frozenset({"seguimiento_status"})
BIGINT_MAX = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
LockToken = Annotated[str, Field(min_length=1, max_length=64)]


# The contact rules are the procedures' (sql/procedures/_validar_contacto.sql): these types only
# bound what is forwarded, and must never refuse a contact the procedures accept
# (tests/test_contact_rules.py). nombre's 200 characters count once trimmed, as in the SQL;
# an empty or blank telefono means none.
def _nombre_fits(value: str) -> str:
    if len(value.strip()) > 200:
        raise ValueError("nombre is longer than 200 characters")
    return value


Nombre = Annotated[str, Field(min_length=1), AfterValidator(_nombre_fits)]
Telefono = Annotated[str, Field(max_length=40)]

# What the procedures accept as datos (sql/procedures/_validar_datos.sql): a JSON object of
# at most 64 KiB; MariaDB's JSON functions also stop at 32 levels of nesting.
DATOS_MAX_BYTES = 65536
DATOS_MAX_DEPTH = 30


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _check_datos(value: dict[str, Any]) -> dict[str, Any]:
    if _depth(value) > DATOS_MAX_DEPTH:
        raise ValueError(f"datos nests deeper than {DATOS_MAX_DEPTH} levels")
    if len(json.dumps(value, ensure_ascii=False).encode()) > DATOS_MAX_BYTES:
        raise ValueError("datos is larger than 64 KiB")
    return value


Datos = Annotated[dict[str, Any], AfterValidator(_check_datos)]
# Routing's ranges are the procedures' (sp_crear_campana, sp_configurar_campana,
# sp_cargar_cliente_en_campana); these only keep a value inside what the SQL can be given.
Prioridad = Annotated[int, Field(ge=-1000, le=1000)]
TimeoutSegundos = Annotated[int, Field(ge=1, le=86400)]
ReciclajeSegundos = Annotated[int, Field(ge=0, le=604800)]
Devoluciones = Annotated[int, Field(ge=0, le=1000)]
NombreCampana = Annotated[str, Field(min_length=1, max_length=120)]
CodigoPausa = Annotated[str, Field(min_length=1, max_length=40)]


class Request(BaseModel):
    """A request body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ClienteNuevo(Request):
    """POST /api/clientes."""

    nombre: Nombre
    telefono: Telefono | None = None
    datos: Datos | None = None
    campanaId: Id | None = None  # None: the campaign 'general' (id 1)
    prioridad: Prioridad | None = None  # None: 0; higher is served first inside its campaign


class AsesorNuevo(Request):
    """POST /api/asesores."""

    nombre: Annotated[str, Field(min_length=1, max_length=120)]


class Derivacion(Request):
    """POST /api/clientes/{id}/estatus: GTR assigns or reassigns the customer."""

    tipo: Literal["gtr"]
    estatus: Literal["derivado"]
    asesorId: Id


class AsesorRequest(Request):
    """An asesor's action. ``asesorId`` may be omitted: it comes from the token."""

    asesorId: Id | None = None


class LockedRequest(AsesorRequest):
    """An asesor's action on a customer whose edit lock it holds."""

    lockToken: LockToken


class CambioEstatus(LockedRequest):
    """PATCH /api/clientes/{id}/estatus: en_gestion opens the wizard, terminado completes it."""

    estatus: Literal["en_gestion", "terminado"]


class ActualizarCliente(LockedRequest):
    """PUT /api/clientes/{id}: a new nombre and/or telefono (null clears the phone), and keys
    to merge into datos (a key set to null is removed)."""

    nombre: Nombre | None = None
    telefono: Telefono | None = None
    datos: Datos | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> ActualizarCliente:
        given = self.model_fields_set
        if "nombre" in given and self.nombre is None:
            raise ValueError("nombre cannot be null")
        if not ({"nombre", "telefono"} & given) and not self.datos:
            raise ValueError("nothing to change: give nombre, telefono or datos")
        if self.datos and ({"nombre", "telefono"} & self.datos.keys()):
            raise ValueError("nombre and telefono go at the top level, not inside datos")
        return self

    def procedure_json(self) -> dict[str, Any]:
        """The single JSON object sp_actualizar_cliente takes."""
        merged: dict[str, Any] = dict(self.datos or {})
        if self.nombre is not None:
            merged["nombre"] = self.nombre
        if "telefono" in self.model_fields_set:
            merged["telefono"] = self.telefono
        return merged


class ListQuery(BaseModel):
    """GET /api/clientes query string (values arrive as text, so not strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    estado: Estado | None = None
    asesorId: Id | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 50
    offset: Annotated[int, Field(ge=0, le=BIGINT_MAX)] = 0
    campanaId: Id | None = None  # one campaign's customers (sp_listar_clientes_de_campana)


class Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClienteCreado(Response):
    clienteId: int
    asesorAsignado: int | None = None  # an auto campaign's distribution gave it at once


class AsesorCreado(Response):
    asesorId: int


class AsesorEstado(Response):
    """An asesor made inactive or active again. On deactivation, how many customers went
    back to GTR (no_gestionado) and how many of its tokens were revoked."""

    asesorId: int
    activo: bool
    clientesDevueltos: int = 0
    tokensRevocados: int = 0


class Board(Response):
    """GET /api/clientes: a page of the board, consistent with outbox id snapshotOutboxId."""

    snapshotOutboxId: int
    total: int
    limit: int
    offset: int
    timeoutSegundos: int  # inactivity before the sweep returns a customer (vence_at counts it down)
    clientes: list[Cliente]


class HistorialResponse(Response):
    clienteId: int
    historial: list[Historial]


class Asesores(Response):
    asesores: list[Asesor]


class EstadoCambiado(Response):
    clienteId: int
    seguimiento_status: str
    asesorId: int | None = None


class LockResponse(Response):
    clienteId: int
    lockToken: str
    lockExpiresAt: datetime


class HeartbeatResponse(Response):
    clienteId: int
    lockExpiresAt: datetime


class Yo(Response):
    """GET /api/me: who the token is."""

    role: Literal["gtr", "asesor"]
    asesorId: int | None
    nombre: str | None
    presencia: Presencia | None = None  # an asesor's own presence (issue 13), for its switch
    motivoPausa: str | None = None


class ImportQuery(BaseModel):
    """POST /api/importaciones query string."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skipDuplicates: bool = False
    origen: Annotated[str, Field(min_length=1, max_length=255)] = "upload.csv"
    campanaId: Id | None = None  # None: the campaign 'general'
    prioridad: Prioridad | None = None  # every row's priority; None: 0


class Ack(Response):
    clienteId: int
    ok: bool = True


class ErrorDetail(Response):
    code: str  # stable slug: branch on it (docs/api.md lists every one with its status)
    message: str  # for people; never a stack trace


class ErrorBody(Response):
    """Every error answer of the gateway (gateway/web/http_errors.py builds it)."""

    error: ErrorDetail


class TailerState(Response):
    """/health: how the outbox tailer is doing. latestId and lagEvents need the database."""

    up: bool
    deliveredId: int | None
    secondsSinceRead: float | None
    pollInterval: float
    latestId: int | None = None
    lagEvents: int | None = None


class Health(Response):
    """GET /health, 200: the database answered; ``problems`` says what is wrong if degraded."""

    status: Literal["ok", "degraded"]
    problems: list[str]
    database: Literal["up"]
    eventScheduler: str
    sweepEvent: str | None
    sweepDelaySeconds: int | None
    tailer: TailerState
    websockets: dict[str, int]  # open sockets by role


class HealthUnavailable(ErrorBody):
    """GET /health, 503: the error body plus what the gateway still knows on its own."""

    status: Literal["unavailable"]
    database: Literal["unreachable"]
    tailer: TailerState
    websockets: dict[str, int]


def _outbox_id_text(value: object) -> object:
    # Python's int() spellings, as /ws always read since (" 7", "\u0663", "1_0"), and not
    # pydantic's own extras ("1.0"): tests/fuzz/test_ws_fuzz.py holds /ws to these answers.
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ValueError("since must be an outbox id (0 or more)") from None
    return value


class WebSocketQuery(BaseModel):
    """GET /ws query string: ``since``, an outbox id (0 or more); 422 otherwise. Other
    parameters (``token``) are not the model's concern."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    since: Annotated[int, Field(ge=0, le=BIGINT_MAX), BeforeValidator(_outbox_id_text)] | None = None


# -- the supervisor's desk: administration (issue 14) --------------------------------------


class TokenAsesorNuevo(Request):
    """POST /api/asesores/{id}/tokens: GTR gives the asesor a login token."""

    descripcion: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    # None: an asesor token's default lifetime (token_asesor_vigencia_segundos); 0: no expiry.
    vigenciaSegundos: Annotated[int, Field(ge=0, le=BIGINT_MAX)] | None = None


class TokenAsesorEmitido(Response):
    """The token itself, shown once: the database keeps only its SHA-256."""

    asesorId: int
    tokenId: int
    token: str
    expiresAt: datetime | None


class Configuracion(Request):
    """POST /api/configuracion: a floor setting GTR may change (the server's stay with DBAs)."""

    clave: Literal["timeout_segundos", "token_asesor_vigencia_segundos"]
    valor: Annotated[int, Field(ge=0, le=BIGINT_MAX)]


class ConfiguracionCambiada(Response):
    clave: str
    valorAnterior: int
    valor: int


class AuditoriaQuery(BaseModel):
    """GET /api/auditoria query string."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asesorId: Annotated[int, Field(ge=1, le=BIGINT_MAX)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class AuditoriaResponse(Response):
    auditoria: list[Auditoria]


class MotivoPausaCambio(Request):
    """POST /api/motivos-pausa: GTR adds a pause reason or changes one (by codigo). The rules
    (codigo of lowercase letters, digits and _; timeouts stays active) are the procedure's."""

    codigo: CodigoPausa
    descripcion: Annotated[str, Field(min_length=1, max_length=200)]
    activo: bool = True


class MotivosPausaTodos(Response):
    motivos: list[MotivoPausaAdmin]
