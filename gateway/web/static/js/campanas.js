// GTR's campaigns and asesor panel (/gtr/campanas, issue 13): each campaign's settings and
// live queue (depth and oldest waiting lead), creating and editing campaigns, and every
// asesor's presence, load against capacity, consecutive timeouts and skills, all editable.
//
// Live: the page subscribes to the outbox like the board; any event that can change what
// it shows (a campaign, a presence, skills, capacity, a customer moving) reloads the two
// lists shortly after, so a burst of events costs one reload.

import { Api, describeError, takeToken } from "./api.js";
import { Notices, ago, el, parseTime } from "./common.js";
import { fillPageNav } from "./nav.js";
import { blockPage, startView } from "./live.js";
import { presenceChip } from "./presencia.js";

const $ = (selector) => document.querySelector(selector);
const RELOAD_MS = 250;

const state = { campanas: [], asesores: [], motivos: [] };
let api;
let notices;
let reloadTimer = null;
const asesorRows = new Map(); // asesor_id -> {tr, cells}

async function main() {
  notices = new Notices($("#avisos"));
  fillPageNav();
  const token = takeToken("gtr");
  if (!token) {
    blockPage({ view: "gtr", content: "#enrutamiento", title: "Falta el token de GTR.",
      detail: "Abre esta página con ?token=… o pega el token en la página de inicio." });
    return;
  }
  api = new Api(token);
  $("#campana-form").addEventListener("submit", saveCampaign);
  $("#campana-cancelar").addEventListener("click", () => editCampaign(null));
  const sync = await startView({
    api, view: "gtr", fetchSnapshot, install, apply, content: "#enrutamiento",
    loadFailure: "No se pudieron cargar las campañas.",
  });
  if (sync) setInterval(renderCampaigns, 15000); // "hace 3 min" ages
}

async function fetchSnapshot() {
  // The board's snapshot id first: the lists read after it reflect at least that event.
  const board = await api.get("/api/clientes?limit=1");
  const [campanas, panel, motivos] = await Promise.all([
    api.get("/api/campanas"), api.get("/api/asesores/panel"), api.get("/api/motivos-pausa")]);
  return { since: board.snapshotOutboxId, campanas: campanas.campanas, asesores: panel.asesores,
    motivos: motivos.motivos };
}

function install(snapshot) {
  Object.assign(state, { campanas: snapshot.campanas, asesores: snapshot.asesores, motivos: snapshot.motivos });
  renderCampaigns();
  renderAsesores();
}

function apply(ev) {
  if (ev.type === "TOKEN_REVOKED" || ev.type === "TOKEN_EXPIRED") return;
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(reload, RELOAD_MS);
}

async function reload() {
  try {
    install(await fetchSnapshot()); // the pause reasons too: GTR may change them (PAUSE_REASON_CHANGED)
  } catch (_error) {
    reloadTimer = setTimeout(reload, 2000); // the connection badge says what is wrong
  }
}

// -- campaigns ---------------------------------------------------------------------------

function renderCampaigns() {
  const now = api.now();
  const rows = state.campanas.map((c) => {
    const oldest = parseTime(c.mas_antiguo_en_cola);
    const edit = el("button", { type: "button", class: "btn btn-small", "aria-label": `Editar la campaña ${c.nombre}` },
      "Editar");
    edit.addEventListener("click", () => editCampaign(c));
    return el("tr", { class: "campana", dataset: { campanaId: c.campana_id } },
      el("th", { scope: "row" }, c.nombre, c.activa ? "" : el("span", { class: "muted" }, " (inactiva)")),
      el("td", { class: "col-modo" }, c.modo === "auto" ? "Automático" : "Manual"),
      el("td", {}, String(c.prioridad)),
      el("td", {}, c.timeout_segundos ? `${c.timeout_segundos} s` : "General"),
      el("td", { class: "col-cola" }, String(c.en_cola), c.en_espera ? ` (+${c.en_espera} en reciclaje)` : ""),
      el("td", { class: "col-antiguo" }, oldest === null ? "—" : ago(oldest, now)),
      el("td", { class: "col-activos" }, String(c.activos)),
      el("td", {}, edit));
  });
  $("#campanas tbody").replaceChildren(...rows);
}

