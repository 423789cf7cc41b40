"""The pause reasons on the administration page in Chromium (issue 14, item 5): GTR adds a
reason, and an asesor's open page can pause with it without reloading; GTR renames it and
takes it out of use, and the asesor's switch follows; axe on the section with its rows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Desk, OpenView
from tests.browser.test_live import LIVE
from tests.support import Db


def test_gtr_adds_a_reason_and_an_open_asesor_page_pauses_with_it_without_reloading(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    asesor = open_view("/asesor", desk.ana_token).page
    selector = asesor.locator("#presencia-nueva")
    expect(selector.locator("option[value='en_pausa:descanso']")).to_have_count(1)
    expect(selector.locator("option[value='en_pausa:cafe']")).to_have_count(0)
    asesor.evaluate("() => { window.__sinRecargar = true; }")  # gone if the page reloads

    admin = open_view("/gtr/admin", desk.gtr).page
    motivos = admin.locator("#motivos tbody tr")
    expect(motivos).to_have_count(6)  # the seed's reasons, timeouts included
    expect(admin.get_by_role("button", name="Desactivar timeouts")).to_have_count(0)
    admin.get_by_label("Código (minúsculas, cifras o _)").fill("cafe")
    admin.get_by_label("Descripción", exact=True).fill("Café")
    admin.get_by_role("button", name="Añadir motivo").click()
    cafe = admin.locator("#motivos tr[data-motivo='cafe']")
    expect(cafe).to_contain_text("Activo")
    expect(admin.locator("#auditoria li").first).to_contain_text("Motivo de pausa cafe: «Café», activo")
    expect(admin.locator("#auditoria li").first).to_contain_text("por test")  # the GTR token's descripcion

    option = selector.locator("option[value='en_pausa:cafe']")
    expect(option).to_have_text("En pausa: Café", timeout=LIVE * 3)
    selector.select_option("en_pausa:cafe")
    asesor.locator("#presencia-form button[type=submit]").click()
    expect(asesor.locator("#presencia-actual")).to_have_attribute("data-presencia", "en_pausa")
    expect(asesor.locator("#presencia-actual")).to_contain_text("Café")
    assert asesor.evaluate("() => window.__sinRecargar === true"), "the asesor page reloaded"
    row = db.query("SELECT presencia, motivo_pausa FROM asesores WHERE id = %s", (desk.ana,))[0]
    assert (row["presencia"], row["motivo_pausa"]) == ("en_pausa", "cafe")

    # Renamed and taken out of use: the asesor's label follows, the option goes; she stays paused.
    cafe.get_by_label("Descripción de cafe").fill("Pausa café")
    cafe.get_by_role("button", name="Renombrar cafe").click()
    expect(asesor.locator("#presencia-actual")).to_contain_text("Pausa café", timeout=LIVE * 3)
    cafe.get_by_role("button", name="Desactivar cafe").click()
    expect(cafe).to_contain_text("Inactivo")
    expect(cafe.get_by_role("button", name="Activar cafe")).to_be_visible()
    expect(option).to_have_count(0, timeout=LIVE * 3)
    assert_accessible(admin, "the administration page's pause reasons, one inactive")
    assert db.query("SELECT activo FROM motivos_pausa WHERE codigo = 'cafe'")[0]["activo"] == 0
    assert db.query("SELECT motivo_pausa FROM asesores WHERE id = %s", (desk.ana,))[0]["motivo_pausa"] == "cafe"
    audit = db.query("SELECT emisor_token_id FROM auditoria_admin WHERE event_type = 'PAUSE_REASON_CHANGED'")
    assert len(audit) == 3 and all(a["emisor_token_id"] is not None for a in audit)


def test_a_bad_code_is_refused_on_the_page_and_nothing_is_written(db: Db, desk: Desk, open_view: OpenView) -> None:
    admin = open_view("/gtr/admin", desk.gtr).page
    admin.get_by_label("Código (minúsculas, cifras o _)").fill("Café con leche")
    admin.get_by_label("Descripción", exact=True).fill("Café")
    admin.get_by_role("button", name="Añadir motivo").click()
    expect(admin.locator("#motivo-error")).to_contain_text("minúsculas")
    expect(admin.get_by_label("Código (minúsculas, cifras o _)")).to_be_focused()
    assert_accessible(admin, "the administration page with a pause reason refused")
    assert db.query("SELECT 1 FROM motivos_pausa WHERE codigo LIKE 'caf%'") == []
