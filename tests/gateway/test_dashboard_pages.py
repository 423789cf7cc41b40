"""Every dashboard page is served whole: the page file put together with its shared parts
(static/comun/, gateway/web/dashboard.py), with its own subtitle, the GTR navigation only on
the GTR pages, the connection status where the page has a live connection, and no placeholder
left unfilled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest

from gateway.web.dashboard import PAGES, SHARED_DIR, STATIC_DIR, STATIC_PREFIX, PageAssemblyError, assemble_page
from tests.gateway.harness import run, running_gateway
from tests.support import Db

VISIBLE, HIDDEN = "visible", "hidden"


@dataclass(frozen=True)
class Bar:
    """What a page's top bar holds."""

    subtitle: str
    nav: str | None  # VISIBLE, HIDDEN (shown by the page's script to GTR) or None (no nav)
    connection: bool


# Written out, not derived from the page files: this is what the pages must look like.
BARS = {
    "/": Bar("Panel en vivo del call center", None, connection=False),
    "/gtr": Bar("Tablero GTR", VISIBLE, connection=True),
    "/gtr/campanas": Bar("Campañas y asesores", VISIBLE, connection=True),
    "/asesor": Bar("Vista del asesor · Asesor", None, connection=True),
    "/gtr/cliente": Bar("Ficha del cliente", HIDDEN, connection=True),
    "/asesor/cliente": Bar("Ficha del cliente", HIDDEN, connection=True),
    "/gtr/importar": Bar("Importar clientes", VISIBLE, connection=True),
    "/gtr/admin": Bar("Administración", VISIBLE, connection=True),
    "/gtr/reportes": Bar("Informes GTR", VISIBLE, connection=False),
    "/gtr/muro": Bar("Muro GTR", VISIBLE, connection=True),
}
UNFILLED = re.compile(r"data-comun|\{[a-z-]+\}")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """This node's descendants with ``tag`` whose attributes include ``attrs`` (a class
        matches one of the element's classes), in document order."""
        found = []
        for child in self.children:
            classes = (child.attrs.get("class") or "").split()
            if (tag is None or child.tag == tag) and all(
                    (v in classes) if k == "class_" else child.attrs.get(k) == v for k, v in attrs.items()):
                found.append(child)
            found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        (node,) = self.all(tag, **attrs)
        return node

    def full_text(self) -> str:
        return self.text + "".join(c.full_text() for c in self.children)


class TreeBuilder(HTMLParser):
    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "col", "area", "base", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        # Text after a child is kept with the parent, which is all full_text() needs.
        self.stack[-1].text += data


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "an element is left open"
    return builder.root


def gtr_pages_in_nav_js() -> set[str]:
    return set(re.findall(r'\{ href: "([^"]+)"', (STATIC_DIR / "js" / "nav.js").read_text()))


def test_the_expected_bars_cover_every_page_and_the_nav_lists_the_gtr_ones() -> None:
    assert set(BARS) == set(PAGES), "a new page: say here what its top bar holds"
    assert gtr_pages_in_nav_js() == {path for path, bar in BARS.items() if bar.nav == VISIBLE}


