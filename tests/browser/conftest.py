"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, a real gateway with
the dashboard on loopback, and a call centre's people with their tokens.

Nothing here downloads a browser: Playwright only drives /usr/bin/chromium. Without it the
tests fail (never skip) and say how to install it. Pages reach nothing but loopback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.gatewayrun import GatewayThread
from tests.gateway.harness import app_account, make_token  # noqa: F401  (app_account: the gateway's login)
from tests.support import Db

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host but 127.0.0.1 resolves to nothing: the pages reach the test gateway only.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Each run keeps a screenshot of each view as a test artifact under var/ (not tracked);
# SEGUIMIENTO_SCREENSHOT_DIR=docs/screenshots make test refreshes the ones the README shows.
SCREENSHOTS = Path(os.environ.get("SEGUIMIENTO_SCREENSHOT_DIR")
                   or Path(__file__).resolve().parents[2] / "var" / "artifacts" / "screenshots")
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
# Chromium logs these itself while a gateway is down; the pages handle them.
EXPECTED_CONSOLE = ("Failed to load resource", "WebSocket connection to")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium for the tests of this folder.

    Playwright's sync API keeps an event loop running in the main thread while it is open,
    which would make ``asyncio.run`` fail in every later test of the session: the package
    scope closes it as soon as the browser tests are done.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install chromium` "
                    "(nothing here downloads a browser)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright's Python package: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def gateway(db: Db) -> Iterator[GatewayThread]:
    """The gateway (with the dashboard) on a free loopback port, over the test database."""
    gw = GatewayThread(db.url).start()
    try:
        yield gw
    finally:
        gw.close()


@dataclass(frozen=True)
class Desk:
    """Two asesores and a token for GTR and for each of them."""

    ana: int
    bruno: int
    gtr: str
    ana_token: str
    bruno_token: str


@pytest.fixture
def desk(db: Db) -> Desk:
    ana, bruno = db.asesor("Ana Torres"), db.asesor("Bruno Díaz")
    return Desk(ana=ana, bruno=bruno, gtr=make_token(db, "gtr"), ana_token=make_token(db, "asesor", ana),
                bruno_token=make_token(db, "asesor", bruno))


@dataclass
class View:
    """A dashboard page and the JavaScript errors it raised."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def watch(self) -> View:
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.on("console", self._console)
        return self

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE):
            self.errors.append(message.text)


OpenView = Callable[..., View]


@pytest.fixture
def open_view(browser: Browser, gateway: GatewayThread) -> Iterator[OpenView]:
    """open_view("/gtr", token, **query) -> a live page, each in its own browser context
    (``viewport={"width": 1366, "height": 768}`` for another screen than VIEWPORT)."""
    contexts: list[Any] = []
    views: list[View] = []

    def open_(path: str, token: str | None = None, *, wait_live: bool = True, viewport: ViewportSize | None = None,
              **query: object) -> View:
        from urllib.parse import urlencode

        context = browser.new_context(viewport=viewport or VIEWPORT, locale="es-PE", timezone_id="America/Lima",
                                      service_workers="block")
        contexts.append(context)
        context.set_default_timeout(5_000)
        view = View(context.new_page()).watch()
        views.append(view)
        params = {**({"token": token} if token else {}), **{k: str(v) for k, v in query.items()}}
        view.page.goto(gateway.base + path + (f"?{urlencode(params)}" if params else ""))
        if wait_live:
            view.page.wait_for_selector("body[data-ready='true']")
            view.page.wait_for_selector("#conexion[data-state='live']")
        return view

    try:
        yield open_
        for view in views:
            assert not view.errors, f"JavaScript errors on {view.page.url}: {view.errors}"
    finally:
        for context in contexts:
            context.close()


# An asyncio transport of the gateway's thread is now and then garbage-collected unclosed after
# a gateway stop or restart while Chromium holds keep-alive connections: seen 2 times in about
# 6 full browser runs on 2026-12-01, as an error at the setup of whichever test came next
# (ResourceWarning: unclosed transport, or its socket). The cause was not found; it is the harness's socket,
# not what any test asserts, so in the browser tests it is reported as a warning, not an error.
UNCLOSED = tuple(f"default:Exception ignored in. {what}:pytest.PytestUnraisableExceptionWarning"
                 for what in ("<function _SelectorTransport.__del__", "<socket.socket"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            for unclosed in UNCLOSED:
                item.add_marker(pytest.mark.filterwarnings(unclosed))
