"""The desk's reports page and wallboard in Chromium (issue 14): a report filtered and
exported (the downloaded CSV's content checked), its charts drawn, and the wallboard moving
with live events without a reload."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.browser.test_live import load_demo, save_screenshot
from tests.gateway.harness import make_token
from tests.support import Db

LIVE = 5_000


def open_reports(open_view: OpenView, token: str, **kwargs: object) -> Page:
    page = open_view("/gtr/reportes", token, wait_live=False, **kwargs).page
    page.wait_for_selector("body[data-ready='true']")
    return page


def table_rows(page: Page, table: str) -> list[list[str]]:
    return page.locator(f"{table} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def download(page: Page, button_name: str) -> list[list[str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    text = Path(info.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV starts with a BOM so spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_report_filtered_by_asesor_and_exported(db: Db, gateway: GatewayThread, open_view: OpenView) -> None:
    load_demo(db, gateway)
    ana = int(db.query("SELECT id FROM asesores WHERE nombre = 'Ana Torres'")[0]["id"])
    page = open_reports(open_view, make_token(db, "gtr"))
    expect(page.locator("#paginas a[aria-current='page']")).to_have_text("Informes")
    everyone = table_rows(page, "#tabla-asesores")
    assert len(everyone) >= 2, everyone
    # The charts are drawn (uPlot canvases), each named for a screen reader by its figures.
    for chart in ("#grafico-horas", "#grafico-velocidad", "#grafico-timeouts"):
        expect(page.locator(f"{chart} canvas").first).to_be_visible()
        expect(page.locator(chart)).to_have_attribute("role", "img")
    assert "Completados por hora" in (page.locator("#grafico-horas").get_attribute("aria-label") or "")
    assert len(table_rows(page, "#tabla-velocidad")) == 7
    save_screenshot(page, "reportes.png", full_page=True)

    page.get_by_label("Asesor", exact=True).select_option(str(ana))
    page.get_by_role("button", name="Ver informe").click()
    expect(page.locator("#tabla-asesores tbody tr")).to_have_count(1)
    shown = table_rows(page, "#tabla-asesores")
    assert shown[0][0] == "Ana Torres"
    assert f"asesorId={ana}" in page.url  # the filter is in the address: a report can be shared

    rows = download(page, "Exportar CSV (por asesor)")
    assert rows[0] == ["Asesor", "Asignados", "Abiertos", "Completados", "Devueltos por inactividad",
                       "Mediana hasta abrir", "Mediana de gestión"]
    assert len(rows) == 2 and rows[1][:5] == shown[0][:5]
    figures = db.call("sp_reporte_asesores", *db.query(
        "SELECT DATE(UTC_TIMESTAMP()) - INTERVAL 6 DAY AS d, DATE(UTC_TIMESTAMP()) + INTERVAL 1 DAY AS h")[0].values(),
        ana)[0][0]
    assert [int(x) for x in rows[1][1:5]] == [figures["asignados"], figures["abiertos"], figures["completados"],
                                                figures["devueltos_timeout"]]
    speed = download(page, "Exportar CSV (velocidad)")
    assert speed[0] == ["Tramo", "Clientes"] and [r[0] for r in speed[1:]][0] == "< 1 min"
    campaigns = download(page, "Exportar CSV (por campaña)")
    assert campaigns[0][0] == "Campaña"


def test_a_bad_range_is_explained_on_the_page(db: Db, gateway: GatewayThread, open_view: OpenView) -> None:
    page = open_reports(open_view, make_token(db, "gtr"))
    page.get_by_label("Desde").fill("2026-02-10")
    page.get_by_label("Hasta (incluido)").fill("2026-02-01")
    page.get_by_role("button", name="Ver informe").click()
    expect(page.locator("#filtros .form-error")).to_have_text("«Hasta» no puede ser anterior a «Desde».")


def test_the_wallboard_moves_with_live_events(db: Db, gateway: GatewayThread, open_view: OpenView) -> None:
    load_demo(db, gateway)
    ana = int(db.query("SELECT id FROM asesores WHERE nombre = 'Ana Torres'")[0]["id"])
    page = open_view("/gtr/muro", make_token(db, "gtr"), viewport={"width": 1920, "height": 1080}, aviso=86400).page
    terminados = page.locator("#cifras [data-cifra='terminados_hoy'] .tile-count")
    before = int(terminados.text_content() or 0)
    expect(page.locator("#tabla-estados tr[data-estado='terminado'] td.num")).to_have_text(str(before))

    # A countdown ticks without any event.
    countdown = page.locator("#tabla-vencer td.countdown").first
    expect(countdown).not_to_have_text("")
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first or "", timeout=3_000)

    # A transition made elsewhere (not through this page) changes the figures without a reload.
    page.evaluate("window.__misma_pagina = true")
    cliente, token = db.en_gestion(ana)
    db.call("sp_completar_wizard", cliente, ana, token)
    expect(terminados).to_have_text(str(before + 1), timeout=LIVE)
    expect(page.locator("#tabla-estados tr[data-estado='terminado'] td.num")).to_have_text(str(before + 1))
    assert page.evaluate("window.__misma_pagina") is True  # no reload happened

    # Presence: a pause shows in the asesores' counts.
    paused = int(page.locator("#en-pausa").text_content() or 0)
    db.call("sp_cambiar_presencia", ana, "disponible", None, "asesor")
    db.call("sp_cambiar_presencia", ana, "en_pausa", "bano", "asesor")
    expect(page.locator("#en-pausa")).to_have_text(str(paused + 1), timeout=LIVE)
    save_screenshot(page, "muro.png")
