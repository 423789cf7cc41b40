// Import from the desk (issue 14, item 4): upload a CSV to POST /api/importaciones with a
// progress bar, show the rejected lines with their reasons, and offer them as a file to fix
// and upload again.
//
// What the bar measures: the bytes of the file the browser has handed to the network (the
// XMLHttpRequest upload events). Once the whole file is sent the gateway loads it (it loads
// nothing before the whole body arrives) and answers when every batch is in: the bar then
// turns indeterminate and says so, since no figure of that part reaches the browser.

import { ApiError, describeError } from "./api.js";
import { el } from "./common.js";
import { downloadCsv } from "./csv.js";
import { openDeskPage } from "./desk.js";

const $ = (selector) => document.querySelector(selector);
const REASON_COLUMNS = [["linea", "Línea"], ["motivo", "Motivo"], ["contenido", "Contenido"]];

let page;
let rejected = { name: "", header: "", records: [] }; // what the download offers

/** The file's records by the line they start on: {line, text, fields}. Quotes may span lines. */
export function csvRecords(text) {
  const records = [];
  let line = 1;
  let start = 0;
  let startLine = 1;
  let fields = [];
  let cell = "";
  let quoted = false;
  const end = (at, next) => {
    fields.push(cell);
    const raw = text.slice(start, at);
    if (raw.trim() !== "") records.push({ line: startLine, text: raw, fields });
    fields = [];
    cell = "";
    start = next;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false;
      else { if (c === "\n") line += 1; cell += c; }
    } else if (c === '"') quoted = true;
    else if (c === ",") { fields.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      const crlf = c === "\r" && text[i + 1] === "\n";
      end(i, i + (crlf ? 2 : 1));
      if (crlf) i += 1;
      line += 1;
      startLine = line;
    } else cell += c;
  }
  if (start < text.length) end(text.length, text.length);
  return records;
}

/** POST the file with XMLHttpRequest (fetch reports no upload progress); the parsed answer. */
function upload(file, skipDuplicates, onProgress) {
  return new Promise((resolve, reject) => {
    const query = new URLSearchParams({ skipDuplicates: String(skipDuplicates), origen: file.name.slice(0, 255) || "upload.csv" });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/importaciones?${query}`);
    xhr.setRequestHeader("Authorization", `Bearer ${page.api.token}`);
    xhr.setRequestHeader("Content-Type", "text/csv");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.upload.onload = () => onProgress(file.size, file.size, true);
    xhr.onerror = () => reject(new ApiError(0, "network", "el servidor no respondió"));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (_error) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300 && data) resolve(data);
      else {
        const error = data && data.error ? data.error : {};
        reject(new ApiError(xhr.status, error.code || `http_${xhr.status}`, error.message || xhr.statusText || "error"));
      }
    };
    xhr.send(file);
  });
}

function showProgress(sent, total, done = false) {
  const bar = $("#barra");
  const text = $("#progreso-texto");
  if (done) {
    bar.removeAttribute("value"); // indeterminate: the server is loading, and says nothing until it ends
    $("#barra-etiqueta").textContent = "Archivo enviado: la base de datos lo está cargando";
    text.textContent = `${formatBytes(total)} enviados. Esperando el resultado…`;
    return;
  }
  const pct = total ? Math.floor((sent / total) * 100) : 0;
  bar.value = pct;
  text.textContent = `${pct} % del archivo enviado (${formatBytes(sent)} de ${formatBytes(total)})`;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function submit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const file = form.archivo.files[0];
  const error = $("#subida-error");
  error.textContent = "";
  if (!file) {
    error.textContent = "Elige un archivo CSV.";
    form.archivo.focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  $("#progreso").hidden = false;
  $("#barra-etiqueta").textContent = "Enviando el archivo";
  showProgress(0, file.size);
  try {
    const result = await upload(file, form.duplicados.checked, showProgress);
    await showResult(file, result);
  } catch (failure) {
    const { title, detail } = describeError(failure);
    error.textContent = `No se importó nada. ${title} ${detail}`;
    $("#progreso").hidden = true;
  } finally {
    button.disabled = false;
  }
}

async function showResult(file, result) {
  $("#progreso").hidden = true;
  const again = result.lotesYaImportados > 0
    ? ` Este archivo ya se había importado: ${result.lotesYaImportados} de ${result.lotes} lotes no se cargaron otra vez.` : "";
  $("#resultado-resumen").textContent =
    `${file.name}: ${result.cargados} clientes cargados, ${result.rechazados.length} líneas rechazadas.${again}`;
  const records = result.rechazados.length ? csvRecords((await file.text()).replace(/^\uFEFF/, "")) : [];
  const byLine = new Map(records.map((r) => [r.line, r]));
  rejected = {
    name: file.name.replace(/\.csv$/i, ""),
    header: records.length ? records[0].text : "",
    records: result.rechazados.map((r) => ({ ...r, contenido: (byLine.get(r.linea) || { text: "" }).text })),
  };
  $("#rechazos tbody").replaceChildren(...rejected.records.map((r) =>
    el("tr", { dataset: { linea: r.linea } }, el("td", {}, String(r.linea)), el("td", {}, el("code", {}, r.contenido)),
      el("td", {}, r.motivo))));
  $("#rechazos").hidden = rejected.records.length === 0;
  $("#rechazos-acciones").hidden = rejected.records.length === 0;
  $("#resultado-vacio").hidden = true;
  $("#resultado").hidden = false;
  $("#resultado-titulo").focus();
}

/** The rejected lines as the file had them, under its header: fix them and upload this file
 * again (lines already loaded are not in it, and a batch loaded before is never loaded twice). */
function downloadRejected() {
  // The lines go out as they came in, not through csvCell: its guard against spreadsheet
  // formulas would turn a phone "+51 …" into "'+51 …", which the import then rejects.
  const text = [rejected.header, ...rejected.records.map((r) => r.contenido)].join("\r\n") + "\r\n";
  const blob = new Blob(["\uFEFF", text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: `${rejected.name}-rechazadas.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

async function main() {
  $("#subida").addEventListener("submit", submit);
  $("#descargar-rechazos").addEventListener("click", downloadRejected);
  $("#descargar-motivos").addEventListener("click",
    () => downloadCsv(`${rejected.name}-motivos`, rejected.records, REASON_COLUMNS));
  page = await openDeskPage({
    content: "#importar", loadFailure: "No se pudo abrir la importación.",
    load: async (api) => ({ since: (await api.get("/api/clientes?limit=1")).snapshotOutboxId }),
    show: () => {},
    onEvent: (ev, holder) => {
      if (ev.type === "CLIENTS_IMPORTED" && !$("#progreso").hidden) return; // ours: the answer says it all
      if (ev.type === "CLIENTS_IMPORTED") holder.notices.show("info", `Otra importación cargó ${ev.data.cargados} clientes.`, "", 5);
    },
  });
}

main();
