"""The GTR board filtered by campaign, in Chromium (issue 13): the server answers the
campaign's customers, so they are all there even when a page of the whole board holds none of
them; live events of other campaigns add no row; and a customer's countdown, recomputed from
a live event, runs on its campaign's timeout rather than the global one."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Desk, OpenView
from tests.support import Db

LIVE = 2_000  # ms
BOARD_NUEVO_PAGE = 200  # gtr.js loads the 200 newest 'nuevo' customers of the whole board


def campana(db: Db, nombre: str, timeout: int | None = None) -> int:
    return int(db.call_one("sp_crear_campana", nombre, timeout, 0, "manual", 0, 3)["campana_id"])


def cargar(db: Db, nombre: str, campana_id: int) -> int:
    return int(db.call_one("sp_cargar_cliente_en_campana", nombre, None, None, campana_id, 0)["cliente_id"])


def rows(page: Page) -> list[int]:
    return [int(x) for x in page.locator("#clientes tr.cliente:visible").evaluate_all(
        "trs => trs.map(tr => tr.dataset.clienteId)")]


def choose(page: Page, campana_id: int | None) -> None:
    page.locator("#filtro-campana").select_option("" if campana_id is None else str(campana_id))
    expect(page.locator("body")).to_have_attribute("data-campana", "" if campana_id is None else str(campana_id))


def test_the_filter_reads_the_campaign_from_the_server_and_ignores_other_campaigns_live(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    norte = campana(db, "Norte")
    mine = [cargar(db, f"Norte {i}", norte) for i in range(3)]
    # Newer than Norte's customers, more than the board's page of 'nuevo': one SQL statement
    # (no events needed, the board reads them from its snapshot).
    digits = " UNION ALL ".join(f"SELECT {d} AS n" for d in range(16))
    db.execute("INSERT INTO clientes (nombre, seguimiento_status, campana_id, created_at, updated_at) "
               "SELECT CONCAT('General ', a.n * 16 + b.n), 'nuevo', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) "
               f"FROM ({digits}) a, ({digits}) b WHERE a.n < 15")
    assert db.query("SELECT COUNT(*) AS n FROM clientes WHERE campana_id = 1")[0]["n"] > BOARD_NUEVO_PAGE

    page = open_view("/gtr", desk.gtr).page
    expect(page.locator("#clientes tr.cliente")).to_have_count(BOARD_NUEVO_PAGE)
    assert not set(rows(page)) & set(mine)  # the whole board's page misses Norte's customers

    expect(page.locator(f"#filtro-campana option[value='{norte}']")).to_have_count(1)
    choose(page, norte)
    expect(page.locator("#clientes tr.cliente")).to_have_count(3)
    assert sorted(rows(page)) == sorted(mine)
    expect(page.locator(".tile-nuevo .tile-count")).to_have_text("3")

    # Live: a new customer of 'general' and an assignment of one the board never loaded
    # (general) add nothing; Norte's new customer, loaded after both, appears.
    otro = cargar(db, "Otro General", 1)
    general = int(db.query("SELECT MIN(id) AS id FROM clientes WHERE campana_id = 1")[0]["id"])
    db.call("sp_derivar_cliente", general, desk.ana, "gtr")
    nuevo = cargar(db, "Norte nuevo", norte)
    expect(page.locator(f"#clientes tr.cliente[data-cliente-id='{nuevo}']")).to_be_visible(timeout=LIVE)
    expect(page.locator("#feed li[data-type='CLIENT_REASSIGNED']")).to_have_count(1)
    assert sorted(rows(page)) == sorted([*mine, nuevo])
    for absent in (otro, general):
        expect(page.locator(f"#clientes tr.cliente[data-cliente-id='{absent}']")).to_have_count(0)
    expect(page.locator(".tile-nuevo .tile-count")).to_have_text("4")
    expect(page.locator(".tile-derivado .tile-count")).to_have_text("0")

    # Back to every campaign: the whole board again, from the server.
    choose(page, None)
    expect(page.locator(f"#clientes tr.cliente[data-cliente-id='{otro}']")).to_be_visible()
    expect(page.locator(f"#clientes tr.cliente[data-cliente-id='{general}']")).to_be_visible()


def test_a_live_assignment_counts_down_the_campaigns_timeout_not_the_global_one(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    lenta = campana(db, "Lenta", timeout=3600)  # the global timeout stays 300 s
    suyo = cargar(db, "De Lenta", lenta)
    general = cargar(db, "De General", 1)
    page = open_view("/gtr", desk.gtr).page
    expect(page.locator(f"#clientes tr.cliente[data-cliente-id='{suyo}']")).to_be_visible()
    # Both assigned after the board loaded: their deadlines come from the live events.
    db.call("sp_derivar_cliente", suyo, desk.ana, "gtr")
    db.call("sp_derivar_cliente", general, desk.ana, "gtr")
    clock = page.locator(f"#clientes tr.cliente[data-cliente-id='{suyo}'] .countdown")
    expect(clock).to_have_text(re.compile(r"^(59:[0-5]\d|1:00:00)$"), timeout=LIVE)
    other = page.locator(f"#clientes tr.cliente[data-cliente-id='{general}'] .countdown")
    expect(other).to_have_text(re.compile(r"^(4:[0-5]\d|5:00)$"), timeout=LIVE)
    # The meter is full for both: each measured against its own timeout.
    for cell in (clock, other):
        width = cell.locator("xpath=..").locator(".meter-fill").evaluate("e => parseFloat(e.style.width)")
        assert width > 95, width
