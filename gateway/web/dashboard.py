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

The parts every page shares (its ``<head>`` lines, the top bar, the blocked notice) are written
once, under ``static/comun/``; the gateway puts each page together at startup
(:func:`assemble_page`) and serves it from memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
# The parts every page shares (its <head> lines, the top bar, the blocked notice), one file each.
SHARED_DIR = STATIC_DIR / "comun"

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


class PageAssemblyError(ValueError):
    """A dashboard page names a shared part that does not exist or is written wrongly."""


# How a page takes a shared part (why not JavaScript, nor a template engine): the gateway puts
# the pages together once, at startup, from each page file and the files under static/comun/,
# and keeps them in memory. So the top bar's status region (#conexion) and the GTR navigation
# (#paginas) are in the HTML the browser receives, before any script runs; the CSP stays
# "script-src 'self'" with nothing inline; nothing is built before release (the wheel ships the
# same files as the tree). A handful of substitutions needs no template language: a page file
# stays plain HTML that reads as the page, with one placeholder line per shared part:
#
#     <title data-comun="cabecera">Administración · Seguimiento</title>
#     <header data-comun="barra nav conexion">Administración</header>
#     <main data-comun="bloqueo">No se pudo abrir la administración.</main>
#
# The line is replaced by comun/<part>.html (here cabecera, barra, bloqueo), indented as the
# line was. In the part, "{contenido}" becomes the placeholder's text (the title, the subtitle,
# the blocked title: the page's own words, markup allowed), and a line holding only "{name}" is
# either comun/<name>.html, when the placeholder lists that name after the part, or nothing.
# "name:oculto" gives that fragment's first element the hidden attribute (cliente.html's
# navigation, shown by its script to GTR only). Anything else on a data-comun line, or a
# placeholder left in a part, stops the gateway at startup (PageAssemblyError). A part may
# open with an HTML comment saying what it is; that comment is not served.
PLACEHOLDER = re.compile(
    r'^(?P<indent> *)<(?P<tag>[a-z0-9]+) data-comun="(?P<names>[a-z: -]+)">(?P<contenido>.*)</(?P=tag)>$'
)
SLOT_LINE = re.compile(r"^(?P<indent> *)\{(?P<name>[a-z-]+)\}$")
CONTENT = "{contenido}"
HIDDEN = ":oculto"


def assemble_page(file: Path, shared_dir: Path = SHARED_DIR) -> str:
    """The page in ``file`` with each of its ``data-comun`` placeholder lines replaced by its
    shared part from ``shared_dir``: the HTML the gateway serves for it."""
    lines = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(keepends=True), 1):
        if "data-comun" not in line:
            lines.append(line)
            continue
        where = f"{file.name}:{number}"
        found = PLACEHOLDER.match(line.rstrip("\n"))
        if found is None:
            raise PageAssemblyError(f'{where}: a data-comun line must be <tag data-comun="part …">text</tag>')
        part, *wanted = found["names"].split()
        text = _shared(shared_dir, part, where)
        if text.count(CONTENT) != 1:
            raise PageAssemblyError(f"{where}: {part}.html must hold {CONTENT} once")
        text = _fill_slots(text.replace(CONTENT, found["contenido"]), wanted, shared_dir, where)
        lines.append(_indent(text, found["indent"]))
    return "".join(lines)


def _fill_slots(text: str, wanted: list[str], shared_dir: Path, where: str) -> str:
    choices = {name.removesuffix(HIDDEN): name.endswith(HIDDEN) for name in wanted}
    slots = [m["name"] for m in map(SLOT_LINE.match, text.splitlines()) if m]
    if unknown := set(choices) - set(slots):
        raise PageAssemblyError(f"{where}: no slot {sorted(unknown)} in this part (it has {slots})")
    out = []
    for line in text.splitlines(keepends=True):
        slot = SLOT_LINE.match(line.rstrip("\n"))
        if slot is None:
            out.append(line)
        elif slot["name"] in choices:
            fragment = _shared(shared_dir, slot["name"], where)
            if choices[slot["name"]]:
                fragment = re.sub(r"^(<[^>]*)>", r"\1 hidden>", fragment, count=1)
            out.append(_indent(fragment, slot["indent"]))
    return "".join(out)


def _shared(shared_dir: Path, name: str, where: str) -> str:
    file = shared_dir / f"{name}.html"
    if not file.is_file():
        raise PageAssemblyError(f"{where}: no shared part {file.name} in {shared_dir}")
    text = file.read_text(encoding="utf-8")
    if text.startswith("<!--"):  # the part's own documentation, not served
        text = text.split("-->\n", 1)[1]
    return text if text.endswith("\n") else text + "\n"


def _indent(text: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def setup_dashboard(app: web.Application) -> None:
    """Serve the dashboard's pages and assets from ``app``."""
    shared_mtime = max(f.stat().st_mtime for f in SHARED_DIR.glob("*.html"))
    handlers: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {}
    for name in sorted(set(PAGES.values())):
        file = STATIC_DIR / name
        handlers[name] = _page(name, assemble_page(file).encode(), max(file.stat().st_mtime, shared_mtime))
        # The page file's own address under /static/ serves the assembled page too, as it
        # did before pages had shared parts: the bare file is never sent. (Added before the
        # static route, which it would otherwise fall to.)
        app.router.add_get(STATIC_PREFIX + name, handlers[name])
    for path, name in PAGES.items():
        app.router.add_get(path, handlers[name])
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="dashboard-static", follow_symlinks=False)
    app.on_response_prepare.append(_dashboard_headers)


def _page(name: str, body: bytes, modified: float) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    # The headers a FileResponse gave the page file: its type, a validator, Last-Modified.
    etag = hashlib.sha256(body).hexdigest()[:16]
    headers = {
        "Content-Type": "text/html",
        # Pages change with each release and are tiny: always revalidate.
        "Cache-Control": "no-cache",
        "ETag": f'"{etag}"',
        "Last-Modified": formatdate(modified, usegmt=True),
    }

    async def page(request: web.Request) -> web.StreamResponse:
        if any(tag.value == etag for tag in request.if_none_match or ()):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers)

    page.__name__ = f"dashboard_{Path(name).stem}"
    return page


async def _dashboard_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers on every dashboard page and asset (not on the API's answers)."""
    if request.path in PAGES or request.path.startswith(STATIC_PREFIX):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-cache")
