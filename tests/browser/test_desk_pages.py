"""The supervisor's desk pages in Chromium (issue 14, items 3 to 5): a customer's timeline
moving live, a CSV upload with rejected lines downloaded to fix, an asesor deactivated from the
administration page (its own board blocked at once), and a login token given and used."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import Desk, OpenView
from tests.browser.gatewayrun import GatewayThread
from tests.browser.test_live import CATCH_UP, LIVE, save_screenshot
from tests.support import Db

CSV = "nombre,telefono,producto\nAna Ríos,999111222,fibra\n,999111223,\nBeto,12,\nCarla,999111222,\n"


def assert_fits(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]")
    assert max(widths[0], widths[2]) <= widths[1], f"{where} scrolls sideways: {widths}"


def test_a_customers_timeline_moves_live_for_gtr_and_its_asesor_sees_only_its_own(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    cliente = db.derivado(desk.ana)
    lock = db.call_one("sp_tomar_cliente", cliente, desk.ana)["lock_token"]
    db.call("sp_actualizar_cliente", cliente, desk.ana, lock, '{"datos": {"producto": "fibra", "plan": "hogar 200"}}')
    board = open_view("/gtr", desk.gtr).page
    board.get_by_role("link", name="Juan Pérez").click()
    board.wait_for_url(f"**/gtr/cliente?id={cliente}")
    board.wait_for_selector("#conexion[data-state='live']")
    expect(board.locator("#cliente-titulo")).to_have_text("Juan Pérez")
    expect(board.locator("#datos")).to_contain_text("hogar 200")
    timeline = board.locator("#historial li")
    expect(timeline).to_have_count(3)  # cargado, asignado, datos_actualizados
    expect(timeline.last).to_contain_text("por Ana Torres")

    mine = open_view("/asesor/cliente", desk.ana_token, id=cliente).page
    expect(mine.locator("#historial li")).to_have_count(3)
    assert_accessible(board, "a customer's detail for GTR")
    assert_accessible(mine, "a customer's detail for its asesor")

    db.call("sp_derivar_cliente", cliente, desk.bruno, "gtr")  # elsewhere: GTR's API, a DBA
    expect(timeline).to_have_count(4, timeout=LIVE * 3)
    expect(timeline.last).to_have_attribute("data-motivo", "reasignado")
    expect(timeline.last).to_contain_text("Bruno Díaz")
    expect(board.locator("#cliente-estado .chip")).to_have_attribute("data-estado", "derivado")
    # Ana's page learns at once that the customer left her; its history is no longer hers to read.
    expect(mine.locator("#bloqueo")).to_be_visible(timeout=LIVE * 3)
    expect(mine.locator("#ficha")).to_be_hidden()
    other = open_view("/asesor/cliente", desk.ana_token, id=cliente, wait_live=False).page
    expect(other.locator("#bloqueo")).to_be_visible()
    expect(other.locator("#bloqueo .blocked-title")).to_contain_text("no está asignado")
    save_screenshot(board, "cliente.png")


def test_an_upload_shows_rejected_lines_to_download_and_the_same_file_loads_nothing_twice(
        db: Db, desk: Desk, open_view: OpenView, tmp_path: Path) -> None:
    page = open_view("/gtr/importar", desk.gtr).page
    file: FilePayload = {"name": "leads.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    page.get_by_label("Archivo CSV", exact=True).set_input_files(file)
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("#resultado-resumen")).to_contain_text("1 clientes cargados, 3 líneas rechazadas")
    rows = page.locator("#rechazos tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-linea") for i in range(3)] == ["3", "4", "5"]
    expect(rows.nth(1)).to_contain_text("Beto,12,")
    expect(rows.nth(1)).to_contain_text("telefono")
    assert_accessible(page, "the import page with rejected lines")

    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar líneas rechazadas (CSV)").click()
    saved = tmp_path / "rechazadas.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "leads-rechazadas.csv"
    assert saved.read_bytes().decode("utf-8-sig") == (
        "nombre,telefono,producto\r\n,999111223,\r\nBeto,12,\r\nCarla,999111222,\r\n")

    # The fixed file uploads like any other: Beto's phone corrected, the rest left as it was.
    fixed = saved.read_bytes().decode("utf-8-sig").replace("Beto,12,", "Beto,999111333,")
    page.get_by_label("Archivo CSV", exact=True).set_input_files({"name": "arreglado.csv", "mimeType": "text/csv",
                                                       "buffer": fixed.encode()})
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("#resultado-resumen")).to_contain_text(
        "arreglado.csv: 1 clientes cargados, 2 líneas rechazadas")

    page.get_by_label("Archivo CSV", exact=True).set_input_files(file)
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("#resultado-resumen")).to_contain_text("leads.csv: 0 clientes cargados")
    expect(page.locator("#resultado-resumen")).to_contain_text("ya se había importado")
    assert db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"] == 2
    save_screenshot(page, "importar.png")


def test_the_upload_bar_reports_the_bytes_sent(db: Db, desk: Desk, open_view: OpenView) -> None:
    page = open_view("/gtr/importar", desk.gtr).page
    big = "nombre,telefono\n" + "".join(f"Cliente {i},+51 9{i:08d}\n" for i in range(60_000))
    # Record every value the bar takes, to check it rises to 100 % before the answer.
    page.evaluate("""() => { window.barValues = [];
        new MutationObserver(() => window.barValues.push(document.querySelector('#barra').getAttribute('value')))
          .observe(document.querySelector('#barra'), {attributes: true}); }""")
    page.get_by_label("Archivo CSV", exact=True).set_input_files({"name": "grande.csv", "mimeType": "text/csv",
                                                       "buffer": big.encode()})
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("#resultado-resumen")).to_contain_text("60000 clientes cargados", timeout=CATCH_UP * 5)
    values = page.evaluate("window.barValues")
    assert "100" in values and None in values, values  # all bytes sent, then indeterminate while loading


def test_an_asesor_deactivated_from_the_admin_page_has_its_board_blocked_at_once(
        db: Db, desk: Desk, open_view: OpenView) -> None:
    db.derivado(desk.ana)
    asesor = open_view("/asesor", desk.ana_token).page
    expect(asesor.locator("#mis-clientes li")).to_have_count(1)
    admin = open_view("/gtr/admin", desk.gtr).page
    assert_accessible(admin, "the administration page")
    admin.get_by_role("button", name="Desactivar a Ana Torres").click()
    expect(asesor.locator("#bloqueo")).to_be_visible(timeout=CATCH_UP)
    row = admin.locator(f"#asesores tr[data-asesor-id='{desk.ana}']")
    expect(row).to_contain_text("Inactivo")
    expect(admin.get_by_role("button", name="Dar acceso a Ana Torres")).to_be_disabled()
    expect(admin.locator("#auditoria li").first).to_contain_text("Asesor desactivado: Ana Torres")
    expect(admin.locator("#auditoria li").first).to_contain_text("por test")  # the GTR token's descripcion
    assert db.query("SELECT activo FROM asesores WHERE id = %s", (desk.ana,))[0]["activo"] == 0
    admin.get_by_role("button", name="Reactivar a Ana Torres").click()
    expect(row).to_contain_text("Activo")
    assert_accessible(admin, "the administration page with notices")


def test_gtr_creates_an_asesor_with_the_keyboard_gives_it_a_token_and_the_link_logs_it_in(
        db: Db, desk: Desk, open_view: OpenView, gateway: GatewayThread) -> None:
    admin = open_view("/gtr/admin", desk.gtr).page
    admin.get_by_label("Nombre del asesor nuevo").focus()
    admin.keyboard.type("Carla Ruiz")
    admin.keyboard.press("Enter")
    give = admin.get_by_role("button", name="Dar acceso a Carla Ruiz")
    expect(give).to_be_visible()
    # Focus and Enter in one step on the button as it is then: the list is drawn again when
    # the new asesor's event arrives, and a separate focus() can land on the old button.
    give.press("Enter")
    expect(admin.locator("#token-emitido")).to_be_focused()
    link = admin.get_by_label("Enlace de acceso").input_value()
    token = admin.get_by_label("Token", exact=True).input_value()
    assert link == f"{gateway.base}/asesor#token={token}" and token.startswith("seg_")
    assert_accessible(admin, "the administration page showing a token once")
    admin.get_by_role("button", name="Ocultar").click()
    expect(admin.locator("#token-emitido")).to_be_hidden()
    assert admin.get_by_label("Token", exact=True).input_value() == ""

    admin.get_by_label("Segundos antes de volver a GTR").fill("120")
    admin.get_by_role("button", name="Guardar").click()
    expect(admin.locator("#auditoria li").first).to_contain_text("tiempo de inactividad: 300 → 120")
    assert db.query("SELECT valor FROM seguimiento_config WHERE clave = 'timeout_segundos'")[0]["valor"] == 120

    # The link opens the asesor's view in a fresh tab, and the token leaves the address bar.
    carla = open_view("/", wait_live=False).page  # a tab of its own, with no token yet
    carla.goto(link)
    carla.wait_for_selector("#conexion[data-state='live']")
    expect(carla.locator("#asesor-nombre")).to_have_text("Carla Ruiz")
    assert "token" not in carla.url, carla.url
    save_screenshot(admin, "admin.png")


def test_the_desk_pages_fit_1366x768(db: Db, desk: Desk, open_view: OpenView) -> None:
    cliente = db.derivado(desk.ana)
    for path, query in (("/gtr/cliente", {"id": cliente}), ("/gtr/importar", {}), ("/gtr/admin", {})):
        page = open_view(path, desk.gtr, viewport={"width": 1366, "height": 768}, **query).page
        assert_fits(page, f"{path} at 1366×768")
        expect(page.locator("main .panel").first).to_be_in_viewport()
