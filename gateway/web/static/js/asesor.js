// The asesor view: the asesor's own customers (the API filters them by token), taking one
// and opening its management wizard, editing it, completing it; the heartbeat while the
// wizard is open; customers that time out or are reassigned leave the list with a notice.

import { Api, describeError, numberParam, takeToken } from "./api.js";
import {
  DEFAULT_TIMEOUT_SECONDS, Notices, applyEvent, chip, clockTime, deadline, el, formatDuration, parseTime,
  timeoutOf,
} from "./common.js";
import { decorateCard } from "./asesor-enrutamiento.js";
import { askBeforeClosing, dismissAsking, keepUnsaved, resetWizardControls } from "./asesor-cierre.js";
import { changes, fillForm, formChanged, formValues, rememberForm } from "./asesor-formulario.js";
import { blockPage, startView } from "./live.js";

const HEARTBEAT_SECONDS = numberParam("heartbeat", 60); // the API's contract: one a minute
const WARN_SECONDS = 60;
// Refusals after which the customer is no longer this asesor's to work on.
const LOST_CODES = new Set(["inactivity_expired", "not_assigned", "lock_invalid", "cliente_not_found", "invalid_transition"]);

const $ = (selector) => document.querySelector(selector);

const state = {
  rows: new Map(),
  floor: 0,
  me: null, // this token's asesor id (GET /api/me)
  asesores: new Map(),
  timeoutSeconds: numberParam("timeout", null),
  pending: new Map(), // cliente_id -> events that came while its row was being fetched
  gone: new Set(), // customers that left this list (completed here, timed out, reassigned)
  wizard: null, // {id, lockToken, lockExpiresAt, timer, refill, lost}
};

let api;
let notices;
let sync;
let renderQueued = false;

async function main() {
  notices = new Notices($("#avisos"));
  const token = takeToken("asesor");
  if (!token) {
    showBlocked("Falta el token del asesor.", "Abre esta página con ?token=… o pega el token en la página de inicio.");
    return;
  }
  api = new Api(token);
  $("#wizard-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  $("#wizard-completar").addEventListener("click", complete);
  $("#wizard-cerrar").addEventListener("click", requestClose);
  // Escape in the wizard is its "Cerrar sin completar" (an open <select> keeps its own Escape).
  $("#wizard").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented && state.wizard) {
      event.preventDefault();
      requestClose();
    }
  });
  $("#latido-intervalo").textContent = `${HEARTBEAT_SECONDS} s`;
  sync = await startView({
    api, view: "asesor", fetchSnapshot, install, apply, content: "#trabajo",
    loadFailure: "No se pudo cargar tu lista.", onBlock: stopHeartbeat,
  });
  if (sync) setInterval(tick, 1000);
}

function showBlocked(title, detail, error = null) {
  blockPage({ view: "asesor", content: "#trabajo", title, detail, error });
  stopHeartbeat();
}

// -- snapshot and events -----------------------------------------------------------------

async function fetchSnapshot() {
  const [board, asesores, me] = await Promise.all([
    api.get("/api/clientes?limit=1000"), api.get("/api/asesores"), api.get("/api/me"),
  ]);
  return { since: board.snapshotOutboxId, board, asesores: asesores.asesores, me };
}

function install(snapshot) {
  state.asesores = new Map(snapshot.asesores.map((a) => [a.asesor_id, a]));
  if (snapshot.me && snapshot.me.asesorId) state.me = snapshot.me.asesorId;
  if (snapshot.board.timeoutSegundos && numberParam("timeout", null) === null) {
    state.timeoutSeconds = snapshot.board.timeoutSegundos;
  }
  const rows = new Map();
  for (const cliente of snapshot.board.clientes) {
    rows.set(cliente.cliente_id, { ...cliente, version: snapshot.board.snapshotOutboxId });
    if (cliente.asesor_asignado) state.me = cliente.asesor_asignado;
    const t = timeoutOf(cliente);
    if (t) state.timeoutSeconds = t;
  }
  const open = state.wizard && state.wizard.id;
  if (open && !rows.has(open) && !state.wizard.lost) {
    // Gone while we were not listening (or the socket missed nothing and it is truly gone).
    const row = state.rows.get(open);
    lose(open, row ? `${row.nombre} ya no está en tu lista.` : "El cliente ya no está en tu lista.", "");
  }
  state.rows = rows;
  state.floor = snapshot.since;
  for (const id of rows.keys()) state.gone.delete(id);
  showIdentity();
  queueRender();
}

