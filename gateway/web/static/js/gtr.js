// The GTR board: every customer grouped by state, assignment to an asesor, loading new
// customers, the inactivity countdown of each active one, and a feed of live events.

import { Api, ApiError, describeError, numberParam, takeToken } from "./api.js";
import {
  ACTIVOS, DEFAULT_TIMEOUT_SECONDS, ESTADOS, ESTADO_LABEL, Notices, ago, applyEvent, chip, clockTime, deadline, el, formatDuration,
  isComplete, parseTime,
} from "./common.js";
import { blockPage, startView } from "./live.js";
import {
  belongs, campaignQuery, chosenCampaign, isOther, markShown, onCampaignChange, revealedTimeout, setCampaigns, timeoutFor,
} from "./gtr-filtro.js";

// How many customers of each state the board loads: every active one (they have a clock
// running), the newest of the others.
const PAGE = { nuevo: 200, derivado: 1000, en_gestion: 1000, terminado: 200, no_gestionado: 200 };
// The order of the groups: what needs GTR first, then what is running, then what is done.
const GROUP_ORDER = ["no_gestionado", "nuevo", "derivado", "en_gestion", "terminado"];
const FEED_MAX = 60;
const WARN_SECONDS = 60; // "timeout_inminente" in v_clientes_activos

const $ = (selector) => document.querySelector(selector);

const state = {
  rows: new Map(), // cliente_id -> row (API fields + version: the outbox id it reflects)
  totals: Object.fromEntries(ESTADOS.map((e) => [e, 0])),
  asesores: new Map(), // asesor_id -> {asesor_id, nombre, activo}
  floor: 0, // events up to this id are in the snapshot already
  timeoutSeconds: numberParam("timeout", null), // from the board (timeoutSegundos)
  filter: "todos",
  campana: null, // the campaign the loaded board shows (null: every one); gtr-filtro.js
  search: "",
  pending: new Map(), // cliente_id -> events waiting for that customer's row to load
};

let api;
let notices;
let sync;
const rowViews = new Map(); // cliente_id -> {tr, cells...}
const groups = new Map(); // estado -> {tbody, head}
let renderQueued = false;
let reloadTimer = null;

// -- start -------------------------------------------------------------------------------

async function main() {
  notices = new Notices($("#avisos"));
  const token = takeToken("gtr");
  if (!token) {
    showBlocked("Falta el token de GTR.", "Abre esta página con ?token=… o pega el token en la página de inicio.");
    return;
  }
  api = new Api(token);
  buildBoard();
  sync = await startView({
    api, view: "gtr", fetchSnapshot, install, apply, content: "#tablero",
    loadFailure: "No se pudo cargar el tablero.",
  });
  if (sync) setInterval(tick, 1000);
}

function showBlocked(title, detail, error = null) {
  blockPage({ view: "gtr", content: "#tablero", title, detail, error });
}

// -- the snapshot ------------------------------------------------------------------------

async function fetchSnapshot() {
  const campana = chosenCampaign(); // the server filters: every customer of it is reachable
  const [asesores, campanas, ...pages] = await Promise.all([
    api.get("/api/asesores"), api.get("/api/campanas"),
    ...ESTADOS.map((estado) => api.get(`/api/clientes?estado=${estado}&limit=${PAGE[estado]}${campaignQuery(campana)}`)),
  ]);
  return { since: Math.min(...pages.map((p) => p.snapshotOutboxId)), pages, asesores: asesores.asesores, campana,
    campanas: campanas.campanas };
}

function install(snapshot) {
  state.asesores = new Map(snapshot.asesores.map((a) => [a.asesor_id, a]));
  setCampaigns(snapshot.campanas);
  state.campana = snapshot.campana;
  const timeout = snapshot.pages[0] && snapshot.pages[0].timeoutSegundos;
  if (timeout && numberParam("timeout", null) === null) state.timeoutSeconds = timeout;
  const rows = new Map();
  snapshot.pages.forEach((page, i) => {
    state.totals[ESTADOS[i]] = page.total;
    for (const cliente of page.clientes) {
      const row = { ...cliente, version: page.snapshotOutboxId };
      const known = rows.get(row.cliente_id);
      // A customer that moved between two of the requests: the later request is newer.
      if (!known || known.version < row.version) rows.set(row.cliente_id, row);
    }
  });
  // A customer that moved between two requests is counted in both totals (or in neither);
  // where the page holds every customer of a state, count what is there instead.
  snapshot.pages.forEach((page, i) => {
    if (page.total <= page.clientes.length) {
      state.totals[ESTADOS[i]] = [...rows.values()].filter((r) => r.seguimiento_status === ESTADOS[i]).length;
    }
  });
  state.rows = rows;
  state.floor = snapshot.since;
  if (!timeout) state.timeoutSeconds = revealedTimeout(rows.values()) ?? state.timeoutSeconds; // an older gateway
  markShown(state.campana);
  renderAsesorOptions();
  queueRender();
}

