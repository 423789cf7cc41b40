"""Two real pages, GTR and an asesor, in headless Chromium against a real gateway: what one
does shows on the other within a second, a timeout turns the chip red, and a page that
lost its socket catches up without losing or repeating an event."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Locator, Page, expect

from gateway.commands import demo
from gateway.db.pool import Database
from tests.browser.conftest import SCREENSHOTS, Desk, OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.gateway.harness import last_outbox_id, make_token
from tests.support import Db, wait_for

LIVE = 1_000  # ms: "changes the other view within a second"
CATCH_UP = 12_000  # ms: a reconnecting page retries after at most a few seconds

# The seed's chip colours (computed background of .chip-<estado>).
CHIP_BACKGROUND = {
    "nuevo": "rgb(238, 240, 243)",
    "derivado": "rgb(230, 239, 253)",
    "en_gestion": "rgb(255, 240, 224)",
    "terminado": "rgb(227, 245, 234)",
    "no_gestionado": "rgb(253, 232, 232)",
}


def board_row(page: Page, cliente_id: int) -> Locator:
    return page.locator(f"#clientes tr.cliente[data-cliente-id='{cliente_id}']")


def card(page: Page, cliente_id: int) -> Locator:
    return page.locator(f"#mis-clientes li[data-cliente-id='{cliente_id}']")


def expect_chip(page: Page, cliente_id: int, estado: str, timeout: float = LIVE) -> None:
    """The customer's row on the GTR board shows the chip of ``estado``, in its colour."""
    chip = board_row(page, cliente_id).locator(".col-estado .chip")
    expect(chip).to_have_attribute("data-estado", estado, timeout=timeout)
    expect(chip).to_have_css("background-color", CHIP_BACKGROUND[estado], timeout=timeout)


def feed_ids(page: Page) -> list[int]:
    return [int(x) for x in page.locator("#feed li").evaluate_all("items => items.map(i => i.dataset.eventId)")]