function apply(ev) {
  document.dispatchEvent(new CustomEvent("seguimiento:evento", { detail: ev })); // asesor-enrutamiento.js
  const d = ev.data || {};
  const id = d.clienteId;
  if (typeof id !== "number") return;
  if (state.pending.has(id)) {
    state.pending.get(id).push(ev);
    return;
  }
  const row = state.rows.get(id);
  if (!row) {
    if (ev.id <= state.floor) return;
    const mine = ev.type === "CLIENT_REASSIGNED" && (state.me === null || d.asesorId === state.me);
    if (mine || (!state.gone.has(id) && ev.type !== "CLIENT_COMPLETED" && ev.type !== "CLIENT_RETURNED_TO_GTR")) {
      fetchCustomer(id, ev);
    }
    return;
  }
  if (ev.id <= row.version) return;
  if (ev.type === "CLIENT_REASSIGNED" && d.asesorId !== row.asesor_asignado) {
    lose(id, `${row.nombre} fue reasignado a otro asesor.`, "GTR lo asignó a otra persona: ya no puedes gestionarlo.");
    return;
  }
  if (ev.type === "CLIENT_RETURNED_TO_GTR") {
    lose(id, `${row.nombre} volvió a GTR por inactividad.`,
      `Pasaron más de ${formatDuration((state.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS) * 1000)} sin actividad.`);
    return;
  }
  if (ev.type === "CLIENT_COMPLETED") {
    const wasOpen = state.wizard && state.wizard.id === id;
    remove(id);
    if (!wasOpen) notices.show("ok", `La gestión de ${row.nombre} está completada.`, "", 5);
    return;
  }
  const next = applyEvent(row, ev, state.timeoutSeconds);
  state.rows.set(id, next);
  if (state.wizard && state.wizard.id === id && state.wizard.refill) {
    state.wizard.refill = false;
    fillForm(next);
  }
  queueRender();
}

async function fetchCustomer(id, ev) {
  state.pending.set(id, []);
  let row = null;
  try {
    row = await api.get(`/api/clientes/${id}`);
  } catch (_error) {
    row = null; // not ours (403) or gone: nothing to show
  }
  const waiting = state.pending.get(id) || [];
  state.pending.delete(id);
  if (!row || row.asesor_asignado === null) return;
  state.me = row.asesor_asignado;
  // The row is at least as new as the event that made us ask; later ones still apply.
  state.rows.set(id, { ...row, version: ev.id });
  state.gone.delete(id);
  const t = timeoutOf(row);
  if (t) state.timeoutSeconds = t;
  if (ev.type === "CLIENT_REASSIGNED") notices.show("info", `Nuevo cliente asignado: ${row.nombre}.`, "", 6);
  showIdentity();
  queueRender();
  for (const later of waiting) apply(later);
}

/** The customer left this list for a reason the asesor must see. */
function lose(id, title, detail) {
  const wasOpen = state.wizard && state.wizard.id === id;
  const kept = remove(id, title);
  const fate = kept ? "Lo que escribiste y no se guardó sigue en pantalla." : "Se cerró su gestión.";
  notices.show("warn", title, wasOpen ? `${detail} ${fate}` : detail, 0);
}