// -- events ------------------------------------------------------------------------------

function apply(ev, { replay }) {
  if (!replay) addToFeed(ev);
  // gtr-campanas.js (campaign filter and load form) listens to the same stream.
  if (!replay) document.dispatchEvent(new CustomEvent("seguimiento:evento", { detail: ev }));
  if (ev.type === "CLIENTS_IMPORTED" || ev.type === "CAMPAIGN_CHANGED") { // counts, or a campaign's timeout
    reloadSoon();
    return;
  }
  const id = ev.data && ev.data.clienteId;
  if (typeof id !== "number" || isOther(id)) return; // isOther: a filtered board's other campaigns
  if (state.pending.has(id)) {
    state.pending.get(id).push(ev);
    return;
  }
  const row = state.rows.get(id);
  if (row) {
    if (ev.id <= row.version) return; // this copy already shows it
    setRow(applyEvent(row, ev, timeoutFor(row, state.timeoutSeconds)), row);
    return;
  }
  if (ev.id <= state.floor) return; // in the snapshot, just not on the loaded pages
  if (ev.type === "CLIENT_CREATED") {
    if (belongs(state.campana, ev.data.campanaId, id)) setRow(applyEvent({}, ev, state.timeoutSeconds), null);
    return;
  }
  loadCustomer(id, ev);
}

/** An event about a customer the board has not loaded: fetch it, then apply what came meanwhile. */
async function loadCustomer(id, ev) {
  state.pending.set(id, []);
  let row = null;
  try {
    row = await api.get(`/api/clientes/${id}`);
  } catch (_error) {
    row = null;
  }
  const waiting = state.pending.get(id) || [];
  state.pending.delete(id);
  if (!row || !belongs(state.campana, row.campana_id, id)) return; // another campaign's: not on this board
  // The row is at least as new as the event that made us ask; later ones still apply.
  let current = { ...row, version: ev.id };
  for (const later of waiting) {
    if (later.id > current.version) current = applyEvent(current, later, timeoutFor(current, state.timeoutSeconds));
  }
  setRow(current, null);
  // Where it was before is unknown: let a fresh snapshot fix the counts.
  reloadSoon();
}

function setRow(row, previous) {
  if (!isComplete(row)) return;
  if (previous && previous.seguimiento_status !== row.seguimiento_status) {
    state.totals[previous.seguimiento_status] = Math.max(0, state.totals[previous.seguimiento_status] - 1);
    state.totals[row.seguimiento_status] += 1;
  } else if (!previous) {
    state.totals[row.seguimiento_status] += 1;
  }
  state.rows.set(row.cliente_id, row);
  if (row.asesor_asignado !== null && row.asesor_asignado !== undefined && !state.asesores.has(row.asesor_asignado)) {
    reloadSoon(); // an asesor created after the board loaded
  }
  queueRender();
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => sync.reload().catch(() => {}), 1000);
}

// -- actions -----------------------------------------------------------------------------

async function assign(row, select, button) {
  const asesorId = Number(select.value);
  if (!asesorId) {
    notices.show("error", "Elige un asesor antes de asignar.", `Cliente ${row.nombre}`);
    select.focus();
    return;
  }
  button.disabled = true;
  try {
    await api.post(`/api/clientes/${row.cliente_id}/estatus`, { tipo: "gtr", estatus: "derivado", asesorId });
    notices.show("ok", `${row.nombre} asignado a ${asesorName(asesorId)}.`, "", 4);
    select.value = "";
  } catch (error) {
    const { title, detail } = describeError(error);
    notices.show("error", `No se pudo asignar a ${row.nombre}. ${title}`, detail);
  } finally {
    button.disabled = false;
  }
}

