// The GTR pages and the navigation between them: the one list a new GTR page adds itself to.
// A page asks for <nav id="paginas" class="pagenav" aria-label="Páginas de GTR"></nav> in its
// top bar with `nav` in its placeholder (<header data-comun="barra nav …">, see static/comun/)
// and calls fillPageNav(). Links carry no token: each page reads the
// GTR token from this tab's sessionStorage (api.js), so moving between them keeps the session.

import { el } from "./common.js";

export const GTR_PAGES = [
  { href: "/gtr", label: "Tablero" },
  { href: "/gtr/campanas", label: "Campañas y asesores" },
  { href: "/gtr/importar", label: "Importar" },
  { href: "/gtr/admin", label: "Administración" },
  { href: "/gtr/reportes", label: "Informes" },
  { href: "/gtr/muro", label: "Muro" },
];

/** Fills `nav` with a link per GTR page, the current one (by path) marked aria-current. */
export function fillPageNav(nav = document.querySelector("#paginas"), path = window.location.pathname) {
  nav.replaceChildren(...GTR_PAGES.map((page) =>
    el("a", { href: page.href, "aria-current": page.href === path ? "page" : null }, page.label)));
  return nav;
}