/** Take the customer off the list; true when its wizard stays open with unsaved text. */
function remove(id, why = "") {
  state.rows.delete(id);
  state.gone.add(id);
  let kept = false;
  const wizard = state.wizard;
  if (wizard && wizard.id === id) {
    // The asesor's unsaved text is never closed away under them: it stays, no longer savable.
    kept = wizard.lost || formChanged();
    if (kept && !wizard.lost) {
      wizard.lost = true;
      stopHeartbeat();
      keepUnsaved(why || "El cliente ya no está en tu lista.");
    } else if (!kept) closeWizard({ release: false });
  }
  queueRender();
  return kept;
}

// -- the wizard --------------------------------------------------------------------------

async function start(id, button) {
  const row = state.rows.get(id);
  if (!row) return;
  if (state.wizard && state.wizard.id !== id) {
    notices.show("error", "Ya tienes una gestión abierta.", "Complétala o ciérrala antes de tomar otro cliente.");
    return;
  }
  button.disabled = true;
  try {
    const body = state.me ? { asesorId: state.me } : {};
    const lock = await api.post(`/api/clientes/${id}/lock`, body);
    if (row.seguimiento_status === "derivado") {
      await api.post(`/api/clientes/${id}/open-wizard`, { ...body, lockToken: lock.lockToken });
    }
    openWizard(id, lock);
  } catch (error) {
    const { title, detail } = describeError(error);
    notices.show("error", `No se pudo abrir la gestión de ${row.nombre}. ${title}`, detail);
  } finally {
    button.disabled = false;
  }
}

function openWizard(id, lock) {
  stopHeartbeat();
  state.wizard = { id, lockToken: lock.lockToken, lockExpiresAt: parseTime(lock.lockExpiresAt), timer: null, refill: false, lost: false };
  const row = state.rows.get(id);
  fillForm(row);
  resetWizardControls();
  $("#wizard-vacio").hidden = true;
  $("#wizard").hidden = false;
  $("#wizard-error").textContent = "";
  $("#latido-estado").textContent = "sesión activa";
  state.wizard.timer = setInterval(heartbeat, HEARTBEAT_SECONDS * 1000);
  queueRender();
  $("#campo-nombre").focus();
}

function closeWizard({ release, returnFocus = false }) {
  const wizard = state.wizard;
  if (!wizard) return;
  stopHeartbeat();
  dismissAsking();
  state.wizard = null;
  // Focus inside the wizard would fall to <body> once it is hidden: keyboard users go back
  // to where they opened it (the customer's card), or to the list when the card is gone.
  const hadFocus = returnFocus || $("#wizard").contains(document.activeElement);
  $("#wizard").hidden = true;
  $("#wizard-vacio").hidden = false;
  if (release && state.rows.has(wizard.id)) {
    api.post(`/api/clientes/${wizard.id}/release`, lockBody(wizard)).catch(() => {});
  }
  render();
  if (hadFocus) {
    const button = $(`#mis-clientes li[data-cliente-id="${wizard.id}"] button`);
    (button || $("#lista-titulo")).focus();
  }
}

function stopHeartbeat() {
  if (state.wizard && state.wizard.timer) clearInterval(state.wizard.timer);
}

function lockBody(wizard) {
  return state.me ? { asesorId: state.me, lockToken: wizard.lockToken } : { lockToken: wizard.lockToken };
}

async function heartbeat() {
  const wizard = state.wizard;
  if (!wizard) return;
  try {
    const answer = await api.post(`/api/clientes/${wizard.id}/heartbeat`, lockBody(wizard));
    if (state.wizard === wizard) wizard.lockExpiresAt = parseTime(answer.lockExpiresAt);
    const row = state.rows.get(wizard.id);
    if (row && wizard.lockExpiresAt !== null) {
      // a heartbeat moves last_activity but writes no event: move the clock here
      const timeout = (state.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS) * 1000;
      state.rows.set(wizard.id, { ...row, vence_at: new Date(wizard.lockExpiresAt).toISOString(),
        last_activity: new Date(wizard.lockExpiresAt - timeout).toISOString() });
    }
    $("#latido-estado").textContent = `Último latido ${clockTime(Date.now())}`;
  } catch (error) {
    failed(wizard, error, "No se pudo enviar el latido.");
  }
}

