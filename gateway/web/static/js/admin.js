// Administration from the desk (issue 14, item 5): create, deactivate and reactivate asesores,
// give one a login token (shown once, with a login link), set the inactivity timeout, read the
// audit. Every change is a route that the gateway sends through an audited sp_gtr_* procedure
// naming this tab's GTR token; the page reloads its lists when their events arrive.

import { describeError } from "./api.js";
import { dateTime, el, parseTime } from "./common.js";
import { copyField, openDeskPage } from "./desk.js";

const $ = (selector) => document.querySelector(selector);
const RELOAD_ON = new Set(["ASESOR_CREATED", "ASESOR_DEACTIVATED", "ASESOR_ACTIVATED", "ASESOR_TOKEN_ISSUED",
  "CONFIG_CHANGED"]);
const SETTING_LABEL = { timeout_segundos: "tiempo de inactividad", token_asesor_vigencia_segundos: "vigencia de los tokens" };

let page;
let asesores = new Map();

async function load(api) {
  const [board, lista, auditoria] = await Promise.all([
    api.get("/api/clientes?limit=1"), api.get("/api/asesores"), api.get("/api/auditoria?limit=30"),
  ]);
  return { since: board.snapshotOutboxId, timeout: board.timeoutSegundos, asesores: lista.asesores,
    auditoria: auditoria.auditoria };
}

function show(snapshot) {
  asesores = new Map(snapshot.asesores.map((a) => [a.asesor_id, a]));
  const timeout = $("#timeout");
  if (document.activeElement !== timeout) timeout.value = String(snapshot.timeout);
  const body = $("#asesores tbody");
  body.replaceChildren(...snapshot.asesores.map(asesorRow));
  const audit = $("#auditoria");
  audit.replaceChildren(...snapshot.auditoria.map(auditItem));
  $("#auditoria-vacia").hidden = snapshot.auditoria.length > 0;
}

function asesorRow(a) {
  const toggle = el("button", { type: "button", class: "btn btn-small",
    "aria-label": `${a.activo ? "Desactivar" : "Reactivar"} a ${a.nombre}` }, a.activo ? "Desactivar" : "Reactivar");
  toggle.addEventListener("click", () => setActive(a, toggle));
  const issue = el("button", { type: "button", class: "btn btn-small", disabled: !a.activo,
    "aria-label": `Dar acceso a ${a.nombre}` }, "Dar acceso");
  issue.addEventListener("click", () => issueToken(a, issue));
  return el("tr", { dataset: { asesorId: a.asesor_id } },
    el("td", {}, el("span", { class: "cliente-nombre" }, a.nombre),
      el("span", { class: "cliente-meta" }, `n.º ${a.asesor_id}`)),
    el("td", {}, el("span", { class: a.activo ? "state-on" : "state-off" }, a.activo ? "Activo" : "Inactivo")),
    el("td", {}, el("div", { class: "assign" }, toggle, issue)));
}

function auditItem(row) {
  const d = row.detalle || {};
  const nombre = row.asesor_id ? (asesores.get(row.asesor_id) || {}).nombre || `asesor ${row.asesor_id}` : "";
  const what = {
    ASESOR_CREATED: `Asesor creado: ${d.nombre || nombre}`,
    ASESOR_DEACTIVATED: `Asesor desactivado: ${nombre}`,
    ASESOR_ACTIVATED: `Asesor reactivado: ${nombre}`,
    ASESOR_TOKEN_ISSUED: `Token de acceso para ${nombre} (n.º ${row.token_id})`,
    CONFIG_CHANGED: `Cambio de ${SETTING_LABEL[d.clave] || d.clave}: ${d.valorAnterior} → ${d.valor}`,
  }[row.event_type] || row.event_type;
  const who = row.emisor_descripcion || (row.actor === "dba" ? "DBA" : row.actor);
  return el("li", { dataset: { evento: row.event_type } },
    el("time", { datetime: row.created_at }, dateTime(parseTime(row.created_at))),
    el("div", {}, el("p", { class: "what" }, what), el("p", { class: "why" }, `por ${who}`)));
}