function editCampaign(c) {
  const form = $("#campana-form");
  form.reset();
  form.querySelector(".form-error").textContent = "";
  form.campanaId.value = c ? String(c.campana_id) : "";
  $("#campana-form-titulo").textContent = c ? `Editar ${c.nombre}` : "Nueva campaña";
  form.querySelector("button[type=submit]").textContent = c ? "Guardar cambios" : "Crear campaña";
  $("#campana-cancelar").hidden = !c;
  $("#campana-activa-campo").hidden = !c;
  if (c) {
    form.nombre.value = c.nombre;
    form.modo.value = c.modo;
    form.prioridad.value = String(c.prioridad);
    form.timeout.value = c.timeout_segundos ? String(c.timeout_segundos) : "";
    form.reciclaje.value = String(c.reciclaje_segundos);
    form.devoluciones.value = String(c.max_devoluciones);
    form.activa.checked = Boolean(c.activa);
  }
  form.nombre.focus();
}

function integer(input, label, error) {
  const value = Number(input.value);
  if (!Number.isInteger(value) || value < Number(input.min) || value > Number(input.max)) {
    error.textContent = `${label}: un número entero entre ${input.min} y ${input.max}.`;
    input.focus();
    return undefined;
  }
  return value;
}

async function saveCampaign(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".form-error");
  error.textContent = "";
  const nombre = form.nombre.value.trim();
  if (!nombre) {
    error.textContent = "El nombre es obligatorio.";
    form.nombre.focus();
    return;
  }
  const body = { nombre, modo: form.modo.value };
  body.prioridad = integer(form.prioridad, "Prioridad", error);
  if (body.prioridad === undefined) return;
  body.timeoutSegundos = form.timeout.value === "" ? null : integer(form.timeout, "Inactividad", error);
  if (body.timeoutSegundos === undefined) return;
  body.reciclajeSegundos = integer(form.reciclaje, "Reciclaje", error);
  if (body.reciclajeSegundos === undefined) return;
  body.maxDevoluciones = integer(form.devoluciones, "Devoluciones máximas", error);
  if (body.maxDevoluciones === undefined) return;
  const id = form.campanaId.value;
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    if (id) {
      const before = state.campanas.find((c) => String(c.campana_id) === id);
      const changed = { ...body, activa: form.activa.checked };
      // Only what changed (the PATCH applies the fields given together: one transaction, one event).
      const keys = { nombre: "nombre", modo: "modo", prioridad: "prioridad", timeoutSegundos: "timeout_segundos",
        reciclajeSegundos: "reciclaje_segundos", maxDevoluciones: "max_devoluciones", activa: "activa" };
      for (const [field, column] of Object.entries(keys)) {
        if (before && before[column] === changed[field]) delete changed[field];
      }
      if (Object.keys(changed).length) await api.request("PATCH", `/api/campanas/${id}`, changed);
      notices.show("ok", `Campaña ${nombre} guardada.`, "", 4);
    } else {
      if (body.timeoutSegundos === null) delete body.timeoutSegundos;
      await api.post("/api/campanas", body);
      notices.show("ok", `Campaña ${nombre} creada.`, "", 4);
    }
    editCampaign(null);
  } catch (err) {
    const { title, detail } = describeError(err);
    error.textContent = `${title} ${detail ? `(${detail})` : ""}`;
  } finally {
    submit.disabled = false;
  }
}

// -- asesores ----------------------------------------------------------------------------

function renderAsesores() {
  const seen = new Set();
  const body = $("#panel-asesores tbody");
  for (const a of state.asesores) {
    seen.add(a.asesor_id);
    let view = asesorRows.get(a.asesor_id);
    if (!view) {
      view = asesorRow(a);
      asesorRows.set(a.asesor_id, view);
    }
    updateAsesor(view, a);
    body.append(view.tr); // in the panel's order (by id)
  }
  for (const [id, view] of asesorRows) {
    if (!seen.has(id)) {
      view.tr.remove();
      asesorRows.delete(id);
    }
  }
}

