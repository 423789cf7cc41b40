// The GTR reports page: a date range, an asesor and a campaign; per asesor, per hour, speed to
// lead and per campaign, from GET /api/reportes (one call). Each chart keeps its figures in a
// table, and every table exports as CSV with the same columns it shows.

import { Api, describeError, takeToken } from "./api.js";
import { barChart, lineChart } from "./charts.js";
import { downloadCsv } from "./csv.js";
import { Notices, el, formatDuration } from "./common.js";
import { blockPage } from "./live.js";
import { fillPageNav } from "./nav.js";

const $ = (selector) => document.querySelector(selector);
const DAY_MS = 86400000;
const HOUR_MS = 3600000;

const seconds = (v) => (v === null || v === undefined ? "—" : formatDuration(Number(v) * 1000));
const percent = (v) => (v === null || v === undefined ? "—" : `${(Number(v) * 100).toFixed(1)} %`);
const roundTo = (v, digits) => (v === null || v === undefined ? null : Number(Number(v).toFixed(digits)));
const hourLabel = (iso) => {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
};

// Each table: [key, header, shown(value, row), csv(value, row), numeric]. The CSV has the
// same columns as the table; durations go to it in seconds, shares as fractions.
const TABLES = {
  asesores: {
    node: "#tabla-asesores", file: "informe-asesores",
    columns: [
      ["asesor_nombre", "Asesor", null, null, false],
      ["asignados", "Asignados", null, null, true],
      ["abiertos", "Abiertos", null, null, true],
      ["completados", "Completados", null, null, true],
      ["devueltos_timeout", "Devueltos por inactividad", null, null, true],
      ["mediana_segundos_hasta_abrir", "Mediana hasta abrir", seconds, (v) => roundTo(v, 1), true],
      ["mediana_segundos_gestion", "Mediana de gestión", seconds, (v) => roundTo(v, 1), true],
    ],
    empty: "Nadie trabajó en este rango.",
  },
  horas: {
    node: "#tabla-horas", file: "informe-por-hora",
    columns: [
      ["hora", "Hora (UTC)", hourLabel, hourLabel, false],
      ["asignados", "Asignados", null, null, true],
      ["completados", "Completados", null, null, true],
      ["devueltos_timeout", "Devueltos", null, null, true],
    ],
    empty: "Ninguna hora con actividad.",
  },
  velocidad: {
    node: "#tabla-velocidad", file: "informe-velocidad",
    columns: [["tramo", "Tramo", null, null, false], ["clientes", "Clientes", null, null, true]],
    empty: "",
  },
  campanas: {
    node: "#tabla-campanas", file: "informe-campanas",
    columns: [
      ["campana_nombre", "Campaña", null, null, false],
      ["clientes", "Clientes atendidos", null, null, true],
      ["mediana_segundos", "Mediana", seconds, (v) => roundTo(v, 1), true],
      ["p90_segundos", "Percentil 90", seconds, (v) => roundTo(v, 1), true],
      ["dentro_del_umbral", "Dentro del objetivo", null, null, true],
      ["nivel_servicio", "Nivel de servicio", percent, (v) => roundTo(v, 4), true],
    ],
    empty: "Ninguna campaña con clientes atendidos en este rango.",
  },
};

let api;
let notices;
const rowsOf = {}; // table name -> the rows it shows (what its CSV exports)

// A fresh container per drawing: the old chart, with its resize observer, goes with the old node.
function canvas(selector) {
  const old = $(selector);
  const fresh = el("div", { id: old.id, class: old.className });
  old.replaceWith(fresh);
  return fresh;
}

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

async function main() {
  notices = new Notices($("#avisos"));
  fillPageNav();
  const token = takeToken("gtr");
  if (!token) {
    blockPage({ view: "gtr", content: "#informe", title: "Falta el token de GTR.",
      detail: "Abre esta página con ?token=… o pega el token en la página de inicio." });
    return;
  }
  api = new Api(token);
  const params = new URL(window.location.href).searchParams;
  const today = Date.now();
  $("#hasta").value = params.get("hasta") || isoDay(today);
  $("#desde").value = params.get("desde") || isoDay(today - 6 * DAY_MS);
  try {
    const [asesores, tablero] = await Promise.all([api.get("/api/asesores"), api.get("/api/tablero?limite=1")]);
    $("#asesor").append(...asesores.asesores.map((a) => el("option", { value: a.asesor_id }, a.nombre)));
    $("#campana").append(...tablero.campanas.map((c) => el("option", { value: c.campana_id }, c.nombre)));
    $("#asesor").value = params.get("asesorId") || "";
    $("#campana").value = params.get("campanaId") || "";
    await load();
  } catch (error) {
    const { title, detail } = describeError(error);
    blockPage({ view: "gtr", content: "#informe", title: `No se pudo cargar el informe. ${title}`, detail, error });
    return;
  }
  $("#filtros").addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(showError);
  });
  for (const button of document.querySelectorAll("[data-csv]")) {
    button.addEventListener("click", () => exportTable(button.dataset.csv));
  }
  document.body.dataset.ready = "true";
}

function showError(error) {
  const { title, detail } = describeError(error);
  notices.show("error", title, detail);
}