@run(timeout=60)
async def test_every_page_is_served_whole(db: Db) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        for path, bar in BARS.items():
            async with session.get(gw.base + path) as response:
                assert response.status == 200, path
                assert response.headers["Content-Type"] == "text/html"
                assert response.headers["Cache-Control"] == "no-cache"
                assert "script-src 'self';" in response.headers["Content-Security-Policy"]
                html = await response.text()
                etag = response.headers["ETag"]
            assert not UNFILLED.search(html), f"{path}: {UNFILLED.search(html)}"
            document = parse(html)

            head = document.one("head")
            assert head.children[0].tag == "meta" and head.children[0].attrs == {"charset": "utf-8"}, path
            assert head.one("title").text.endswith(" · Seguimiento") or path == "/"
            assert len(head.all("link", rel="stylesheet", href="/static/css/dashboard.css")) == 1
            assert len(head.all("link", rel="icon")) == 1
            assert len(document.all("script")) == len(head.all("script")) > 0, "scripts stay in <head>, from files"
            assert all((s.attrs.get("src") or "").startswith(STATIC_PREFIX) for s in head.all("script"))

            top = document.one("header", class_="topbar")
            assert document.one("a", class_="brand").attrs["href"] == "/"
            assert top.one("span", class_="brand-sub").full_text() == bar.subtitle, path
            navs = document.all("nav")
            if bar.nav is None:
                assert navs == [], path
            else:
                assert top.one("nav", id="paginas", class_="pagenav").attrs["aria-label"] == "Páginas de GTR"
                assert len(navs) == 1 and ("hidden" in navs[0].attrs) == (bar.nav == HIDDEN), path
            status = document.all(id="conexion")
            assert len(status) == int(bar.connection), path
            if bar.connection:
                assert top.one(id="conexion").attrs.items() >= {"role": "status", "aria-live": "polite"}.items()

            body = document.one("body")
            first = body.children[0]
            if path != "/":
                # The skip link comes first, then the bar; the link's target is on the page.
                assert first.tag == "a" and "skip-link" in (first.attrs["class"] or ""), path
                assert body.children[1] is top
                assert len(document.all(id=(first.attrs["href"] or "#")[1:])) == 1, path
                blocked = document.one("main", id="bloqueo")
                assert "hidden" in blocked.attrs and blocked.one("h1", class_="blocked-title").text.strip()
                assert len(blocked.all("p", class_="blocked-detail")) == 1
            else:
                assert first is top

            # The page file's own address sends the same page; a conditional request, a 304.
            async with session.get(gw.base + STATIC_PREFIX + PAGES[path]) as response:
                assert response.status == 200 and await response.text() == html
            async with session.get(gw.base + path, headers={"If-None-Match": etag}) as response:
                assert response.status == 304


def test_every_shared_part_is_used() -> None:
    used = "".join(assemble_page(STATIC_DIR / name) for name in set(PAGES.values()))
    for part in SHARED_DIR.glob("*.html"):
        body = part.read_text().split("-->\n", 1)[1]
        first = next(line.strip() for line in body.splitlines() if "{" not in line)
        assert first in used, part.name


def write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text)
    return folder / name


def test_a_placeholder_is_replaced_by_its_part_with_the_page_words_and_its_chosen_fragments(tmp_path: Path) -> None:
    write(tmp_path, "caja.html", "<!-- what it is -->\n<div>\n  <p>{contenido}</p>\n  {uno}\n  {dos}\n</div>\n")
    write(tmp_path, "uno.html", "<b>1</b>\n")
    write(tmp_path, "dos.html", "<i>2</i>\n")
    page = write(tmp_path, "p.html", '<body>\n  <div data-comun="caja dos:oculto">Hola <em>tú</em></div>\n</body>\n')
    assert assemble_page(page, tmp_path) == (
        "<body>\n  <div>\n    <p>Hola <em>tú</em></p>\n    <i hidden>2</i>\n  </div>\n</body>\n"
    )


@pytest.mark.parametrize("line", [
    '<div data-comun="nada">x</div>',  # no such part
    '<div data-comun="caja tres">x</div>',  # no such slot in the part
    '<div data-comun="caja">x</p>',  # not one element on one line
    '<div class="a" data-comun="caja">x</div>',  # the placeholder carries nothing else
])
def test_a_wrong_placeholder_stops_the_assembly(tmp_path: Path, line: str) -> None:
    write(tmp_path, "caja.html", "<div>{contenido}\n  {uno}\n</div>\n")
    write(tmp_path, "uno.html", "<b>1</b>\n")
    with pytest.raises(PageAssemblyError):
        assemble_page(write(tmp_path, "p.html", line + "\n"), tmp_path)
