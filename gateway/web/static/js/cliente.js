// A customer's detail (issue 14, item 3), for GTR (/gtr/cliente?id=N) and for the asesor it
// is assigned to (/asesor/cliente?id=N): contact data, the wizard's answers (datos), and the
// whole history as a timeline. Any live event about the customer reloads both (the history's
// rows carry who, why and the outbox id, which an event alone does not). An asesor's history
// is one atomic call on the server: a customer reassigned away answers 403 and the page says so.

import { el, chip, dateTime, parseTime } from "./common.js";
import { openDeskPage } from "./desk.js";

const $ = (selector) => document.querySelector(selector);
const VIEW = window.location.pathname.startsWith("/asesor") ? "asesor" : "gtr";
const ID = Number(new URL(window.location.href).searchParams.get("id"));

const MOTIVO = {
  cargado: "Cargado por GTR",
  importado: "Importado de un archivo",
  asignado: "Asignado a un asesor",
  reasignado: "Reasignado a otro asesor",
  wizard_abierto: "Gestión abierta",
  datos_actualizados: "Datos actualizados",
  wizard_completado: "Gestión completada",
  timeout_no_gestionado: "Vuelve a GTR por inactividad",
  asesor_desactivado: "Vuelve a GTR: su asesor fue desactivado",
  devuelto_por_asesor: "Devuelto por el asesor",
};
const ACTOR = { gtr: "GTR", asesor: "asesor", sistema: "el sistema", dba: "un DBA" };

let asesores = new Map();

function asesorName(id) {
  if (id === null || id === undefined) return "";
  const a = asesores.get(id);
  return a ? a.nombre : `asesor ${id}`;
}

async function load(api) {
  const [cliente, historial, lista] = await Promise.all([
    api.get(`/api/clientes/${ID}`), api.get(`/api/clientes/${ID}/historial`), api.get("/api/asesores"),
  ]);
  const rows = historial.historial;
  // The newest event the history reflects: later events about this customer reload it.
  const since = rows.length ? Math.max(...rows.map((h) => h.outbox_id)) : 0;
  return { since, cliente, historial: rows, asesores: lista.asesores };
}

function show(snapshot) {
  asesores = new Map(snapshot.asesores.map((a) => [a.asesor_id, a]));
  const c = snapshot.cliente;
  document.title = `${c.nombre} · Seguimiento`;
  $("#cliente-titulo").textContent = c.nombre;
  $("#cliente-estado").replaceChildren(chip(c.seguimiento_status));
  const fact = (term, value) => [el("dt", {}, term), el("dd", {}, value || "—")];
  $("#contacto").replaceChildren(...[
    fact("N.º", String(c.cliente_id)),
    fact("Teléfono", c.telefono),
    fact("Asesor", asesorName(c.asesor_asignado)),
    fact("Cargado", dateTime(parseTime(c.created_at))),
    fact("Última actividad", dateTime(parseTime(c.last_activity))),
    fact("Gestión completada", c.fecha_wizard_completado ? dateTime(parseTime(c.fecha_wizard_completado)) : ""),
  ].flat());
  const datos = Object.entries(c.datos || {});
  $("#datos").replaceChildren(...datos.flatMap(([key, value]) =>
    fact(key, typeof value === "string" ? value : JSON.stringify(value))));
  $("#datos-vacio").hidden = datos.length > 0;
  $("#historial").replaceChildren(...snapshot.historial.map(entry));
}

function entry(h) {
  const who = h.actor === "asesor" ? asesorName(h.asesor_id) || "asesor" : ACTOR[h.actor] || h.actor;
  const to = h.asesor_id && h.estado_nuevo === "derivado" ? ` → ${asesorName(h.asesor_id)}` : "";
  return el("li", { dataset: { historialId: h.historial_id, motivo: h.motivo } },
    el("time", { datetime: h.created_at }, dateTime(parseTime(h.created_at))),
    el("div", {},
      el("p", { class: "what" }, h.estado_anterior ? chip(h.estado_anterior) : null,
        h.estado_anterior ? el("span", { "aria-label": "pasa a" }, "→") : null, chip(h.estado_nuevo), to),
      el("p", { class: "why" }, `${MOTIVO[h.motivo] || h.motivo} · por ${who}`)));
}

async function main() {
  const back = VIEW === "gtr" ? "/gtr" : "/asesor";
  $("#volver").href = back;
  $("#volver").textContent = VIEW === "gtr" ? "← Volver al tablero" : "← Volver a mis clientes";
  $("#volver-bloqueo").href = back;
  $("#paginas").hidden = VIEW !== "gtr";
  if (VIEW === "gtr") document.body.classList.add("view-gtr");
  if (!Number.isInteger(ID) || ID < 1) {
    $("#bloqueo").hidden = false;
    $("#ficha").hidden = true;
    $("#bloqueo .blocked-detail").textContent = "Falta el número de cliente en la dirección (?id=…).";
    return;
  }
  await openDeskPage({
    view: VIEW, content: "#ficha", load, show, loadFailure: "No se pudo abrir la ficha del cliente.",
    onEvent: (ev, holder) => {
      const about = ev.data && (ev.data.clienteId === ID || (ev.data.clienteIds || []).includes(ID));
      if (!about) return;
      holder.sync.reload().catch((error) => {
        if (error.status === 403) {
          holder.sync.stop();
          $("#bloqueo .blocked-title").textContent = "Este cliente ya no está asignado a ti.";
          $("#bloqueo .blocked-detail").textContent = "GTR lo reasignó o volvió a GTR: su historial ya no es visible.";
          $("#bloqueo").hidden = false;
          $("#ficha").hidden = true;
        }
      });
    },
  });
}

main();