function query() {
  const error = $("#filtros .form-error");
  error.textContent = "";
  const desde = $("#desde").value;
  const hasta = $("#hasta").value;
  const umbral = Number($("#umbral").value);
  let problem = "";
  if (!desde || !hasta) problem = "Indica las dos fechas.";
  else if (hasta < desde) problem = "«Hasta» no puede ser anterior a «Desde».";
  else if ((Date.parse(hasta) - Date.parse(desde)) / DAY_MS + 1 > 366) problem = "Un informe abarca como máximo 366 días.";
  else if (!Number.isInteger(umbral) || umbral < 1 || umbral > 86400) problem = "El objetivo va de 1 a 86400 segundos.";
  if (problem) {
    error.textContent = problem;
    return null;
  }
  const q = new URLSearchParams({ desde, hasta, umbralSegundos: String(umbral) });
  if ($("#asesor").value) q.set("asesorId", $("#asesor").value);
  if ($("#campana").value) q.set("campanaId", $("#campana").value);
  return q;
}

async function load() {
  const q = query();
  if (!q) return;
  document.body.dataset.loading = "true";
  const report = await api.get(`/api/reportes?${q}`);
  render(report);
  delete document.body.dataset.loading;
  const asesor = $("#asesor").selectedOptions[0].textContent;
  $("#rango").textContent = `Del ${q.get("desde")} al ${q.get("hasta")} (UTC) · asesor: ${asesor} · campaña: ${$("#campana").selectedOptions[0].textContent}`;
  window.history.replaceState(window.history.state, "", `${window.location.pathname}?${q}`);
}

function render(report) {
  rowsOf.asesores = report.asesores;
  rowsOf.horas = report.porHora;
  rowsOf.velocidad = report.velocidad;
  rowsOf.campanas = report.campanas;
  for (const name of Object.keys(TABLES)) drawTable(name);
  drawTiles(report.resumenVelocidad);
  drawCharts(report);
}

function drawTiles(resumen) {
  const tile = (label, value, name) => el("div", { class: "tile", dataset: { cifra: name } },
    el("span", { class: "tile-label" }, label), el("span", { class: "tile-count" }, value));
  $("#resumen-velocidad").replaceChildren(
    tile("Clientes atendidos", resumen.clientes, "clientes"),
    tile("Mediana de velocidad", seconds(resumen.mediana_segundos), "mediana"),
    tile(`Dentro de ${resumen.umbral_segundos} s`, resumen.dentro_del_umbral, "dentro"),
    tile("Nivel de servicio", percent(resumen.nivel_servicio), "nivel"));
}

function drawTable(name) {
  const { node, columns, empty } = TABLES[name];
  const rows = rowsOf[name];
  const head = el("thead", {}, el("tr", {}, columns.map(([, header, , , num]) =>
    el("th", { scope: "col", class: num ? "num" : null }, header))));
  const body = el("tbody", {}, rows.length ? rows.map((row) => el("tr", {}, columns.map(([key, , shown, , num]) =>
    el("td", { class: num ? "num" : null }, shown ? shown(row[key], row) : row[key] ?? "—"))))
    : el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, empty)));
  $(node).replaceChildren(head, body);
}

function exportTable(name) {
  const { file, columns } = TABLES[name];
  const rows = rowsOf[name].map((row) => Object.fromEntries(columns.map(([key, , , csv]) =>
    [key, csv ? csv(row[key], row) : row[key]])));
  downloadCsv(`${file}-${$("#desde").value}-${$("#hasta").value}`, rows, columns.map(([key, header]) => [key, header]));
}

function drawCharts(report) {
  // Completions per hour over the whole range, empty hours as zero.
  const start = Date.parse(report.desde.endsWith("Z") ? report.desde : `${report.desde}Z`);
  const end = Date.parse(report.hasta.endsWith("Z") ? report.hasta : `${report.hasta}Z`);
  const hours = Math.max(1, Math.round((end - start) / HOUR_MS));
  const x = Array.from({ length: hours }, (_, i) => i);
  const completed = new Array(hours).fill(0);
  for (const row of report.porHora) {
    const i = Math.round((Date.parse(row.hora) - start) / HOUR_MS);
    if (i >= 0 && i < hours) completed[i] = row.completados;
  }
  const total = completed.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...completed);
  const oneDay = hours <= 48;
  lineChart(canvas("#grafico-horas"), {
    x, series: [{ name: "Completados", values: completed }],
    xLabel: (i) => {
      const d = new Date(start + i * HOUR_MS);
      return oneDay ? `${d.getUTCHours()} h` : `${d.getUTCDate()}/${d.getUTCMonth() + 1}`;
    },
    summary: `Completados por hora: ${total} en total, como máximo ${peak} en una hora.`,
  });
  const tramos = report.velocidad;
  barChart(canvas("#grafico-velocidad"), {
    labels: tramos.map((t) => t.tramo), values: tramos.map((t) => t.clientes), name: "Clientes",
    summary: `Velocidad de atención: ${tramos.map((t) => `${t.tramo}: ${t.clientes}`).join("; ")}.`,
  });
  const asesores = report.asesores;
  barChart(canvas("#grafico-timeouts"), {
    labels: asesores.map((a) => a.asesor_nombre), values: asesores.map((a) => a.devueltos_timeout),
    name: "Devueltos", color: "#b91c1c",
    summary: asesores.length ? `Devueltos por inactividad: ${asesores.map((a) => `${a.asesor_nombre}: ${a.devueltos_timeout}`).join("; ")}.`
      : "Devueltos por inactividad: nadie trabajó en este rango.",
  });
}

main();