async function act(button, work, failure) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    const { title, detail } = describeError(error);
    page.notices.show("error", `${failure} ${title}`, detail);
  } finally {
    button.disabled = false;
  }
}

async function setActive(a, button) {
  await act(button, async () => {
    const result = await page.api.post(`/api/asesores/${a.asesor_id}/${a.activo ? "deactivate" : "activate"}`);
    const extra = a.activo ? ` Clientes devueltos a GTR: ${result.clientesDevueltos}; sesiones cerradas: ${result.tokensRevocados}.` : "";
    page.notices.show("ok", `${a.nombre} ${a.activo ? "desactivado" : "reactivado"}.${extra}`, "", 6);
    await page.sync.reload();
  }, `No se pudo cambiar el estado de ${a.nombre}.`);
}

async function issueToken(a, button) {
  await act(button, async () => {
    const issued = await page.api.post(`/api/asesores/${a.asesor_id}/tokens`, { descripcion: `acceso de ${a.nombre}` });
    // The fragment never reaches a server: the asesor page reads it and drops it from the address.
    $("#token-valor").value = issued.token;
    $("#token-enlace").value = `${window.location.origin}/asesor#token=${encodeURIComponent(issued.token)}`;
    $("#token-titulo").textContent = `Token de acceso de ${a.nombre}`;
    $("#token-vence").textContent = issued.expiresAt
      ? `Vence el ${dateTime(parseTime(issued.expiresAt))}.` : "No vence.";
    const box = $("#token-emitido");
    box.hidden = false;
    box.focus();
  }, `No se pudo dar acceso a ${a.nombre}.`);
}

function hideToken() {
  $("#token-valor").value = "";
  $("#token-enlace").value = "";
  $("#token-emitido").hidden = true;
  $("#admin-titulo").focus();
}

async function createAsesor(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const nombre = form.nombre.value.trim();
  const error = $("#alta-error");
  error.textContent = "";
  if (!nombre) {
    error.textContent = "El nombre es obligatorio.";
    form.nombre.focus();
    return;
  }
  await act(form.querySelector("button"), async () => {
    const created = await page.api.post("/api/asesores", { nombre });
    page.notices.show("ok", `Asesor ${nombre} creado (n.º ${created.asesorId}).`, "", 5);
    form.reset();
    await page.sync.reload();
  }, `No se pudo crear a ${nombre}.`);
}

async function saveTimeout(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const valor = Number(form.timeout.value);
  const error = $("#config-error");
  error.textContent = "";
  if (!Number.isInteger(valor) || valor < 1 || valor > 86400) {
    error.textContent = "Escribe un número entero de segundos entre 1 y 86400.";
    form.timeout.focus();
    return;
  }
  await act(form.querySelector("button"), async () => {
    const changed = await page.api.post("/api/configuracion", { clave: "timeout_segundos", valor });
    page.notices.show("ok", `Tiempo de inactividad: ${changed.valorAnterior} s → ${changed.valor} s.`, "", 5);
    await page.sync.reload();
  }, "No se pudo guardar el tiempo.");
}

async function main() {
  $("#alta-asesor").addEventListener("submit", createAsesor);
  $("#config").addEventListener("submit", saveTimeout);
  $("#copiar-token").addEventListener("click", () => copyField($("#token-valor")));
  $("#copiar-enlace").addEventListener("click", () => copyField($("#token-enlace")));
  $("#ocultar-token").addEventListener("click", hideToken);
  page = await openDeskPage({
    content: "#admin", load, show, loadFailure: "No se pudo cargar la administración.",
    onEvent: (ev, holder) => { if (RELOAD_ON.has(ev.type)) holder.sync.reload().catch(() => {}); },
  });
}

main();