/** An action on the open customer failed: if it is no longer ours, say so (and lose() it). */
function failed(wizard, error, what) {
  const { title, detail } = describeError(error);
  if (LOST_CODES.has(error.code) && state.wizard === wizard && !wizard.lost) {
    const row = state.rows.get(wizard.id);
    lose(wizard.id, `${what} ${row ? row.nombre : "El cliente"}: ${title}`, detail);
    return;
  }
  $("#wizard-error").textContent = `${what} ${title}${detail ? ` (${detail})` : ""}`;
}

/** The asesor closes the wizard: at once when nothing is unsaved, else asked (asesor-cierre.js). */
function requestClose() {
  const wizard = state.wizard;
  if (!wizard) return;
  const close = () => closeWizard({ release: true, returnFocus: true });
  if (!formChanged()) {
    close();
    return;
  }
  const row = state.rows.get(wizard.id);
  askBeforeClosing(row ? row.nombre : $("#wizard-titulo").textContent.replace(/^Gestión de /, ""), {
    canSave: () => state.wizard === wizard && !wizard.lost,
    save: async () => (await save()) && state.wizard === wizard && !wizard.lost,
    close: () => state.wizard === wizard && close(),
  });
}

async function save({ quiet = false } = {}) {
  const wizard = state.wizard;
  const row = wizard && state.rows.get(wizard.id);
  if (!row || wizard.lost) return false;
  $("#wizard-error").textContent = "";
  if (!$("#campo-nombre").value.trim()) {
    $("#wizard-error").textContent = "El nombre no puede quedar vacío.";
    $("#campo-nombre").focus();
    return false;
  }
  const sent = formValues();
  const body = changes(row, lockBody(wizard), sent);
  if (!body) {
    if (!quiet) notices.show("info", "No hay cambios que guardar.", "", 3);
    return true;
  }
  setBusy(true);
  // Show what the database kept (it normalises the phone) once its CLIENT_UPDATED comes,
  // which may be before this request's answer.
  wizard.refill = true;
  try {
    await api.put(`/api/clientes/${wizard.id}`, body);
    // Saved; the CLIENT_UPDATED event (if not already here) refills the form as stored.
    if (wizard.refill && state.wizard === wizard) rememberForm(sent);
    if (!quiet) notices.show("ok", "Cambios guardados.", "", 3);
    return true;
  } catch (error) {
    wizard.refill = false;
    failed(wizard, error, "No se guardaron los cambios.");
    return false;
  } finally {
    setBusy(false);
  }
}

async function complete() {
  const wizard = state.wizard;
  const row = wizard && state.rows.get(wizard.id);
  if (!row) return;
  if (!(await save({ quiet: true })) || state.wizard !== wizard) return;
  setBusy(true);
  try {
    await api.post(`/api/clientes/${wizard.id}/complete-wizard`, lockBody(wizard));
    rememberForm(); // completed: nothing left to keep
    remove(wizard.id);
    notices.show("ok", `Gestión de ${row.nombre} completada.`, "", 6);
  } catch (error) {
    failed(wizard, error, "No se pudo completar la gestión.");
  } finally {
    setBusy(false);
  }
}

function setBusy(busy) {
  for (const button of document.querySelectorAll("#wizard button")) button.disabled = busy;
}

// -- rendering ---------------------------------------------------------------------------

