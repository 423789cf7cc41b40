// Campaigns on the GTR board (issue 13): the campaign filter over the board and the
// campaign of a customer loaded from the form. gtr.js reads both selects; this module
// fills them from GET /api/campanas and again whenever a campaign changes (the board's
// events arrive here as "seguimiento:evento", sent by gtr.js).

import { Api, takeToken } from "./api.js";
import { el } from "./common.js";
import { fillPageNav } from "./nav.js";

const $ = (selector) => document.querySelector(selector);

async function refresh(api) {
  let campanas;
  try {
    campanas = (await api.get("/api/campanas")).campanas;
  } catch (_error) {
    return; // the board itself reports a gateway that is down; the lists keep what they had
  }
  fill($("#filtro-campana"), campanas, el("option", { value: "" }, "Todas"));
  fill($("#alta-campana"), campanas.filter((c) => c.activa || c.campana_id === 1), null);
}

/** Replaces the options, keeping the chosen one when it still exists. */
function fill(select, campanas, first) {
  const chosen = select.value;
  const options = campanas.map((c) => el("option", { value: String(c.campana_id) },
    `${c.nombre}${c.modo === "auto" ? " (automática)" : ""}`));
  select.replaceChildren(...(first ? [first] : []), ...options);
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function main() {
  const nav = $("#paginas");
  if (nav) fillPageNav(nav);
  const token = takeToken("gtr");
  if (!token) return;
  const api = new Api(token);
  refresh(api);
  document.addEventListener("seguimiento:evento", (event) => {
    if (event.detail.type === "CAMPAIGN_CHANGED") refresh(api);
  });
}

main();