function asesorRow(a) {
  const presencia = el("td", { class: "col-presencia" });
  const carga = el("td", { class: "col-carga" });
  const timeouts = el("td", { class: "col-timeouts" });
  const skills = el("td", { class: "col-habilidades" });
  const capInput = el("input", { type: "number", min: "1", max: "100", step: "1", class: "input-small",
    "aria-label": `Capacidad de ${a.nombre}` });
  const capButton = el("button", { type: "button", class: "btn btn-small" }, "Fijar");
  capButton.setAttribute("aria-label", `Fijar la capacidad de ${a.nombre}`);
  capButton.addEventListener("click", () => setCapacity(a.asesor_id, capInput, capButton));
  const select = el("select", { "aria-label": `Nueva presencia de ${a.nombre}`, class: "presencia-select" });
  const apply = el("button", { type: "button", class: "btn btn-small", "aria-label": `Cambiar la presencia de ${a.nombre}` },
    "Cambiar");
  apply.addEventListener("click", () => setPresence(a.asesor_id, select, apply));
  const tr = el("tr", { class: "asesor", dataset: { asesorId: a.asesor_id } },
    el("th", { scope: "row" }, a.nombre), presencia, carga, timeouts, skills,
    el("td", { class: "col-capacidad" }, el("span", { class: "inline-controls" }, capInput, capButton)),
    el("td", {}, el("span", { class: "inline-controls" }, select, apply)));
  return { tr, presencia, carga, timeouts, skills, capInput, select, skillBoxes: new Map() };
}

function updateAsesor(view, a) {
  view.tr.dataset.presencia = a.presencia;
  view.presencia.replaceChildren(presenceChip(a.presencia),
    a.motivo_pausa ? el("span", { class: "motivo" }, ` ${motivoLabel(a.motivo_pausa)}`) : "");
  view.carga.textContent = `${a.carga} de ${a.capacidad}`;
  view.timeouts.textContent = String(a.timeouts_consecutivos);
  if (document.activeElement !== view.capInput) view.capInput.value = String(a.capacidad);
  if (document.activeElement !== view.select) {
    const options = [el("option", { value: "disponible" }, "Disponible"),
      ...state.motivos.map((m) => el("option", { value: `en_pausa:${m.codigo}` }, `En pausa: ${m.descripcion}`)),
      el("option", { value: "desconectado" }, "Desconectado")];
    view.select.replaceChildren(...options);
  }
  const have = new Set(a.campanas);
  for (const c of state.campanas) {
    let box = view.skillBoxes.get(c.campana_id);
    if (!box) {
      const input = el("input", { type: "checkbox", id: `hab-${a.asesor_id}-${c.campana_id}` });
      input.addEventListener("change", () => setSkill(a.asesor_id, c.campana_id, input));
      const label = el("label", { class: "skill", for: input.id }, input, ` ${c.nombre}`);
      box = { input, label };
      view.skillBoxes.set(c.campana_id, box);
      view.skills.append(label);
    }
    if (!box.input.disabled) box.input.checked = have.has(c.campana_id);
  }
}

function motivoLabel(codigo) {
  const m = state.motivos.find((x) => x.codigo === codigo);
  return m ? `(${m.descripcion})` : `(${codigo})`;
}

async function act(button, what, call) {
  button.disabled = true;
  try {
    await call();
  } catch (err) {
    const { title, detail } = describeError(err);
    notices.show("error", `${what}: ${title}`, detail);
  } finally {
    button.disabled = false;
  }
}

function setCapacity(asesorId, input, button) {
  const capacidad = Number(input.value);
  if (!Number.isInteger(capacidad) || capacidad < 1 || capacidad > 100) {
    notices.show("error", "La capacidad es un número entero entre 1 y 100.");
    input.focus();
    return;
  }
  act(button, "No se pudo fijar la capacidad",
    () => api.put(`/api/asesores/${asesorId}/capacidad`, { capacidad }));
}

function setPresence(asesorId, select, button) {
  const [presencia, motivo] = select.value.split(":");
  const body = motivo ? { presencia, motivoPausa: motivo } : { presencia };
  act(button, "No se pudo cambiar la presencia", () => api.post(`/api/asesores/${asesorId}/presencia`, body));
}

function setSkill(asesorId, campanaId, input) {
  act(input, "No se pudo cambiar la habilidad",
    () => api.post(`/api/asesores/${asesorId}/habilidades`, { campanaId, habilidad: input.checked }));
}

main();