function showIdentity() {
  const me = state.me !== null ? state.asesores.get(state.me) : null;
  $("#asesor-nombre").textContent = me ? me.nombre : "Asesor";
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
  const list = $("#mis-clientes");
  const rows = [...state.rows.values()].sort((a, b) =>
    (expiry(a) ?? Infinity) - (expiry(b) ?? Infinity) || b.cliente_id - a.cliente_id);
  const focused = document.activeElement && document.activeElement.closest("#mis-clientes li");
  const focusedId = focused ? focused.dataset.clienteId : null;
  list.replaceChildren(...rows.map((row) => card(row)));
  if (focusedId) list.querySelector(`li[data-cliente-id="${focusedId}"] button`)?.focus();
  $("#lista-vacia").hidden = rows.length > 0;
  $("#cuenta").textContent = rows.length === 1 ? "1 cliente" : `${rows.length} clientes`;
  $("#limite").textContent = formatMinutes(state.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS);
  const wizard = state.wizard;
  const open = wizard && state.rows.get(wizard.id);
  if (open) {
    $("#wizard-titulo").textContent = `Gestión de ${open.nombre}`;
    $("#wizard-estado").replaceChildren(chip(open.seguimiento_status));
  }
  tick();
}

function card(row) {
  const open = state.wizard && state.wizard.id === row.cliente_id;
  const action = open
    ? el("span", { class: "badge-open" }, "Gestión abierta")
    : el("button", { type: "button", class: "btn btn-primary btn-small", "aria-label": `${row.seguimiento_status === "derivado" ? "Tomar y abrir gestión" : "Continuar gestión"} de ${row.nombre}` },
      row.seguimiento_status === "derivado" ? "Tomar y abrir gestión" : "Continuar gestión");
  if (!open) action.addEventListener("click", () => start(row.cliente_id, action));
  return decorateCard(row, el("li", { class: `card${open ? " card-open" : ""}`, dataset: { clienteId: row.cliente_id, estado: row.seguimiento_status } },
    el("div", { class: "card-main" },
      el("p", { class: "card-name" }, row.nombre),
      el("p", { class: "card-meta" }, `${row.telefono || "sin teléfono"} · n.º ${row.cliente_id}`)),
    el("div", { class: "card-state" }, chip(row.seguimiento_status),
      el("span", { class: "countdown", role: "timer", dataset: { clienteId: row.cliente_id } })),
    el("div", { class: "card-action" }, action,
      el("a", { class: "card-link", href: `/asesor/cliente?id=${row.cliente_id}`, "aria-label": `Historial de ${row.nombre}` },
        "Historial"))));
}

function formatMinutes(seconds) {
  if (seconds % 60 === 0) return seconds === 60 ? "1 minuto" : `${seconds / 60} minutos`;
  return seconds === 1 ? "1 segundo" : `${seconds} segundos`;
}

/** When the customer returns to GTR unless the asesor acts: the lock's expiry if later. */
function expiry(row) {
  const due = deadline(row, state.timeoutSeconds);
  const wizard = state.wizard;
  if (wizard && wizard.id === row.cliente_id && wizard.lockExpiresAt !== null) {
    return due === null ? wizard.lockExpiresAt : Math.max(due, wizard.lockExpiresAt);
  }
  return due;
}

function tick() {
  const now = api.now();
  for (const node of document.querySelectorAll("#mis-clientes .countdown")) {
    const row = state.rows.get(Number(node.dataset.clienteId));
    if (!row) continue;
    setCountdown(node, expiry(row), now, "Vuelve a GTR en");
  }
  const wizard = state.wizard;
  if (wizard && state.rows.has(wizard.id)) {
    setCountdown($("#wizard-tiempo"), expiry(state.rows.get(wizard.id)), now, "Vuelve a GTR sin actividad en");
  }
}

function setCountdown(node, due, now, prefix) {
  if (due === null) {
    node.textContent = "";
    return;
  }
  const left = due - now;
  node.dataset.level = left <= 0 ? "expired" : left <= WARN_SECONDS * 1000 ? "warn" : "ok";
  node.textContent = left <= 0 ? "Tiempo agotado" : `${prefix} ${formatDuration(left)}`;
}

main().catch((error) => {
  const { title, detail } = describeError(error);
  showBlocked(title, detail);
});
