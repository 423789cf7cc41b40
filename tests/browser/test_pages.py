"""The dashboard's pages themselves: the landing page, opening a view with a pasted token,
what a page says when its token is refused or the API refuses an action, and the headers
every page and asset is served with."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import Desk, OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.support import Db


def test_the_landing_page_opens_a_view_with_a_pasted_token(desk: Desk, open_view: OpenView) -> None:
    page = open_view("/", wait_live=False).page
    expect(page.get_by_role("heading", name="Seguimiento de clientes en tiempo real")).to_be_visible()
    expect(page.locator("code", has_text="seguimiento token create --role gtr")).to_be_visible()
    page.get_by_label("Token", exact=True).fill(desk.gtr)
    page.get_by_role("button", name="Abrir tablero GTR").click()
    page.wait_for_url("**/gtr")
    expect(page.locator("#conexion")).to_have_attribute("data-state", "live")
    assert "token" not in page.url


def test_a_refused_token_is_explained_in_spanish(db: Db, open_view: OpenView) -> None:
    page = open_view("/gtr", "seg_" + "x" * 43, wait_live=False).page
    expect(page.locator("#bloqueo")).to_be_visible()
    expect(page.locator("#bloqueo")).to_contain_text("El token no es válido o fue revocado")
    expect(page.locator("#conexion")).to_have_attribute("data-state", "offline")
    missing = open_view("/asesor", wait_live=False).page
    expect(missing.locator("#bloqueo")).to_contain_text("Falta el token del asesor")


def test_an_api_refusal_is_shown_to_the_user(desk: Desk, open_view: OpenView) -> None:
    page = open_view("/gtr", desk.gtr).page
    page.get_by_label("Nombre").fill("Pedro Ñique")
    page.get_by_label("Teléfono").fill("llámame")
    page.get_by_role("button", name="Cargar cliente").click()
    error = page.locator("#alta .form-error")
    expect(error).to_contain_text("Algún dato no es válido")
    expect(error).to_contain_text("invalid_input")
    expect(page.locator("#clientes tr.cliente")).to_have_count(0)


def test_pages_and_assets_are_served_with_their_security_headers(gateway: GatewayThread) -> None:
    for path, kind in (("/", "text/html"), ("/gtr", "text/html"), ("/asesor", "text/html"),
                       ("/static/js/live.js", "javascript"), ("/static/css/dashboard.css", "text/css")):
        with urllib.request.urlopen(gateway.base + path, timeout=5) as response:  # noqa: S310 - loopback
            assert response.status == 200
            assert kind in response.headers["Content-Type"]
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/static/../app.py", "/static/nada.js"):
        try:
            urllib.request.urlopen(gateway.base + path, timeout=5)  # noqa: S310 - loopback
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404)
        else:
            raise AssertionError(f"{path} was served")
