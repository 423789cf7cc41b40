"""Closing the asesor's wizard never throws away what the asesor typed (js/asesor-cierre.js):
with unsaved changes, "Cerrar sin completar" and Escape ask in an in-page dialog ("Guardar y
cerrar", "Descartar cambios", "Seguir editando"); with none, they close at once as before. A
save that fails says so and leaves the text on screen, and so does a customer taken away
while the asesor had unsaved text. Real gateway, real database, real Chromium."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Desk, OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.browser.test_live import CATCH_UP, LIVE, card
from tests.support import Db, wait_for

NOTAS = "Llamar el martes a las 16 h: quiere la portabilidad de dos líneas."
ASKING = "¿Guardar los cambios antes de cerrar?"
CANNOT_SAVE = "Estos cambios ya no se pueden guardar"


def asking(page: Page, name: str = ASKING) -> Locator:
    return page.get_by_role("alertdialog", name=name)


def open_wizard(page: Page, cliente: int) -> None:
    card(page, cliente).locator(".card-action .btn-primary").click()
    expect(page.locator("#wizard")).to_be_visible()
    expect(page.locator("#campo-nombre")).to_be_focused()


def datos(db: Db, cliente: int) -> dict[str, Any]:
    raw = db.cliente(cliente)["datos"]
    return json.loads(raw) if raw else {}


def updates(db: Db, cliente: int) -> list[dict[str, Any]]:
    return [e for e in db.outbox() if e["cliente_id"] == cliente and e["event_type"] == "CLIENT_UPDATED"]


def notes_typed(db: Db, desk: Desk, open_view: OpenView) -> tuple[Page, int, Locator]:
    """Ana's page with a customer's wizard open and NOTAS typed, not saved."""
    cliente = db.derivado(desk.ana)
    page = open_view("/asesor", desk.ana_token).page
    open_wizard(page, cliente)
    notas = page.get_by_label("Notas")
    notas.fill(NOTAS)
    return page, cliente, notas


def lose_the_lock(db: Db, desk: Desk, cliente: int) -> None:
    """Another tab of Ana's closes the customer and takes it again: a new lock, no event."""
    token = db.cliente(cliente)["lock_token"]
    db.call("sp_liberar_cliente", cliente, desk.ana, token)
    assert db.call_one("sp_tomar_cliente", cliente, desk.ana)["lock_token"] != token


def wait_released(db: Db, cliente: int) -> None:
    wait_for(lambda: db.cliente(cliente)["lock_token"] is None, "closing the wizard to release the lock", 5)


def test_escape_with_unsaved_notes_asks_and_loses_nothing(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, notas = notes_typed(db, desk, open_view)

    page.keyboard.press("Escape")  # the reflex: before, this closed the wizard and lost the notes
    dialog = asking(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Hay datos de Juan Pérez que escribiste y aún no se guardaron.")
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_focused()
    assert_accessible(page, "asesor asked whether to save before closing")
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)

    page.keyboard.press("Escape")  # Escape cancels the dialog itself: back to the notes
    expect(dialog).to_be_hidden()
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)
    expect(notas).to_be_focused()

    cerrar = page.get_by_role("button", name="Cerrar sin completar")
    cerrar.click()  # the button asks the same
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Seguir editando").click()
    expect(dialog).to_be_hidden()
    expect(cerrar).to_be_focused()
    expect(notas).to_have_value(NOTAS)

    # Nothing was saved nor released while asking: the customer is still taken, as it was.
    row = db.cliente(cliente)
    assert row["lock_token"] is not None and row["seguimiento_status"] == "en_gestion", row
    assert "notas" not in datos(db, cliente) and not updates(db, cliente)


