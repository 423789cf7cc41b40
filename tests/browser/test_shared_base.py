"""What new GTR pages build on, checked on its own: the vendored uPlot is served like every
asset and draws under the dashboard's Content Security Policy through js/charts.js, which
names each chart for screen readers; js/csv.js writes a file a spreadsheet opens safely; and
js/nav.js marks the current page."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect

from gateway.web.dashboard import STATIC_DIR
from tests.browser.axe import assert_accessible
from tests.browser.conftest import OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.support import Db

UPLOT = "/static/vendor/uplot/"


def test_the_vendored_chart_library_is_served_with_its_types_and_headers(gateway: GatewayThread) -> None:
    # aiohttp answers .js with application/javascript, a JavaScript MIME type browsers run
    # under nosniff just as text/javascript (the test of the pages accepts either too).
    for name, kind in (("uPlot.iife.min.js", ("text/javascript", "application/javascript")),
                       ("uPlot.min.css", ("text/css",)), ("LICENSE.txt", ("text/plain",))):
        with urllib.request.urlopen(gateway.base + UPLOT + name, timeout=5) as response:  # noqa: S310 - loopback
            assert response.headers["Content-Type"].startswith(kind), (name, response.headers["Content-Type"])
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.read() == (STATIC_DIR / "vendor" / "uplot" / name).read_bytes()
    assert (STATIC_DIR / "vendor" / "uplot" / "uPlot.iife.min.js").read_text().startswith(
        "/*! https://github.com/leeoniya/uPlot (v1.6.32) */")


def load_base(page: Page) -> None:
    """uPlot and its stylesheet, as a page's <head> loads them (the page's CSP applies)."""
    page.evaluate("""() => new Promise((resolve, reject) => {
        const css = Object.assign(document.createElement("link"),
                                  {rel: "stylesheet", href: "/static/vendor/uplot/uPlot.min.css"});
        const js = Object.assign(document.createElement("script"),
                                 {src: "/static/vendor/uplot/uPlot.iife.min.js"});
        js.onload = resolve; js.onerror = () => reject(new Error("uPlot did not load"));
        document.head.append(css, js);
    })""")


def painted(page: Page, selector: str, rgb: tuple[int, int, int]) -> int:
    """How many pixels of the chart's canvas are (close to) ``rgb``: the chart was drawn."""
    return int(page.locator(selector + " canvas").evaluate("""(canvas, [r, g, b]) => {
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) n++;
        }
        return n;
    }""", list(rgb)))


def test_charts_draw_under_the_pages_csp_and_are_named_for_screen_readers(db: Db, open_view: OpenView) -> None:
    view = open_view("/", wait_live=False)
    page = view.page
    load_base(page)
    page.evaluate("""async () => {
        const {barChart, lineChart} = await import("/static/js/charts.js");
        const figure = (id, caption) => {
            const canvas = Object.assign(document.createElement("div"), {id, className: "chart-canvas"});
            const fig = document.createElement("figure");
            fig.className = "chart";
            fig.append(Object.assign(document.createElement("figcaption"), {textContent: caption}), canvas);
            document.querySelector("main").append(fig);
            return canvas;
        };
        barChart(figure("barras", "Devueltos por inactividad"), {labels: ["Ana", "Bruno", "Carla"], values: [3, 0, 7],
            name: "Devueltos", summary: "Devueltos por inactividad: Ana 3, Bruno 0, Carla 7"});
        lineChart(figure("lineas", "Completados por hora"), {x: [8, 9, 10, 11], xLabel: (h) => `${h} h`,
            series: [{name: "Completados", values: [2, 5, 4, 9]}],
            summary: "Completados por hora: máximo 9 a las 11 h"});
    }""")
    expect(page.locator("#barras")).to_have_attribute("role", "img")
    expect(page.locator("#barras")).to_have_attribute("aria-label",
                                                      "Devueltos por inactividad: Ana 3, Bruno 0, Carla 7")
    expect(page.locator("#lineas")).to_have_attribute("aria-label", "Completados por hora: máximo 9 a las 11 h")
    assert painted(page, "#barras", (0x1F, 0x3A, 0x68)) > 500  # the bars, in --brand
    assert painted(page, "#lineas", (0x2F, 0x6F, 0xE4)) > 50  # the line
    # the chart fills its figure, and follows it when it narrows
    width = page.locator("#barras canvas").evaluate("c => c.getBoundingClientRect().width")
    assert width > 600, width
    page.locator("#barras").evaluate("e => { e.style.width = '320px'; }")
    expect(page.locator("#barras canvas")).to_have_js_property("clientWidth", 320)
    assert_accessible(page, "landing page with two charts")
    assert not view.errors  # nothing was refused by the CSP (the fixture checks again at the end)


def test_csv_export_quotes_guards_formulas_and_downloads_utf8_with_a_bom(
        db: Db, open_view: OpenView, tmp_path: Path) -> None:
    page = open_view("/", wait_live=False).page
    text = page.evaluate("""async () => (await import("/static/js/csv.js")).toCsv(
        [{n: 1, nombre: 'Ñandú, "El Rápido"', nota: "=HYPERLINK(1)", vacio: null},
         {n: 2.5, nombre: "+51 999", nota: "línea\\notra", vacio: undefined}],
        [["n", "N.º"], ["nombre", "Nombre"], ["nota", "Nota"], ["vacio", "Vacío"]])""")
    assert text == ('N.º,Nombre,Nota,Vacío\r\n1,"Ñandú, ""El Rápido""",\'=HYPERLINK(1),\r\n'
                    '2.5,\'+51 999,"línea\notra",\r\n')
    with page.expect_download() as download_info:
        page.evaluate("""async () => (await import("/static/js/csv.js")).downloadCsv("reporte",
            [{a: "Gestión"}], [["a", "Estado"]])""")
    download = download_info.value
    assert download.suggested_filename == "reporte.csv"
    target = tmp_path / "reporte.csv"
    download.save_as(target)
    assert target.read_bytes() == "\ufeffEstado\r\nGestión\r\n".encode()


def test_the_page_nav_marks_the_current_gtr_page(db: Db, open_view: OpenView) -> None:
    page = open_view("/", wait_live=False).page
    links = page.evaluate("""async () => {
        const {fillPageNav} = await import("/static/js/nav.js");
        const nav = Object.assign(document.createElement("nav"), {className: "pagenav"});
        nav.setAttribute("aria-label", "Páginas de GTR");
        document.querySelector(".topbar").append(nav);
        fillPageNav(nav, "/gtr");
        return [...nav.querySelectorAll("a")].map(a => [a.getAttribute("href"), a.getAttribute("aria-current")]);
    }""")
    assert ["/gtr", "page"] in links and all(current in (None, "page") for _, current in links), links
    assert_accessible(page, "landing page with the GTR navigation")
