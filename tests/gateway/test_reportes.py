"""The desk's report and wallboard routes (issue 14): figures from the procedures, bad ranges
refused before any database call, an asesor token refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from tests.gateway.conftest import People
from tests.gateway.harness import Api, error_code, run, running_gateway
from tests.support import Db


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@run()
async def test_the_report_of_today_counts_the_work_done_and_filters_by_asesor(db: Db, people: People) -> None:
    for _ in range(2):
        cliente, token = db.en_gestion(people.ana)
        db.call("sp_completar_wizard", cliente, people.ana, token)
    db.derivado(people.beto)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        report = await gtr.call("GET", f"/api/reportes?desde={today()}&hasta={today()}", expect=200)
        by_id = {r["asesor_id"]: r for r in report["asesores"]}
        assert (by_id[people.ana]["asignados"], by_id[people.ana]["abiertos"], by_id[people.ana]["completados"]) \
            == (2, 2, 2)
        assert (by_id[people.beto]["asignados"], by_id[people.beto]["completados"]) == (1, 0)
        assert sum(h["completados"] for h in report["porHora"]) == 2
        assert [t["tramo"] for t in report["velocidad"]][0] == "< 1 min" and len(report["velocidad"]) == 7
        assert report["resumenVelocidad"]["clientes"] == 2 and report["resumenVelocidad"]["umbral_segundos"] == 300
        assert [(c["campana_id"], c["clientes"]) for c in report["campanas"]] == [(1, 2)]
        assert report["desde"].startswith(today()) and report["hasta"].startswith(
            (datetime.now(UTC).date() + timedelta(days=1)).isoformat())

        beto = await gtr.call("GET", f"/api/reportes?asesorId={people.beto}&umbralSegundos=60", expect=200)
        assert [r["asesor_id"] for r in beto["asesores"]] == [people.beto]  # default range: the last 7 days
        assert beto["campanas"] == [] and beto["resumenVelocidad"]["umbral_segundos"] == 60
        none = await gtr.call("GET", f"/api/reportes?campanaId=1&desde={today()}", expect=200)
        assert [c["campana_id"] for c in none["campanas"]] == [1]


@run()
async def test_bad_ranges_unknown_ids_and_an_asesor_token_are_refused(db: Db, people: People) -> None:
    before = db.snapshot()
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        for query in ("desde=2026-13-01", "desde=ayer", "desde=2026-02-10&hasta=2026-02-09",
                      "desde=2025-01-01&hasta=2026-01-02", "umbralSegundos=0", "umbralSegundos=86401",
                      "asesorId=0", "campanaId=-1", "otra=1"):
            status, body = await gtr.raw("GET", f"/api/reportes?{query}")
            assert (status, error_code(body)) == (422, "validation_error"), query
        # 366 days is the limit, both days included.
        assert (await gtr.raw("GET", "/api/reportes?desde=2025-01-01&hasta=2026-01-01"))[0] == 200
        status, body = await gtr.raw("GET", "/api/reportes?asesorId=999999")
        assert (status, error_code(body)) == (404, "asesor_not_found")
        status, body = await gtr.raw("GET", "/api/reportes?campanaId=999999")
        assert (status, error_code(body)) == (404, "campana_not_found")
        for path in ("/api/reportes", "/api/tablero"):
            status, body = await Api(session, gw.base, people.ana_token).raw("GET", path)
            assert (status, error_code(body)) == (403, "forbidden"), path
        for query in ("avisoSegundos=0", "limite=501"):
            status, body = await gtr.raw("GET", f"/api/tablero?{query}")
            assert (status, error_code(body)) == (422, "validation_error"), query
    after = db.snapshot()
    assert after == before


@run()
async def test_the_wallboard_follows_a_transition(db: Db, people: People) -> None:
    db.call("sp_cambiar_presencia", people.ana, "disponible", None, "asesor")
    waiting = int(db.call_one("sp_cargar_cliente", "Espera", None, None)["cliente_id"])
    cliente, token = db.en_gestion(people.ana)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr = Api(session, gw.base, people.gtr)
        board = await gtr.call("GET", "/api/tablero?avisoSegundos=86400", expect=200)
        counts = {e["seguimiento_status"]: e["clientes"] for e in board["estados"]}
        assert (counts["nuevo"], counts["en_gestion"], counts["terminado"]) == (1, 1, 0)
        assert board["masAntiguo"]["cliente_id"] == waiting
        assert [c["cliente_id"] for c in board["porVencer"]] == [cliente]
        assert [(c["campana_id"], c["activos"]) for c in board["campanas"]] == [(1, 1)]
        presence = {a["asesor_id"]: a["presencia"] for a in board["asesores"]}
        assert presence[people.ana] == "disponible" and presence[people.beto] == "desconectado"

        db.call("sp_completar_wizard", cliente, people.ana, token)
        after = await gtr.call("GET", "/api/tablero?avisoSegundos=86400", expect=200)
        counts = {e["seguimiento_status"]: e["clientes"] for e in after["estados"]}
        assert (counts["en_gestion"], counts["terminado"], after["totales"]["terminados_hoy"]) == (0, 1, 1)
        assert after["porVencer"] == [] and after["campanas"][0]["activos"] == 0
