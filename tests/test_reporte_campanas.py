"""sp_reporte_campanas (issue 14): speed to lead and service level per campaign, read from
the reports' summary and split by each customer's campaign; the same figures as
sp_reporte_velocidad when there is one campaign."""

from __future__ import annotations

from decimal import Decimal

from gateway.db.errors import ErrorCode
from tests.support import Db, refused
from tests.test_escritorio import DESDE, HASTA
from tests.test_views import at, set_times


def opened(db: Db, asesor: int, campana: int, open_after: int) -> int:
    """A customer of `campana` loaded at 0, assigned at 10, first opened at 10 + open_after."""
    cliente = int(db.call_one("sp_cargar_cliente_en_campana", f"c{open_after}", None, None, campana, 0)["cliente_id"])
    db.call("sp_derivar_cliente", cliente, asesor, "gtr")
    token = db.call_one("sp_tomar_cliente", cliente, asesor)["lock_token"]
    db.call("sp_abrir_wizard", cliente, asesor, token)
    set_times(db, cliente, [at(0), at(10), at(10 + open_after)])
    return cliente


def test_speed_to_lead_and_service_level_per_campaign(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    ventas = int(db.call_one("sp_crear_campana", "ventas", None, 0, "manual", None, None)["campana_id"])
    for open_after in (20, 50, 290):  # general: 30, 60, 300 s
        opened(db, ana, 1, open_after)
    for open_after in (600, 4000):  # ventas: 610, 4010 s
        opened(db, bea, ventas, open_after)

    (rows,) = db.call("sp_reporte_campanas", DESDE, HASTA, None, None, None)
    by_id = {r["campana_id"]: r for r in rows}
    assert list(by_id) == [1, ventas]
    general, otra = by_id[1], by_id[ventas]
    assert (general["campana_nombre"], general["clientes"], Decimal(general["mediana_segundos"])) == ("general", 3, 60)
    assert (Decimal(general["p90_segundos"]), general["dentro_del_umbral"], general["umbral_segundos"]) == (300, 3, 300)
    assert Decimal(general["nivel_servicio"]) == 1
    assert (otra["clientes"], Decimal(otra["mediana_segundos"]), Decimal(otra["p90_segundos"])) == (2, 2310, 4010)
    assert (otra["dentro_del_umbral"], Decimal(otra["nivel_servicio"])) == (0, 0)

    # The filters: one campaign, one asesor, a tighter target.
    (only,) = db.call("sp_reporte_campanas", DESDE, HASTA, None, ventas, None)
    assert [r["campana_id"] for r in only] == [ventas]
    (of_ana,) = db.call("sp_reporte_campanas", DESDE, HASTA, ana, None, 45)
    assert [(r["campana_id"], r["clientes"], r["dentro_del_umbral"]) for r in of_ana] == [(1, 3, 1)]
    (none,) = db.call("sp_reporte_campanas", HASTA, HASTA + (HASTA - DESDE), None, None, None)
    assert none == []

    # Every campaign together reads as sp_reporte_velocidad's summary.
    _, (summary,) = db.call("sp_reporte_velocidad", DESDE, HASTA, None, None)
    assert summary["clientes"] == sum(r["clientes"] for r in rows)
    assert summary["dentro_del_umbral"] == sum(r["dentro_del_umbral"] for r in rows)


def test_an_unknown_campaign_is_refused(db: Db) -> None:
    with refused(ErrorCode.CAMPANA_NOT_FOUND):
        db.call("sp_reporte_campanas", DESDE, HASTA, None, 999_999, None)
