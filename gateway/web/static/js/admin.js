// Administration from the desk (issue 14, item 5): create, deactivate and reactivate asesores,
// give one a login token (shown once, with a login link), set the inactivity timeout, manage
// the pause reasons, read the audit. Every change is a route that the gateway sends through an audited sp_gtr_* procedure
// naming this tab's GTR token; the page reloads its lists when their events arrive.

import { describeError } from "./api.js";
import { dateTime, el, parseTime } from "./common.js";
import { copyField, openDeskPage } from "./desk.js";

const $ = (selector) => document.querySelector(selector);
const RELOAD_ON = new Set(["ASESOR_CREATED", "ASESOR_DEACTIVATED", "ASESOR_ACTIVATED", "ASESOR_TOKEN_ISSUED",
  "CONFIG_CHANGED", "PAUSE_REASON_CHANGED"]);
const SETTING_LABEL = { timeout_segundos: "tiempo de inactividad", token_asesor_vigencia_segundos: "vigencia de los tokens" };

let page;
let asesores = new Map();

async function load(api) {
  const [board, lista, auditoria, motivos] = await Promise.all([
    api.get("/api/clientes?limit=1"), api.get("/api/asesores"), api.get("/api/auditoria?limit=30"),
    api.get("/api/motivos-pausa/todos"),
  ]);
  return { since: board.snapshotOutboxId, timeout: board.timeoutSegundos, asesores: lista.asesores,
    auditoria: auditoria.auditoria, motivos: motivos.motivos };
}

function show(snapshot) {
  asesores = new Map(snapshot.asesores.map((a) => [a.asesor_id, a]));
  const timeout = $("#timeout");
  if (document.activeElement !== timeout) timeout.value = String(snapshot.timeout);
  const body = $("#asesores tbody");
  body.replaceChildren(...snapshot.asesores.map(asesorRow));
  $("#motivos tbody").replaceChildren(...snapshot.motivos.map(motivoRow));
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
    PAUSE_REASON_CHANGED: `Motivo de pausa ${d.codigo}: «${d.descripcion}», ${d.activo ? "activo" : "inactivo"}`,
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

// A pause reason's row: its description edited in place (Enter or "Renombrar" saves it) and
// a switch; timeouts has none, as the database pauses asesores with it.
function motivoRow(m) {
  const input = el("input", { type: "text", maxlength: "200", value: m.descripcion, required: true,
    "aria-label": `Descripción de ${m.codigo}` });
  const rename = el("button", { type: "button", class: "btn btn-small", "aria-label": `Renombrar ${m.codigo}` },
    "Renombrar");
  rename.addEventListener("click", () => saveMotivo(m, input.value, m.activo, rename));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); saveMotivo(m, input.value, m.activo, rename); }
  });
  const actions = [rename];
  if (m.codigo !== "timeouts") {
    const toggle = el("button", { type: "button", class: "btn btn-small",
      "aria-label": `${m.activo ? "Desactivar" : "Activar"} ${m.codigo}` }, m.activo ? "Desactivar" : "Activar");
    toggle.addEventListener("click", () => saveMotivo(m, m.descripcion, !m.activo, toggle));
    actions.push(toggle);
  }
  return el("tr", { dataset: { motivo: m.codigo } },
    el("td", {}, el("span", { class: "cliente-meta" }, m.codigo), input),
    el("td", {}, el("span", { class: m.activo ? "state-on" : "state-off" }, m.activo ? "Activo" : "Inactivo")),
    el("td", {}, el("div", { class: "assign" }, ...actions)));
}

async function saveMotivo(m, descripcion, activo, button) {
  const text = descripcion.trim();
  if (!text) {
    page.notices.show("error", `La descripción de ${m.codigo} es obligatoria.`, "", 5);
    return;
  }
  await act(button, async () => {
    const saved = await page.api.post("/api/motivos-pausa", { codigo: m.codigo, descripcion: text, activo });
    page.notices.show("ok", `Motivo ${saved.codigo}: «${saved.descripcion}», ${saved.activo ? "activo" : "inactivo"}.`, "", 5);
    await page.sync.reload();
  }, `No se pudo guardar el motivo ${m.codigo}.`);
}

async function createMotivo(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const codigo = form.codigo.value.trim();
  const descripcion = form.descripcion.value.trim();
  const error = $("#motivo-error");
  error.textContent = "";
  if (!/^[a-z0-9_]{1,40}$/.test(codigo)) {
    error.textContent = "El código lleva de 1 a 40 minúsculas, cifras o _.";
    form.codigo.focus();
    return;
  }
  if (!descripcion) {
    error.textContent = "La descripción es obligatoria.";
    form.descripcion.focus();
    return;
  }
  await act(form.querySelector("button"), async () => {
    await page.api.post("/api/motivos-pausa", { codigo, descripcion, activo: true });
    page.notices.show("ok", `Motivo ${codigo} añadido.`, "", 5);
    form.reset();
    await page.sync.reload();
  }, `No se pudo añadir el motivo ${codigo}.`);
}

async function main() {
  $("#alta-motivo").addEventListener("submit", createMotivo);
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
