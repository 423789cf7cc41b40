// What the desk's pages (customer detail, import, administration) share: opening a page with
// the GTR (or asesor) token of this tab, its live connection and its page navigation.

import { Api, takeToken } from "./api.js";
import { Notices } from "./common.js";
import { blockPage, startView } from "./live.js";
import { fillPageNav } from "./nav.js";

/**
 * Opens a desk page: the token of `view`, the page nav (GTR pages), and a LiveSync that
 * calls `load()` for a snapshot ({since, ...}), `show(snapshot)` to draw it, and
 * `onEvent(ev, sync)` per live event. Returns {api, notices, sync} or null when blocked.
 */
export async function openDeskPage({ view = "gtr", content, load, show, onEvent, loadFailure }) {
  const notices = new Notices(document.querySelector("#avisos"));
  const nav = document.querySelector("#paginas");
  if (nav) fillPageNav(nav);
  const token = takeToken(view);
  if (!token) {
    blockPage({ view, content, title: view === "gtr" ? "Falta el token de GTR." : "Falta el token del asesor.",
      detail: "Abre la página de inicio y pega tu token." });
    return null;
  }
  const api = new Api(token);
  const holder = { api, notices, sync: null };
  holder.sync = await startView({
    api, view, content, loadFailure,
    fetchSnapshot: () => load(api),
    install: (snapshot) => show(snapshot),
    apply: (ev) => { if (holder.sync) onEvent(ev, holder); },
  });
  return holder.sync ? holder : null;
}

/** Copies `input`'s text: the Clipboard API where the page may use it, else the selection. */
export async function copyField(input) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch (_error) {
    return document.execCommand("copy");
  }
}
