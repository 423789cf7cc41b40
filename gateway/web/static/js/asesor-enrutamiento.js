// The asesor's routing controls (issue 13): its presence switch (disponible, or en pausa
// with a reason), the "Siguiente cliente" button (the pull), "Devolver" on each customer
// with a reason, and each customer's campaign on its card. asesor.js renders the cards and
// calls decorateCard() for each; its events arrive here as "seguimiento:evento".

import { Api, describeError, takeToken } from "./api.js";
import { Notices, el } from "./common.js";
import { PRESENCIA_LABEL, presenceChip } from "./presencia.js";

const $ = (selector) => document.querySelector(selector);
const campanas = new Map(); // campana_id -> nombre
let api = null;
let notices = null;
let me = null;

/** Adds the customer's campaign and a "Devolver" button to its card `li`; returns it. */
export function decorateCard(row, li) {
  const meta = li.querySelector(".card-main");
  if (meta) {
    meta.append(el("p", { class: "card-campana", dataset: { campanaId: row.campana_id ?? "" } },
      campaignText(row.campana_id)));
  }
  const action = li.querySelector(".card-action");
  if (action && (row.seguimiento_status === "derivado" || row.seguimiento_status === "en_gestion")) {
    const button = el("button", { type: "button", class: "btn btn-quiet btn-small devolver",
      "aria-label": `Devolver a ${row.nombre}` }, "Devolver");
    button.addEventListener("click", () => askReason(row));
    action.append(button);
  }
  return li;
}

function campaignText(id) {
  if (id === null || id === undefined) return "";
  return `Campaña: ${campanas.get(id) ?? `n.º ${id}`}`;
}

async function loadCampaigns() {
  try {
    for (const c of (await api.get("/api/campanas")).campanas) campanas.set(c.campana_id, c.nombre);
  } catch (_error) {
    return;
  }
  for (const node of document.querySelectorAll(".card-campana")) {
    node.textContent = campaignText(node.dataset.campanaId === "" ? null : Number(node.dataset.campanaId));
  }
}

// -- presence ----------------------------------------------------------------------------

function showPresence(presencia, motivo, motivos) {
  const label = motivo ? ` · ${motivos.get(motivo) ?? motivo}` : "";
  $("#presencia-actual").replaceChildren(presenceChip(presencia), label);
  $("#presencia-actual").dataset.presencia = presencia;
  $("#presencia-actual").dataset.motivo = motivo ?? "";
  const select = $("#presencia-nueva");
  if (document.activeElement !== select) {
    select.value = presencia === "disponible" ? "en_pausa:" + ([...motivos.keys()][0] ?? "") : "disponible";
  }
}

// The pause reasons as options; kept in `motivos` (codigo -> descripcion) for the labels. GTR
// may add, rename or take one out of use from the desk: PAUSE_REASON_CHANGED reaches every
// socket, and the list is read again, keeping the option chosen if it is still there.
function fillReasons(lista, motivos) {
  motivos.clear();
  for (const m of lista) motivos.set(m.codigo, m.descripcion);
  const select = $("#presencia-nueva");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "disponible" }, "Disponible"),
    ...lista.map((m) => el("option", { value: `en_pausa:${m.codigo}` }, `En pausa: ${m.descripcion}`)));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function reloadReasons(motivos) {
  try {
    fillReasons((await api.get("/api/motivos-pausa")).motivos, motivos);
    const actual = $("#presencia-actual");
    if (actual.dataset.presencia === "en_pausa" && actual.dataset.motivo) {
      showPresence("en_pausa", actual.dataset.motivo, motivos);
    }
  } catch (_error) {
    // The connection badge says what is wrong; the next event reads the list again.
  }
}

async function setupPresence() {
  const [yo, lista] = await Promise.all([api.get("/api/me"), api.get("/api/motivos-pausa")]);
  me = yo.asesorId;
  const motivos = new Map();
  fillReasons(lista.motivos, motivos);
  showPresence(yo.presencia ?? "desconectado", yo.motivoPausa, motivos);
  $("#presencia-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [presencia, motivo] = $("#presencia-nueva").value.split(":");
    const button = event.currentTarget.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = motivo ? { presencia, motivoPausa: motivo } : { presencia };
      const done = await api.post("/api/presencia", body);
      showPresence(done.presencia, done.motivoPausa, motivos);
      notices.show("ok", `Tu estado: ${PRESENCIA_LABEL[done.presencia]}.`,
        done.asignados ? `Te llegaron ${done.asignados} cliente(s).` : "", 4);
    } catch (err) {
      const { title, detail } = describeError(err);
      notices.show("error", `No se pudo cambiar tu estado. ${title}`, detail);
    } finally {
      button.disabled = false;
    }
  });
  document.addEventListener("seguimiento:evento", (event) => {
    const ev = event.detail;
    if (ev.type === "ASESOR_STATUS_CHANGED" && ev.data.asesorId === me) {
      showPresence(ev.data.presencia, ev.data.motivoPausa, motivos);
    } else if (ev.type === "PAUSE_REASON_CHANGED") {
      reloadReasons(motivos);
    }
  });
}

// -- the pull and the hand-back -----------------------------------------------------------

async function nextCustomer(event) {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const given = await api.post("/api/siguiente-cliente", {});
    if (given.clienteId === null) notices.show("info", "No hay clientes esperando para ti ahora.", "", 5);
    else notices.show("ok", `Te asignamos el cliente n.º ${given.clienteId}.`, campaignText(given.campanaId), 5);
  } catch (err) {
    const { title, detail } = describeError(err);
    notices.show("error", title, detail);
  } finally {
    button.disabled = false;
  }
}

function askReason(row) {
  const form = $("#devolver-form");
  form.hidden = false;
  form.clienteId.value = String(row.cliente_id);
  $("#devolver-titulo").textContent = `Devolver a ${row.nombre}`;
  form.querySelector(".form-error").textContent = "";
  form.motivo.value = "";
  form.motivo.focus();
}

function closeReason() {
  $("#devolver-form").hidden = true;
}

async function handBack(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const motivo = form.motivo.value.trim();
  const error = form.querySelector(".form-error");
  if (!motivo) {
    error.textContent = "Escribe el motivo de la devolución.";
    form.motivo.focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api.post(`/api/clientes/${form.clienteId.value}/devolver`, { motivo });
    notices.show("ok", "Cliente devuelto a su cola.", "", 4);
    closeReason();
    $("#siguiente").focus();
  } catch (err) {
    const { title, detail } = describeError(err);
    error.textContent = `${title} ${detail ? `(${detail})` : ""}`;
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const token = takeToken("asesor");
  if (!token) return; // asesor.js shows why
  api = new Api(token);
  notices = new Notices($("#avisos"));
  $("#siguiente").addEventListener("click", nextCustomer);
  $("#devolver-form").addEventListener("submit", handBack);
  $("#devolver-cancelar").addEventListener("click", closeReason);
  $("#devolver-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeReason();
    }
  });
  await loadCampaigns();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await setupPresence();
      break;
    } catch (_error) {
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the badge says the gateway is down
    }
  }
}

main();
