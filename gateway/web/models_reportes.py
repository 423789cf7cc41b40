"""Queries and answers of the desk's report and wallboard routes (issue 14).

The rows keep their procedures' snake_case names (CONTRIBUTING.md, "JSON field names"); what
the API adds around them is lowerCamelCase.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.db.rows import (
    Campana,
    EsperaMasAntigua,
    EstadoCuenta,
    PanelAsesor,
    PorVencer,
    ReporteAsesor,
    ReporteCampana,
    ReporteHora,
    ResumenVelocidad,
    TableroTotales,
    TramoVelocidad,
    UtcDatetime,
)
from gateway.web.models import Id, Response

# The procedures' own limit (_reporte_preparar): a report covers at most 366 days.
MAX_DIAS = 366
DEFAULT_DIAS = 7


class ReporteQuery(BaseModel):
    """GET /api/reportes: whole UTC days from ``desde`` to ``hasta`` (both included; by
    default the last DEFAULT_DIAS days up to today, UTC)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    desde: date | None = None
    hasta: date | None = None
    asesorId: Id | None = None
    campanaId: Id | None = None
    umbralSegundos: Annotated[int, Field(ge=1, le=86400)] = 300

    def days(self, today: date) -> tuple[date, date]:
        """The first and last day reported (both included)."""
        hasta = self.hasta or (today if self.desde is None else self.desde + timedelta(days=DEFAULT_DIAS - 1))
        return self.desde or hasta - timedelta(days=DEFAULT_DIAS - 1), hasta

    @model_validator(mode="after")
    def _range(self) -> ReporteQuery:
        if self.desde is None or self.hasta is None:
            return self
        if self.hasta < self.desde:
            raise ValueError("hasta is before desde")
        if (self.hasta - self.desde).days + 1 > MAX_DIAS:
            raise ValueError(f"a report covers at most {MAX_DIAS} days")
        return self


class Reporte(Response):
    """The reports page in one answer. ``campanaId`` filters ``campanas`` only: the per-asesor
    and per-hour summaries have no campaign (docs/escritorio.md)."""

    desde: UtcDatetime  # the range's bounds, in UTC like every time the API answers
    hasta: UtcDatetime
    asesores: list[ReporteAsesor]
    porHora: list[ReporteHora]
    velocidad: list[TramoVelocidad]
    resumenVelocidad: ResumenVelocidad
    campanas: list[ReporteCampana]


class TableroQuery(BaseModel):
    """GET /api/tablero: "about to time out" is ``avisoSegundos`` or fewer seconds left."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    avisoSegundos: Annotated[int, Field(ge=1, le=86400)] = 60
    limite: Annotated[int, Field(ge=1, le=500)] = 20


class Muro(Response):
    """The wallboard's figures: sp_tablero, the campaigns' queues and the asesores' presence."""

    estados: list[EstadoCuenta]
    totales: TableroTotales
    masAntiguo: EsperaMasAntigua | None
    porVencer: list[PorVencer]
    campanas: list[Campana]
    asesores: list[PanelAsesor]
