"""Routing in the dashboards (issue 13), in Chromium against a real gateway: GTR creates an
auto campaign and a lead reaches an available asesor with no GTR click, live on both boards;
an asesor pauses with a reason and GTR sees it live; "Devolver" with a reason, then
"Siguiente cliente" pulls the customer back once its recycling delay has passed."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Desk, OpenView
from tests.browser.test_live import save_screenshot
from tests.gateway.harness import make_token
from tests.support import Db

LIVE = 2_000  # ms


def campaign_id(db: Db, nombre: str) -> int:
    return int(db.query("SELECT id FROM campanas WHERE nombre = %s", (nombre,))[0]["id"])


def cliente_id(db: Db, nombre: str) -> int:
    return int(db.query("SELECT id FROM clientes WHERE nombre = %s", (nombre,))[0]["id"])


def set_presence(page: Page, value: str) -> None:
    page.get_by_label("Cambiar estado", exact=True).select_option(value)
    page.get_by_role("button", name="Cambiar estado").click()


def create_campaign(page: Page, nombre: str, *, modo: str = "auto", reciclaje: str = "0") -> None:
    page.get_by_label("Nombre de la campaña").fill(nombre)
    page.get_by_label("Modo").select_option(modo)
    page.get_by_label("Reciclaje en segundos").fill(reciclaje)
    page.get_by_role("button", name="Crear campaña").click()
    expect(page.locator("#campanas tr.campana", has_text=nombre)).to_be_visible(timeout=LIVE)


def test_a_lead_into_an_auto_campaign_reaches_an_available_asesor_with_no_gtr_click(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    gtr_token = make_token(db, "gtr")
    panel = open_view("/gtr/campanas", gtr_token).page
    create_campaign(panel, "Fibra")
    row = panel.locator("#campanas tr.campana", has_text="Fibra")
    expect(row.locator(".col-modo")).to_have_text("Automático")
    fibra = campaign_id(db, "Fibra")
    skill = panel.locator(f"#hab-{desk.ana}-{fibra}")
    skill.check()
    expect(skill).to_be_checked()
    expect(panel.locator(f"tr.asesor[data-asesor-id='{desk.ana}']")).to_have_attribute(
        "data-presencia", "desconectado")

    asesor = open_view("/asesor", desk.ana_token).page
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "desconectado")
    set_presence(asesor, "disponible")
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "disponible")
    # GTR's panel shows it live.
    expect(panel.locator(f"tr.asesor[data-asesor-id='{desk.ana}']")).to_have_attribute(
        "data-presencia", "disponible", timeout=LIVE)

    board = open_view("/gtr", gtr_token).page
    board.get_by_label("Nombre").fill("Lucía Gómez")
    board.locator("#alta-campana").select_option(str(fibra))
    board.get_by_role("button", name="Cargar cliente").click()
    expect(board.locator("#avisos .notice")).to_have_count(1)
    lucia = cliente_id(db, "Lucía Gómez")
    # No GTR click: the database assigned it; both boards show it live.
    board_row = board.locator(f"#clientes tr.cliente[data-cliente-id='{lucia}']")
    expect(board_row.locator(".col-estado .chip")).to_have_attribute("data-estado", "derivado", timeout=LIVE)
    expect(board_row).to_contain_text("Ana Torres")
    card = asesor.locator(f"#mis-clientes li[data-cliente-id='{lucia}']")
    expect(card).to_be_visible(timeout=LIVE)
    expect(card.locator(".card-campana")).to_have_text("Campaña: Fibra")
    expect(panel.locator(f"tr.asesor[data-asesor-id='{desk.ana}'] .col-carga")).to_have_text("1 de 1", timeout=LIVE)
    save_screenshot(panel, "campanas.png", full_page=True)

    # The board's campaign filter: a customer of 'general' is hidden while Fibra is chosen.
    db.call("sp_cargar_cliente", "Pedro General", None, None)
    pedro = cliente_id(db, "Pedro General")
    pedro_row = board.locator(f"#clientes tr.cliente[data-cliente-id='{pedro}']")
    expect(pedro_row).to_be_visible(timeout=LIVE)
    board.get_by_label("Campaña", exact=True).first.select_option(str(fibra))
    expect(pedro_row).to_be_hidden()
    expect(board_row).to_be_visible()
    assert db.query("SELECT asesor_asignado FROM clientes WHERE id = %s", (lucia,))[0]["asesor_asignado"] == desk.ana


def test_an_asesor_pauses_with_a_reason_and_gtr_sees_it_live(db: Db, desk: Desk, open_view: OpenView) -> None:
    panel = open_view("/gtr/campanas", make_token(db, "gtr")).page
    asesor = open_view("/asesor", desk.ana_token).page
    set_presence(asesor, "disponible")
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "disponible")
    set_presence(asesor, "en_pausa:almuerzo")
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "en_pausa")
    gtr_row = panel.locator(f"tr.asesor[data-asesor-id='{desk.ana}']")
    expect(gtr_row).to_have_attribute("data-presencia", "en_pausa", timeout=LIVE)
    expect(gtr_row.locator(".col-presencia")).to_contain_text("En pausa")
    row = db.query("SELECT presencia, motivo_pausa FROM asesores WHERE id = %s", (desk.ana,))[0]
    assert (row["presencia"], row["motivo_pausa"]) == ("en_pausa", "almuerzo")
    # And the other way: GTR puts her back, and her switch follows live.
    gtr_row.get_by_label("Nueva presencia de Ana Torres").select_option("disponible")
    gtr_row.get_by_role("button", name="Cambiar la presencia de Ana Torres").click()
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "disponible", timeout=LIVE)


def test_devolver_with_a_reason_then_siguiente_cliente_pulls_it_back(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    campana = db.call_one("sp_crear_campana", "Recargas", None, None, "auto", 1, None)["campana_id"]
    db.call("sp_asignar_habilidad", desk.ana, campana)
    asesor = open_view("/asesor", desk.ana_token).page
    # Nothing waits yet: the pull says so.
    set_presence(asesor, "disponible")
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "disponible")
    asesor.get_by_role("button", name="Siguiente cliente").click()
    expect(asesor.locator("#avisos .notice", has_text="No hay clientes esperando")).to_be_visible()
    given = db.call_one("sp_cargar_cliente_en_campana", "Rosa Quispe", None, None, campana, None)
    assert given["asesor_asignado"] == desk.ana
    card = asesor.locator(f"#mis-clientes li[data-cliente-id='{given['cliente_id']}']")
    expect(card).to_be_visible(timeout=LIVE)

    card.get_by_role("button", name="Devolver a Rosa Quispe").click()
    form = asesor.locator("#devolver-form")
    expect(form).to_be_visible()
    expect(asesor.get_by_label("Motivo de la devolución")).to_be_focused()
    form.get_by_role("button", name="Devolver a la cola").click()  # no reason: the form says so
    expect(form.locator(".form-error")).to_have_text("Escribe el motivo de la devolución.")
    asesor.get_by_label("Motivo de la devolución").fill("número equivocado")
    asesor.keyboard.press("Enter")
    expect(card).to_be_hidden(timeout=LIVE)
    expect(form).to_be_hidden()
    (history,) = [h for h in db.historial(given["cliente_id"]) if h["motivo"] == "devuelto_por_asesor"]
    assert history["actor"] == "asesor"

    # Past its 1 s recycling delay the customer waits again; nothing but the pull (the
    # scheduler is off in tests) gives it to her.
    asesor.wait_for_timeout(1_200)
    asesor.get_by_role("button", name="Siguiente cliente").click()
    expect(card).to_be_visible(timeout=LIVE)
    expect(asesor.locator("#avisos .notice", has_text="Te asignamos el cliente")).to_be_visible()
    assert db.cliente(given["cliente_id"])["seguimiento_status"] == "derivado"


def test_gtr_saves_several_settings_of_a_campaign_at_once_or_none(db: Db, open_view: OpenView) -> None:
    """The edit form sends what changed in one PATCH: a refusal (a taken name) changes none of
    the fields and says why on the form; a save applies them all, with one CAMPAIGN_CHANGED."""
    fibra = int(db.call_one("sp_crear_campana", "Fibra", None, 0, "manual", 0, 3)["campana_id"])
    db.call("sp_crear_campana", "Ventas", None, 0, "manual", 0, 3)
    panel = open_view("/gtr/campanas", make_token(db, "gtr")).page
    panel.get_by_role("button", name="Editar la campaña Fibra").click()
    panel.get_by_label("Nombre de la campaña").fill("Ventas")
    panel.locator("#campana-prioridad").fill("7")
    panel.locator("#campana-timeout").fill("900")
    before = db.snapshot()
    panel.get_by_role("button", name="Guardar cambios").click()
    expect(panel.locator("#campana-form .form-error")).to_have_text(re.compile(r"\S"))
    assert db.snapshot() == before, "a refused save changed something"

    mark = int(db.query("SELECT COALESCE(MAX(id), 0) AS n FROM outbox")[0]["n"])
    panel.get_by_label("Nombre de la campaña").fill("Fibra Norte")
    panel.get_by_role("button", name="Guardar cambios").click()
    row = panel.locator("#campanas tr.campana", has_text="Fibra Norte")
    expect(row).to_contain_text("900 s", timeout=LIVE)
    (saved,) = db.query("SELECT nombre, prioridad, timeout_segundos FROM campanas WHERE id = %s", (fibra,))
    assert saved == {"nombre": "Fibra Norte", "prioridad": 7, "timeout_segundos": 900}
    events = db.query("SELECT id FROM outbox WHERE event_type = 'CAMPAIGN_CHANGED' AND id > %s", (mark,))
    assert len(events) == 1, "one event for the whole save"