def test_guardar_y_cerrar_saves_the_changes_then_closes_and_releases(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, _ = notes_typed(db, desk, open_view)
    page.get_by_label("Resultado").select_option("Volver a llamar")
    page.get_by_role("button", name="Cerrar sin completar").click()
    asking(page).get_by_role("button", name="Guardar y cerrar").click()

    expect(page.locator("#wizard")).to_be_hidden()
    expect(asking(page)).to_be_hidden()
    expect(page.locator("#avisos")).to_contain_text("Cambios guardados.")
    expect(card(page, cliente).get_by_role("button", name=re.compile("^Continuar gestión"))).to_be_focused()
    wait_released(db, cliente)
    saved = datos(db, cliente)
    assert saved["notas"] == NOTAS and saved["resultado"] == "Volver a llamar", saved
    assert len(updates(db, cliente)) == 1
    assert db.cliente(cliente)["seguimiento_status"] == "en_gestion"


def test_descartar_closes_and_releases_without_saving(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, _ = notes_typed(db, desk, open_view)
    page.get_by_label("Nombre").fill("Juan Pérez Rojas")
    page.keyboard.press("Escape")
    asking(page).get_by_role("button", name="Descartar cambios").click()

    expect(page.locator("#wizard")).to_be_hidden()
    wait_released(db, cliente)
    assert db.cliente(cliente)["nombre"] == "Juan Pérez" and "notas" not in datos(db, cliente)
    assert not updates(db, cliente)
    # Opened again, the wizard shows what the database holds: the discarded text is gone.
    card(page, cliente).get_by_role("button", name=re.compile("^Continuar gestión")).click()
    expect(page.get_by_label("Nombre")).to_have_value("Juan Pérez")
    expect(page.get_by_label("Notas")).to_have_value("")


def test_with_nothing_unsaved_closing_is_immediate_as_before(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    cliente = db.derivado(desk.ana)
    page = open_view("/asesor", desk.ana_token).page
    open_wizard(page, cliente)
    page.keyboard.press("Escape")
    expect(page.locator("#wizard")).to_be_hidden()
    wait_released(db, cliente)
    expect(asking(page)).to_have_count(0)  # never shown

    # Typed, then put back as it was: nothing is unsaved, so nothing to ask.
    open_wizard(page, cliente)
    notas = page.get_by_label("Notas")
    notas.fill("borrador")
    notas.fill("")
    page.get_by_role("button", name="Cerrar sin completar").click()
    expect(page.locator("#wizard")).to_be_hidden()
    expect(asking(page)).to_have_count(0)
    wait_released(db, cliente)

    # Saved, then closed: nothing left to ask about either.
    open_wizard(page, cliente)
    notas.fill(NOTAS)
    page.get_by_role("button", name="Guardar cambios").click()
    expect(page.locator("#avisos")).to_contain_text("Cambios guardados.")
    notas.press("Escape")
    expect(page.locator("#wizard")).to_be_hidden()
    expect(asking(page)).to_have_count(0)
    assert datos(db, cliente)["notas"] == NOTAS


def test_the_keyboard_alone_asks_keeps_editing_then_saves_and_closes(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    cliente = db.derivado(desk.ana)
    page = open_view("/asesor", desk.ana_token).page
    first = card(page, cliente)
    page.locator("#siguiente").focus()  # the routing bar's last control comes just before the list
    page.keyboard.press("Tab")
    expect(first.locator(".card-action .btn-primary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Nombre")).to_be_focused()
    for _ in range(4):  # Teléfono, Resultado, Producto, Notas
        page.keyboard.press("Tab")
    notas = page.get_by_label("Notas")
    expect(notas).to_be_focused()
    page.keyboard.type(NOTAS)

    page.keyboard.press("Escape")
    dialog = asking(page)
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Descartar cambios")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Seguir editando")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(notas).to_be_focused()
    page.keyboard.type(" Confirmado.")

    page.keyboard.press("Escape")
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#wizard")).to_be_hidden()
    expect(first.get_by_role("button", name=re.compile("^Continuar gestión"))).to_be_focused()
    wait_released(db, cliente)
    assert datos(db, cliente)["notas"] == f"{NOTAS} Confirmado."


def test_a_save_that_fails_for_the_network_says_so_and_keeps_the_text(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, notas = notes_typed(db, desk, open_view)
    gateway.stop()
    page.keyboard.press("Escape")
    dialog = asking(page)
    dialog.get_by_role("button", name="Guardar y cerrar").click()

    error = dialog.locator("#cierre-error")
    expect(error).to_contain_text("No se guardaron los cambios. No hay conexión con el servidor.")
    expect(error).to_contain_text("Tus datos siguen en el formulario.")
    expect(dialog.get_by_role("button", name="Seguir editando")).to_be_focused()
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_visible()  # a retry
    assert_accessible(page, "asesor's close dialog with a failed save")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)
    expect(page.locator("#wizard-error")).to_contain_text("No se guardaron los cambios.")

    gateway.start()  # same port: the connection is back, and so is the save
    expect(page.locator("#conexion")).to_have_attribute("data-state", "live", timeout=CATCH_UP)
    expect(notas).to_have_value(NOTAS)
    page.get_by_role("button", name="Cerrar sin completar").click()
    dialog.get_by_role("button", name="Guardar y cerrar").click()
    expect(page.locator("#wizard")).to_be_hidden()
    wait_released(db, cliente)
    assert datos(db, cliente)["notas"] == NOTAS


def test_a_save_refused_because_the_lock_was_lost_keeps_the_text_on_screen(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, notas = notes_typed(db, desk, open_view)
    lose_the_lock(db, desk, cliente)

    page.keyboard.press("Escape")
    dialog = asking(page)
    dialog.get_by_role("button", name="Guardar y cerrar").click()  # PUT answers 409 lock_invalid
    expect(dialog.locator("#cierre-error")).to_contain_text("La sesión sobre este cliente ya no es válida")
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_hidden()  # it cannot succeed now
    expect(dialog.get_by_role("button", name="Seguir editando")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)
    expect(page.locator("#wizard-error")).to_contain_text("cópialo si lo necesitas")
    expect(page.get_by_role("button", name="Guardar cambios")).to_be_hidden()
    expect(page.get_by_role("button", name="Completar gestión")).to_be_hidden()
    expect(page.locator("#avisos .notice-warn")).to_contain_text("sigue en pantalla")
    assert "notas" not in datos(db, cliente)


def test_guardar_cambios_refused_keeps_the_text_and_the_focus_in_the_form(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, notas = notes_typed(db, desk, open_view)
    lose_the_lock(db, desk, cliente)

    page.get_by_role("button", name="Guardar cambios").click()  # PUT answers 409 lock_invalid
    expect(page.locator("#wizard-error")).to_contain_text("La sesión sobre este cliente ya no es válida")
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)
    expect(page.get_by_role("button", name="Guardar cambios")).to_be_hidden()
    expect(page.locator("#wizard-form :focus")).to_have_count(1)  # the focus stayed in the form
    assert "notas" not in datos(db, cliente)


def test_a_customer_taken_away_with_unsaved_text_leaves_the_text_on_screen(
        db: Db, desk: Desk, gateway: GatewayThread, open_view: OpenView) -> None:
    page, cliente, notas = notes_typed(db, desk, open_view)

    db.call("sp_derivar_cliente", cliente, desk.bruno, "gtr")  # GTR gives it to Bruno
    expect(card(page, cliente)).to_have_count(0, timeout=LIVE)
    expect(page.locator("#avisos .notice-warn")).to_contain_text("fue reasignado a otro asesor")
    expect(page.locator("#avisos .notice-warn")).to_contain_text("sigue en pantalla")
    expect(page.locator("#wizard")).to_be_visible()
    expect(notas).to_have_value(NOTAS)
    expect(page.locator("#wizard-error")).to_contain_text("fue reasignado a otro asesor")
    expect(page.get_by_role("button", name="Guardar cambios")).to_be_hidden()
    expect(page.locator("#latido-estado")).to_be_hidden()  # no session left to keep alive

    page.get_by_role("button", name="Cerrar sin completar").click()
    dialog = asking(page, CANNOT_SAVE)
    expect(dialog).to_contain_text("Juan Pérez ya no está en tu lista.")
    expect(dialog.get_by_role("button", name="Guardar y cerrar")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Seguir editando")).to_be_focused()
    assert_accessible(page, "asesor's close dialog for a customer taken away")
    dialog.get_by_role("button", name="Descartar cambios").click()
    expect(page.locator("#wizard")).to_be_hidden()
    expect(page.locator("#lista-titulo")).to_be_focused()
    assert db.cliente(cliente)["asesor_asignado"] == desk.bruno

    # The next customer's wizard has its buttons and clock back.
    otro = db.derivado(desk.ana)
    open_wizard(page, otro)
    expect(page.get_by_role("button", name="Guardar cambios")).to_be_visible()
    expect(page.get_by_role("button", name="Completar gestión")).to_be_visible()
    expect(page.locator("#latido-estado")).to_have_text("sesión activa")
