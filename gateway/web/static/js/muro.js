// The GTR wallboard, for a 1920×1080 monitor: today's figures, per state and per campaign, the
// asesores' presence, the oldest waiting lead and the customers about to go back to GTR (a
// ticking countdown). Live: any event re-reads GET /api/tablero, at most once a second.

import { Api, numberParam, takeToken } from "./api.js";
import { ESTADOS, chip, el, formatDuration, parseTime } from "./common.js";
import { blockPage, startView } from "./live.js";
import { fillPageNav } from "./nav.js";

const $ = (selector) => document.querySelector(selector);
const THROTTLE_MS = 1000;
const AVISO_SECONDS = numberParam("aviso", 120); // "about to time out": this many seconds or fewer
const LIMITE = 12;

let api;
let sync;
let since = 0; // the outbox id the figures on screen reflect
let lastRead = 0;
let pending = null;
let muro = null;

async function main() {
  fillPageNav();
  const token = takeToken("gtr");
  if (!token) {
    blockPage({ view: "gtr", content: "#muro", title: "Falta el token de GTR.",
      detail: "Abre esta página con ?token=… o pega el token en la página de inicio." });
    return;
  }
  api = new Api(token);
  sync = await startView({ api, view: "gtr", fetchSnapshot, install, apply, content: "#muro",
    loadFailure: "No se pudo cargar el muro." });
  if (sync) setInterval(tick, 1000);
}

async function fetchSnapshot() {
  // The outbox id first: an event that lands between the two reads triggers one more read.
  const board = await api.get("/api/clientes?limit=1");
  const figures = await api.get(`/api/tablero?avisoSegundos=${AVISO_SECONDS}&limite=${LIMITE}`);
  return { since: board.snapshotOutboxId, figures };
}

function install(snapshot) {
  since = snapshot.since;
  lastRead = Date.now();
  muro = snapshot.figures;
  render();
}

function apply(event) {
  if (event.id <= since || pending) return;
  const wait = Math.max(0, lastRead + THROTTLE_MS - Date.now());
  pending = setTimeout(() => {
    pending = null;
    sync.reload().catch(() => {});
  }, wait);
}

function tile(label, value, name, estado = null) {
  return el("div", { class: `tile${estado ? ` tile-${estado}` : ""}`, dataset: { cifra: name } },
    el("span", { class: "tile-label" }, label), el("span", { class: "tile-count" }, value));
}

function table(node, headers, rows, empty) {
  const head = el("thead", {}, el("tr", {}, headers.map(([text, num]) => el("th", { scope: "col", class: num ? "num" : null }, text))));
  const body = el("tbody", {}, rows.length ? rows
    : el("tr", {}, el("td", { colspan: headers.length, class: "empty" }, empty)));
  $(node).replaceChildren(head, body);
}

const num = (value) => el("td", { class: "num" }, value);

function render() {
  const t = muro.totales;
  $("#cifras").replaceChildren(
    tile("Esperando a GTR", t.esperando, "esperando", "no_gestionado"),
    tile("Asignados sin abrir", t.sin_abrir, "sin_abrir", "derivado"),
    tile("En gestión", t.en_gestion, "en_gestion", "en_gestion"),
    tile("Asignados hoy", t.asignados_hoy, "asignados_hoy", "nuevo"),
    tile("Terminados hoy", t.terminados_hoy, "terminados_hoy", "terminado"),
    tile("Devueltos hoy", t.devueltos_hoy, "devueltos_hoy", "no_gestionado"));

  const counts = Object.fromEntries(muro.estados.map((e) => [e.seguimiento_status, e.clientes]));
  table("#tabla-estados", [["Estado"], ["Clientes", true], ["Qué significa"]], ESTADOS.map((estado) =>
    el("tr", { dataset: { estado } }, el("td", {}, chip(estado)), num(counts[estado] ?? 0),
      el("td", { class: "muted" }, MEANING[estado]))), "");

  table("#tabla-campanas", [["Campaña"], ["En cola", true], ["En espera de reciclaje", true], ["En gestión", true],
    ["Más antiguo en cola"]], muro.campanas.map((c) => el("tr", { dataset: { campana: c.campana_id } },
    el("td", {}, c.nombre), num(c.en_cola), num(c.en_espera), num(c.activos),
    el("td", { class: "waited", dataset: { desde: c.mas_antiguo_en_cola || "" } }, "—"))),
  "No hay campañas.");

  const presence = { disponible: 0, en_pausa: 0, desconectado: 0 };
  for (const a of muro.asesores) presence[a.presencia] += 1;
  $("#disponibles").textContent = presence.disponible;
  $("#en-pausa").textContent = presence.en_pausa;
  $("#desconectados").textContent = presence.desconectado;
  const paused = muro.asesores.filter((a) => a.presencia === "en_pausa");
  $("#pausas").textContent = paused.length
    ? `En pausa: ${paused.map((a) => `${a.nombre}${a.motivo_pausa ? ` (${a.motivo_pausa})` : ""}`).join(", ")}` : "";

  const oldest = muro.masAntiguo;
  $("#mas-antiguo").replaceChildren(...(oldest
    ? [el("span", { class: "big waited", dataset: { desde: oldest.esperando_desde } }, ""),
      el("span", {}, `${oldest.nombre} · n.º ${oldest.cliente_id}`), chip(oldest.seguimiento_status)]
    : [el("p", { class: "muted" }, "Nadie espera a GTR.")]));

  table("#tabla-vencer", [["Cliente"], ["Estado"], ["Asesor"], ["Vuelve a GTR en", true]], muro.porVencer.map((c) =>
    el("tr", { dataset: { cliente: c.cliente_id } }, el("td", {}, `${c.nombre} · n.º ${c.cliente_id}`),
      el("td", {}, chip(c.seguimiento_status)), el("td", {}, c.asesor_nombre || "—"),
      el("td", { class: "num countdown", dataset: { vence: c.vence_at } }, ""))),
  `Ningún cliente vuelve a GTR en los próximos ${formatDuration(AVISO_SECONDS * 1000)}.`);

  $("#actualizado").textContent = `Cifras al evento n.º ${since} · ${new Date(api.now()).toLocaleTimeString("es")}`;
  tick();
}

const MEANING = {
  nuevo: "esperan asignación",
  derivado: "asignados, sin abrir",
  en_gestion: "en gestión",
  terminado: "terminados hoy",
  no_gestionado: "devueltos, esperan a GTR",
};

function tick() {
  const now = api.now();
  for (const cell of document.querySelectorAll("[data-vence]")) {
    const left = parseTime(cell.dataset.vence) - now;
    cell.textContent = left > 0 ? formatDuration(left) : "vencido";
    cell.classList.toggle("countdown-urgent", left < 30000);
  }
  for (const cell of document.querySelectorAll(".waited")) {
    const from = parseTime(cell.dataset.desde);
    cell.textContent = from === null ? "—" : formatDuration(now - from);
  }
}

main();