async function loadNewCustomer(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const nombre = form.nombre.value.trim();
  const telefono = form.telefono.value.trim();
  const error = form.querySelector(".form-error");
  error.textContent = "";
  if (!nombre) {
    error.textContent = "El nombre es obligatorio.";
    form.nombre.focus();
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const body = { nombre };
    if (telefono) body.telefono = telefono;
    if (Number(form.campana?.value) > 1) body.campanaId = Number(form.campana.value); // 1: general
    const created = await api.post("/api/clientes", body);
    notices.show("ok", `Cliente ${nombre} cargado (n.º ${created.clienteId}).`, "", 4);
    form.reset();
    form.nombre.focus();
  } catch (err) {
    const { title, detail } = describeError(err);
    error.textContent = `${title} ${detail ? `(${detail})` : ""}`;
  } finally {
    submit.disabled = false;
  }
}

// -- rendering ---------------------------------------------------------------------------

function asesorName(id) {
  if (id === null || id === undefined) return "";
  const a = state.asesores.get(id);
  return a ? a.nombre : `Asesor ${id}`;
}

function clienteName(id) {
  const row = state.rows.get(id);
  return row ? row.nombre : `cliente ${id}`;
}

function buildBoard() {
  const tiles = $("#resumen");
  for (const key of ["todos", ...GROUP_ORDER]) {
    const tile = el("button", { type: "button", class: `tile tile-${key}`, dataset: { filtro: key }, "aria-pressed": key === "todos" ? "true" : "false" },
      el("span", { class: "tile-label" }, key === "todos" ? "Todos" : ESTADO_LABEL[key]),
      el("span", { class: "tile-count" }, "0"));
    tile.addEventListener("click", () => setFilter(key));
    tiles.append(tile);
  }
  const table = $("#clientes");
  for (const estado of GROUP_ORDER) {
    const head = el("tr", { class: "group-head" },
      el("th", { colspan: "6", scope: "colgroup" }, chip(estado), el("span", { class: "group-count" }, "")));
    const tbody = el("tbody", { class: "group", dataset: { estado } }, head);
    table.append(tbody);
    groups.set(estado, { tbody, head });
  }
  onCampaignChange(() => sync && sync.reload().catch(() => {}));
  $("#buscar").addEventListener("input", (event) => {
    state.search = normalise(event.target.value);
    queueRender();
  });
  $("#alta").addEventListener("submit", loadNewCustomer);
}

function setFilter(key) {
  state.filter = key;
  for (const tile of document.querySelectorAll("#resumen .tile")) {
    tile.setAttribute("aria-pressed", tile.dataset.filtro === key ? "true" : "false");
  }
  queueRender();
}

function normalise(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  const byState = new Map(ESTADOS.map((e) => [e, []]));
  for (const row of state.rows.values()) byState.get(row.seguimiento_status)?.push(row);
  const now = api.now();
  let all = 0;
  for (const estado of ESTADOS) all += state.totals[estado];
  for (const tile of document.querySelectorAll("#resumen .tile")) {
    const key = tile.dataset.filtro;
    tile.querySelector(".tile-count").textContent = String(key === "todos" ? all : state.totals[key]);
  }
  const seen = new Set();
  const campana = state.campana; // the server filtered already; this hides nothing it sent
  let shown = 0;
  for (const estado of GROUP_ORDER) {
    const rows = byState.get(estado);
    rows.sort(ACTIVOS.has(estado)
      ? (a, b) => (due(a) ?? Infinity) - (due(b) ?? Infinity) || b.cliente_id - a.cliente_id
      : (a, b) => b.cliente_id - a.cliente_id);
    const { tbody, head } = groups.get(estado);
    const groupVisible = state.filter === "todos" || state.filter === estado;
    tbody.hidden = !groupVisible || rows.length === 0;
    const total = state.totals[estado];
    head.querySelector(".group-count").textContent =
      total > rows.length ? `${rows.length} de ${total} (los más recientes)` : `${rows.length}`;
    let cursor = head;
    for (const row of rows) {
      seen.add(row.cliente_id);
      const view = rowView(row.cliente_id);
      updateRow(view, row, now);
      const match = (!state.search || view.haystack.includes(state.search)) && belongs(campana, row.campana_id);
      view.tr.hidden = !match;
      if (match && groupVisible) shown += 1;
      // Move a row only when it is out of place, so a focused control keeps its focus.
      if (cursor.nextSibling !== view.tr) cursor.after(view.tr);
      cursor = view.tr;
    }
  }
  for (const [id, view] of rowViews) {
    if (!seen.has(id)) {
      view.tr.remove();
      rowViews.delete(id);
    }
  }
  $("#vacio").hidden = shown > 0;
  $("#sincronia").textContent = sync && sync.lastApplied !== null ? `Sincronizado hasta el evento n.º ${sync.lastApplied}` : "";
}

