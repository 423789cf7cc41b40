"""The live dashboard: static pages served by the gateway itself (no build step, no CDN).

``setup_dashboard(app)`` adds the landing page ``/``, the GTR board ``/gtr`` (and its
campaigns and asesor panel, ``/gtr/campanas``), the asesor
view ``/asesor`` and their assets under ``/static/``. The pages hold no data and no secret:
they take the caller's bearer token from the address (``?token=``, or ``#token=`` in the
login link the desk hands an asesor: a fragment never reaches a server log), keep it in the tab's
sessionStorage and talk to the same REST API and WebSocket any other client uses.

Every dashboard response says it must not be framed or sniffed, and carries a Content
Security Policy that allows only this origin (so a script injected through customer data
could neither load code from elsewhere nor send a token away). The pages are sent with
``Referrer-Policy: no-referrer`` because their address may briefly hold a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"

# path -> file under STATIC_DIR
PAGES = {
    "/": "index.html",
    "/gtr": "gtr.html",
    "/gtr/campanas": "campanas.html",
    "/asesor": "asesor.html",
    # the supervisor's desk (issue 14): a customer's detail (both roles), import, administration
    "/gtr/cliente": "cliente.html",
    "/asesor/cliente": "cliente.html",
    "/gtr/importar": "importar.html",
    "/gtr/admin": "admin.html",
    "/gtr/reportes": "gtr-reportes.html",
    "/gtr/muro": "gtr-muro.html",
}

# 'self' in connect-src covers the same origin's ws:// and wss:// (CSP level 3).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def setup_dashboard(app: web.Application) -> None:
    """Serve the dashboard's pages and assets from ``app``."""
    for path, name in PAGES.items():
        app.router.add_get(path, _page(STATIC_DIR / name))
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="dashboard-static", follow_symlinks=False)
    app.on_response_prepare.append(_dashboard_headers)


def _page(file: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def page(_request: web.Request) -> web.StreamResponse:
        # Pages change with each release and are tiny: always revalidate.
        return web.FileResponse(file, headers={"Cache-Control": "no-cache"})

    page.__name__ = f"dashboard_{file.stem}"
    return page


async def _dashboard_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers on every dashboard page and asset (not on the API's answers)."""
    if request.path in PAGES or request.path.startswith(STATIC_PREFIX):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-cache")