def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """The view as a person sees it, for the README: notices closed, no hover."""
    page.locator("#avisos .notice-close").evaluate_all("buttons => buttons.forEach(b => b.click())")
    page.mouse.move(0, 0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def load_demo(db: Db, gateway: GatewayThread) -> None:
    """The demo desk `seguimiento run` loads (asesores and customers in every state)."""

    async def load() -> None:
        database = Database(db.url, size=1)
        try:
            await demo.load(database)
        finally:
            await database.close()

    gateway.run(load(), timeout=30)


def test_assign_open_update_complete_show_on_the_other_view_within_a_second(
    db: Db, gateway: GatewayThread, open_view: OpenView
) -> None:
    load_demo(db, gateway)
    ana = int(db.query("SELECT id FROM asesores WHERE nombre = 'Ana Torres'")[0]["id"])
    gtr = open_view("/gtr", make_token(db, "gtr")).page
    asesor = open_view("/asesor", make_token(db, "asesor", ana)).page
    assert "token" not in gtr.url and "token" not in asesor.url  # kept in sessionStorage only
    expect(asesor.locator("#asesor-nombre")).to_have_text("Ana Torres")

    # GTR loads a customer with the form: it appears as Nuevo.
    gtr.get_by_label("Nombre").fill("Lucía Fernández")
    gtr.get_by_label("Teléfono").fill("+51 987 654 321")
    gtr.get_by_role("button", name="Cargar cliente").click()
    row = gtr.locator("#clientes tr.cliente", has_text="Lucía Fernández")
    expect(row).to_have_count(1, timeout=LIVE)
    cliente = int(row.get_attribute("data-cliente-id") or 0)
    expect_chip(gtr, cliente, "nuevo")

    # GTR assigns it to Ana: it appears in Ana's list within a second.
    row.get_by_label("Asesor para Lucía Fernández").select_option(label="Ana Torres")
    row.get_by_role("button", name="Asignar a Lucía Fernández").click()
    expect(card(asesor, cliente)).to_be_visible(timeout=LIVE)
    expect(card(asesor, cliente).locator(".chip")).to_have_attribute("data-estado", "derivado")
    expect_chip(gtr, cliente, "derivado")
    expect(board_row(gtr, cliente).locator(".col-asesor")).to_have_text("Ana Torres")
    expect(board_row(gtr, cliente).locator(".countdown")).to_have_text(re.compile(r"^[45]:\d\d$"))

    # Ana takes it and opens the wizard: the chip turns orange on GTR within a second.
    card(asesor, cliente).get_by_role("button", name="Tomar y abrir gestión de Lucía Fernández").click()
    expect_chip(gtr, cliente, "en_gestion")
    expect(asesor.locator("#wizard-titulo")).to_have_text("Gestión de Lucía Fernández")

    # Ana edits the customer: GTR sees the new phone within a second.
    asesor.get_by_label("Teléfono").fill("+51 911 222 333")
    asesor.get_by_label("Resultado").select_option("Interesado")
    asesor.get_by_label("Producto de interés").fill("Fibra 600 Mb")
    asesor.get_by_label("Notas").fill("Pide que la llamen por la tarde para cerrar la portabilidad.")
    asesor.get_by_role("button", name="Guardar cambios").click()
    expect(board_row(gtr, cliente).locator(".cliente-meta")).to_contain_text("+51911222333", timeout=LIVE)
    expect(asesor.get_by_label("Teléfono")).to_have_value("+51911222333")
    datos = json.loads(db.cliente(cliente)["datos"])
    assert datos["producto"] == "Fibra 600 Mb" and datos["resultado"] == "Interesado", datos

    save_screenshot(asesor, "asesor.png")
    save_screenshot(gtr, "gtr.png", full_page=True)

    # Ana completes it: green on GTR and gone from her list, within a second.
    asesor.get_by_role("button", name="Completar gestión").click()
    expect_chip(gtr, cliente, "terminado")
    expect(card(asesor, cliente)).to_have_count(0, timeout=LIVE)
    expect(asesor.locator("#avisos")).to_contain_text("Gestión de Lucía Fernández completada")
    expect(asesor.locator("#wizard")).to_be_hidden()
    assert db.cliente(cliente)["seguimiento_status"] == "terminado"


def test_the_open_wizard_sends_heartbeats_and_closing_it_releases_the_lock(
    db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView
) -> None:
    cliente = db.derivado(desk.ana)
    asesor = open_view("/asesor", desk.ana_token, heartbeat=1).page  # ?heartbeat=N: every N s
    expect(asesor.locator("#latido-intervalo")).to_have_text("1 s")
    card(asesor, cliente).locator(".card-action .btn-primary").click()
    expect(asesor.locator("#wizard")).to_be_visible()
    expect(card(asesor, cliente).locator(".chip")).to_have_attribute("data-estado", "en_gestion", timeout=LIVE)
    assert db.cliente(cliente)["lock_token"] is not None

    # Heartbeats write no event: they show as last_activity moving while nobody clicks.
    opened = db.cliente(cliente)["last_activity"]
    wait_for(lambda: db.cliente(cliente)["last_activity"] != opened, "a heartbeat to reach the database", 5)
    expect(asesor.locator("#latido-estado")).to_contain_text("Último latido")

    asesor.get_by_role("button", name="Cerrar sin completar").click()
    expect(asesor.locator("#wizard")).to_be_hidden()
    wait_for(lambda: db.cliente(cliente)["lock_token"] is None, "closing the wizard to release the lock", 5)
    # Still hers, still en_gestion: it can be picked up again.
    expect(card(asesor, cliente).get_by_role("button", name=re.compile("^Continuar gestión"))).to_be_visible()
    assert db.cliente(cliente)["seguimiento_status"] == "en_gestion"


def test_timeout_turns_the_chip_red_and_reassignment_takes_the_customer_away(
    db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView
) -> None:
    olvidado, _ = db.tomado(desk.ana)
    reasignado = db.derivado(desk.ana)
    gtr = open_view("/gtr", desk.gtr).page
    asesor = open_view("/asesor", desk.ana_token).page
    expect(card(asesor, olvidado)).to_be_visible()
    expect(card(asesor, reasignado)).to_be_visible()

    # Ana works on one; GTR reassigns the other to Bruno: it leaves her list, with a notice.
    card(asesor, olvidado).locator(".card-action .btn-primary").click()
    expect_chip(gtr, olvidado, "en_gestion")
    row = board_row(gtr, reasignado)
    row.get_by_label(re.compile("^Asesor para ")).select_option(label="Bruno Díaz")
    row.get_by_role("button", name=re.compile("^Reasignar")).click()
    expect(card(asesor, reasignado)).to_have_count(0, timeout=LIVE)
    expect(asesor.locator("#avisos .notice-warn")).to_contain_text("fue reasignado a otro asesor")
    expect(row.locator(".col-asesor")).to_have_text("Bruno Díaz")

    # The timeout passes with no activity and the sweep runs: red on GTR, gone for Ana.
    db.call("sp_configurar", "timeout_segundos", 1)
    time.sleep(1.1)
    [[swept]] = db.call("sp_barrido_seguimiento")
    assert swept["devueltos"] >= 1
    expect_chip(gtr, olvidado, "no_gestionado")
    expect(board_row(gtr, olvidado).locator(".col-asesor")).to_have_text("—")
    expect(card(asesor, olvidado)).to_have_count(0, timeout=LIVE)
    expect(asesor.locator("#avisos .notice-warn").first).to_contain_text("volvió a GTR por inactividad")
    expect(asesor.locator("#wizard")).to_be_hidden()
    expect(asesor.locator("#lista-vacia")).to_be_visible()


def test_a_page_that_lost_its_socket_catches_up_without_loss_or_duplicates(
    db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView
) -> None:
    first = db.derivado(desk.ana)
    loaded_at = last_outbox_id(db)
    gtr = open_view("/gtr", desk.gtr).page
    asesor = open_view("/asesor", desk.ana_token).page

    gateway.stop()
    for page in (gtr, asesor):
        expect(page.locator("#conexion")).to_have_attribute("data-state", "reconnecting")
        expect(page.locator("#conexion")).to_contain_text("Reconectando")

    # Committed while both pages are away: a new customer for Ana, the first one moved to Bruno.
    nuevo = db.nuevo_cliente("Rosa Quispe", "+51 955 444 333")
    db.call("sp_derivar_cliente", nuevo, desk.ana, "dba")
    db.call("sp_derivar_cliente", first, desk.bruno, "dba")
    otro = db.nuevo_cliente("Óscar Huamán", None)
    gateway.start()  # same port

    for page in (gtr, asesor):
        expect(page.locator("#conexion")).to_have_attribute("data-state", "live", timeout=CATCH_UP)
    expect_chip(gtr, nuevo, "derivado", timeout=CATCH_UP)
    expect(board_row(gtr, nuevo).locator(".col-asesor")).to_have_text("Ana Torres")
    expect(board_row(gtr, first).locator(".col-asesor")).to_have_text("Bruno Díaz")
    expect_chip(gtr, otro, "nuevo")
    expect(card(asesor, nuevo)).to_be_visible(timeout=CATCH_UP)
    expect(card(asesor, first)).to_have_count(0)
    expect(asesor.locator("#avisos")).to_contain_text("fue reasignado a otro asesor")

    # Every event committed after the page loaded was applied once, in order, none twice.
    missed = [e["id"] for e in db.outbox() if e["id"] > loaded_at]
    assert len(missed) == 4
    ids = feed_ids(gtr)
    assert ids == sorted(missed, reverse=True), ids
    assert gtr.locator("#clientes tr.cliente").count() == 3
    assert asesor.locator("#mis-clientes li").count() == 1

    # And it keeps going live after the reconnect.
    db.call("sp_derivar_cliente", otro, desk.ana, "dba")
    expect(card(asesor, otro)).to_be_visible(timeout=LIVE)
    expect_chip(gtr, otro, "derivado")
    assert feed_ids(gtr) == sorted([*missed, last_outbox_id(db)], reverse=True)


def test_a_page_whose_events_were_purged_reloads_the_board(
    db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView
) -> None:
    db.nuevo_cliente("Carmen Villanueva")
    gtr = open_view("/gtr", desk.gtr).page
    gateway.stop()
    expect(gtr.locator("#conexion")).to_have_attribute("data-state", "reconnecting")
    nuevo = db.nuevo_cliente("Jorge Chávez")
    db.call("sp_derivar_cliente", nuevo, desk.bruno, "dba")
    db.execute("DELETE FROM outbox")  # as if the purge had passed the page's last event
    gateway.start()
    # The gateway answers RESYNC_REQUIRED; the page reloads its board and subscribes again.
    expect_chip(gtr, nuevo, "derivado", timeout=CATCH_UP)
    expect(gtr.locator("#conexion")).to_have_attribute("data-state", "live", timeout=CATCH_UP)
    assert gtr.locator("#clientes tr.cliente").count() == 2
    db.call("sp_cargar_cliente", "Elena Ríos", None, None)
    expect(gtr.locator("#clientes tr.cliente", has_text="Elena Ríos")).to_have_count(1, timeout=LIVE)