function rowView(id) {
  let view = rowViews.get(id);
  if (view) return view;
  const select = el("select", { class: "asesor-select" });
  const button = el("button", { type: "button", class: "btn btn-small" }, "Asignar");
  const tr = el("tr", { class: "cliente", dataset: { clienteId: id } });
  view = {
    tr, select, button,
    // the customer's detail and history (cliente.js)
    name: el("a", { class: "cliente-nombre", href: `/gtr/cliente?id=${id}` }),
    meta: el("span", { class: "cliente-meta" }),
    estado: el("td", { class: "col-estado" }),
    asesor: el("td", { class: "col-asesor" }),
    countdown: el("td", { class: "col-tiempo" }),
    updated: el("td", { class: "col-actualizado" }),
    actions: el("td", { class: "col-accion" }),
    haystack: "",
    key: "",
  };
  tr.append(el("td", { class: "col-cliente" }, view.name, view.meta), view.estado, view.asesor, view.countdown,
    view.updated, view.actions);
  button.addEventListener("click", () => assign(state.rows.get(id), select, button));
  fillSelect(select);
  rowViews.set(id, view);
  return view;
}

function updateRow(view, row, now) {
  const key = [row.version, row.seguimiento_status, row.asesor_asignado, row.nombre, row.telefono, row.vence_at,
    row.updated_at, state.asesores.size].join("|");
  if (key !== view.key) {
    view.key = key;
    view.tr.dataset.estado = row.seguimiento_status;
    view.name.textContent = row.nombre;
    view.meta.textContent = [row.telefono || "sin teléfono", `n.º ${row.cliente_id}`].join(" · ");
    view.estado.replaceChildren(chip(row.seguimiento_status));
    view.asesor.textContent = asesorName(row.asesor_asignado) || "—";
    view.haystack = normalise(`${row.nombre} ${row.telefono || ""} ${row.cliente_id} ${asesorName(row.asesor_asignado)}`);
    view.select.setAttribute("aria-label", `Asesor para ${row.nombre}`);
    if (row.seguimiento_status === "terminado") {
      view.actions.replaceChildren(el("span", { class: "muted" }, "Gestión completada"));
    } else {
      const reassign = ACTIVOS.has(row.seguimiento_status);
      view.button.textContent = reassign ? "Reasignar" : "Asignar";
      view.button.setAttribute("aria-label", `${reassign ? "Reasignar" : "Asignar"} a ${row.nombre}`);
      for (const option of view.select.options) {
        option.disabled = option.value !== "" && reassign && Number(option.value) === row.asesor_asignado;
      }
      if (!view.actions.contains(view.select)) {
        view.actions.replaceChildren(el("div", { class: "assign" }, view.select, view.button));
      }
    }
  }
  updateCountdown(view, row, now);
  const changed = parseTime(row.updated_at);
  view.updated.textContent = ago(changed, now);
  view.updated.title = changed === null ? "" : new Date(changed).toLocaleString("es");
}

const due = (row) => deadline(row, timeoutFor(row, state.timeoutSeconds));

