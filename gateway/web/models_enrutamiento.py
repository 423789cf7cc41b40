"""Requests and answers of the routing routes (issue 13): campaigns, the asesor panel,
skills, capacity, presence, the pull and the hand-back (docs/api.md, "Routing").

The rows keep their procedures' snake_case names (CONTRIBUTING.md, "JSON field names"); what
the API adds around them is lowerCamelCase.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from gateway.db.rows import Campana, Modo, MotivoPausa, PanelAsesor, Presencia
from gateway.web.models import (
    AsesorRequest,
    CodigoPausa,
    Devoluciones,
    Id,
    NombreCampana,
    Prioridad,
    ReciclajeSegundos,
    Request,
    Response,
    TimeoutSegundos,
)


class CampanaNueva(Request):
    """POST /api/campanas. An omitted field takes the procedure's default."""

    nombre: NombreCampana
    timeoutSegundos: TimeoutSegundos | None = None  # None: the global timeout_segundos
    prioridad: Prioridad | None = None
    modo: Modo | None = None
    reciclajeSegundos: ReciclajeSegundos | None = None
    maxDevoluciones: Devoluciones | None = None


# A PATCH field -> its clave in sp_configurar_campana_varios' object (sp_configurar_campana's claves).
CAMPOS_CAMPANA = {"nombre": "nombre", "timeoutSegundos": "timeout_segundos", "prioridad": "prioridad",
                  "modo": "modo", "reciclajeSegundos": "reciclaje_segundos", "maxDevoluciones": "max_devoluciones",
                  "pausaTrasTimeouts": "pausa_tras_timeouts", "activa": "activa"}
# The settings that may be null (back to the global value).
NULLABLE_CAMPOS = frozenset({"timeoutSegundos", "pausaTrasTimeouts"})


class CambiosCampana(Request):
    """PATCH /api/campanas/{id}: the settings to change (at least one). timeoutSegundos and
    pausaTrasTimeouts may be null: the global value applies again."""

    nombre: NombreCampana | None = None
    timeoutSegundos: TimeoutSegundos | None = None
    prioridad: Prioridad | None = None
    modo: Modo | None = None
    reciclajeSegundos: ReciclajeSegundos | None = None
    maxDevoluciones: Devoluciones | None = None
    pausaTrasTimeouts: Devoluciones | None = None
    activa: bool | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> CambiosCampana:
        given = self.model_fields_set
        if not given:
            raise ValueError("nothing to change: give at least one setting")
        for name in given - NULLABLE_CAMPOS:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def cambios(self) -> dict[str, str | int | bool | None]:
        """The fields given, by clave, for sp_configurar_campana_varios' JSON object (its values
        keep their JSON kinds: strings, whole numbers, true/false, null)."""
        return {clave: getattr(self, field) for field, clave in CAMPOS_CAMPANA.items()
                if field in self.model_fields_set}


class CampanaCreada(Response):
    campanaId: int


class Campanas(Response):
    """GET /api/campanas: every campaign, its settings and its live queue."""

    campanas: list[Campana]


class PanelAsesores(Response):
    """GET /api/asesores/panel: presence, load against capacity, timeouts, skills."""

    asesores: list[PanelAsesor]


class HabilidadRequest(Request):
    """POST /api/asesores/{id}/habilidades: give (true) or take (false) a campaign's skill."""

    campanaId: Id
    habilidad: bool


class HabilidadCambiada(Response):
    asesorId: int
    campanaId: int
    habilidad: bool
    cambiado: bool  # false: it already was so


class CapacidadRequest(Request):
    """PUT /api/asesores/{id}/capacidad."""

    capacidad: Annotated[int, Field(ge=1, le=100)]


class CapacidadFijada(Response):
    asesorId: int
    capacidad: int


class PresenciaGtr(Request):
    """POST /api/asesores/{id}/presencia: GTR sets an asesor's presence. motivoPausa only
    with en_pausa, and then required (one of GET /api/motivos-pausa)."""

    presencia: Presencia
    motivoPausa: CodigoPausa | None = None


class PresenciaPropia(AsesorRequest):
    """POST /api/presencia: the asesor sets its own presence."""

    presencia: Presencia
    motivoPausa: CodigoPausa | None = None


class PresenciaCambiada(Response):
    asesorId: int
    presencia: Presencia
    motivoPausa: str | None
    asignados: int  # customers the distribution gave it right away (made disponible)


class MotivosPausa(Response):
    motivos: list[MotivoPausa]


class SiguienteCliente(Response):
    """POST /api/siguiente-cliente: the customer given, or both null when nothing waits."""

    clienteId: int | None
    campanaId: int | None


class Devolucion(AsesorRequest):
    """POST /api/clientes/{id}/devolver: the asesor hands the customer back, saying why."""

    motivo: Annotated[str, Field(min_length=1, max_length=200)]