function updateCountdown(view, row, now) {
  const dueAt = due(row);
  const cell = view.countdown;
  if (dueAt === null) {
    if (cell.dataset.mode !== "none") {
      cell.dataset.mode = "none";
      cell.replaceChildren(el("span", { class: "muted" }, "—"));
    }
    return;
  }
  const left = dueAt - now;
  const total = (timeoutFor(row, state.timeoutSeconds) || DEFAULT_TIMEOUT_SECONDS) * 1000;
  const mode = left <= 0 ? "expired" : left <= WARN_SECONDS * 1000 ? "warn" : "ok";
  if (cell.dataset.mode !== "clock") {
    cell.dataset.mode = "clock";
    cell.replaceChildren(
      el("span", { class: "countdown", role: "timer" }),
      el("span", { class: "meter", "aria-hidden": "true" }, el("span", { class: "meter-fill" })));
  }
  const text = cell.querySelector(".countdown");
  text.dataset.level = mode;
  text.textContent = left <= 0 ? "Vencido" : formatDuration(left);
  text.setAttribute("aria-label", left <= 0 ? "Tiempo de inactividad vencido: vuelve a GTR en el próximo barrido"
    : `Quedan ${formatDuration(left)} de inactividad`);
  const fill = cell.querySelector(".meter-fill");
  fill.dataset.level = mode;
  fill.style.width = `${Math.max(0, Math.min(100, (left / total) * 100)).toFixed(1)}%`;
}

function renderAsesorOptions() {
  for (const view of rowViews.values()) fillSelect(view.select);
}

function fillSelect(select) {
  const current = select.value;
  const options = [el("option", { value: "" }, "Elegir asesor…")];
  const activos = [...state.asesores.values()].filter((a) => a.activo).sort((a, b) => a.nombre.localeCompare(b.nombre, "es"));
  for (const a of activos) options.push(el("option", { value: String(a.asesor_id) }, a.nombre));
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

function tick() {
  const now = api.now();
  for (const [id, view] of rowViews) {
    const row = state.rows.get(id);
    if (row) updateCountdown(view, row, now);
  }
}

// -- the live feed -----------------------------------------------------------------------

function describeEvent(ev) {
  const d = ev.data || {};
  const who = clienteName(d.clienteId);
  switch (ev.type) {
    case "CLIENT_CREATED":
      return `Nuevo cliente: ${d.nombre}`;
    case "CLIENT_REASSIGNED":
      return d.previousAsesor
        ? `${who} reasignado de ${asesorName(d.previousAsesor)} a ${asesorName(d.asesorId)}`
        : `${who} asignado a ${asesorName(d.asesorId)}`;
    case "CLIENT_IN_GESTION":
      return `${asesorName(d.asesorId)} abrió la gestión de ${who}`;
    case "CLIENT_UPDATED":
      return `${asesorName(d.asesorId)} actualizó los datos de ${who}`;
    case "CLIENT_COMPLETED":
      return `${asesorName(d.asesorId)} completó la gestión de ${who}`;
    case "CLIENT_RETURNED_TO_GTR":
      return `${who} volvió a GTR por inactividad${d.previousAsesor ? ` (era de ${asesorName(d.previousAsesor)})` : ""}`;
    case "CLIENTS_IMPORTED":
      return `Importación: ${d.cargados} cargados, ${d.rechazados} rechazados`;
    default:
      return ev.type;
  }
}

const FEED_ESTADO = {
  CLIENT_CREATED: "nuevo", CLIENT_REASSIGNED: "derivado", CLIENT_IN_GESTION: "en_gestion",
  CLIENT_UPDATED: "en_gestion", CLIENT_COMPLETED: "terminado", CLIENT_RETURNED_TO_GTR: "no_gestionado",
  CLIENTS_IMPORTED: "nuevo",
};

function addToFeed(ev) {
  const feed = $("#feed");
  const at = parseTime(ev.data && ev.data.timestamp);
  feed.prepend(el("li", { class: `feed-item feed-${FEED_ESTADO[ev.type] || "nuevo"}`, dataset: { eventId: ev.id, type: ev.type } },
    el("span", { class: "feed-dot", "aria-hidden": "true" }),
    el("span", { class: "feed-text" }, describeEvent(ev)),
    el("span", { class: "feed-time" }, el("time", { datetime: ev.data && ev.data.timestamp }, clockTime(at)), ` · n.º ${ev.id}`)));
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
  $("#feed-vacio").hidden = true;
}

main().catch((error) => {
  const { title, detail } = describeError(error instanceof ApiError ? error : new Error(String(error)));
  showBlocked(title, detail);
});
