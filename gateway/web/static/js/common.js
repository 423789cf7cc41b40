// What both views share: the states and their chips, a small DOM builder, times and
// countdowns, how an outbox event changes a customer, notices and the connection badge.

export const ESTADOS = ["nuevo", "derivado", "en_gestion", "terminado", "no_gestionado"];
export const ACTIVOS = new Set(["derivado", "en_gestion"]);
// timeout_segundos out of the box; the views learn the real one from the rows.
export const DEFAULT_TIMEOUT_SECONDS = 300;

export const ESTADO_LABEL = {
  nuevo: "Nuevo",
  derivado: "Derivado",
  en_gestion: "En Gestión",
  terminado: "Terminado",
  no_gestionado: "Sin Gestionar",
};

/** An element: el("td", {class: "x", dataset: {id: 1}}, "text", child). Text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The coloured chip of a state. */
export function chip(estado) {
  return el("span", { class: `chip chip-${estado}`, dataset: { estado } }, ESTADO_LABEL[estado] || estado);
}

/** Milliseconds since the epoch of an API timestamp ("2025-01-02T03:04:05.123456Z"), or null. */
export function parseTime(value) {
  if (!value) return null;
  // Browsers parse at most millisecond precision reliably; the API sends microseconds.
  const trimmed = String(value).replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(trimmed) ? trimmed : `${trimmed}Z`);
  return Number.isFinite(ms) ? ms : null;
}

/** "4:05" for 245 s, "1:02:03" for longer; never negative. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

const timeFormat = new Intl.DateTimeFormat("es", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat("es", { dateStyle: "short", timeStyle: "short" });

export function clockTime(ms) {
  return ms === null ? "" : timeFormat.format(new Date(ms));
}

export function dateTime(ms) {
  return ms === null ? "" : dateTimeFormat.format(new Date(ms));
}

/** "hace 5 s", "hace 3 min", "hace 2 h", or a date. */
export function ago(ms, now) {
  if (ms === null) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `hace ${s} s`;
  if (s < 3600) return `hace ${Math.floor(s / 60)} min`;
  if (s < 86400) return `hace ${Math.floor(s / 3600)} h`;
  return dateTime(ms);
}

/**
 * The inactivity deadline of a customer in ms, or null when it is not active. Board rows
 * carry `vence_at` (last_activity + timeout_segundos, computed by the database); after an
 * event moved last_activity the view recomputes it with the timeout it has learned. A
 * gateway whose rows lack `vence_at` altogether falls back to last_activity + timeout.
 */
export function deadline(row, timeoutSeconds = DEFAULT_TIMEOUT_SECONDS) {
  if (!ACTIVOS.has(row.seguimiento_status)) return null;
  if (row.vence_at !== undefined && row.vence_at !== null) return parseTime(row.vence_at);
  const last = parseTime(row.last_activity);
  return last === null ? null : last + (timeoutSeconds || DEFAULT_TIMEOUT_SECONDS) * 1000;
}

/** The timeout in seconds a row reveals (vence_at - last_activity), or null. */
export function timeoutOf(row) {
  const venceAt = parseTime(row.vence_at);
  const last = parseTime(row.last_activity);
  if (venceAt === null || last === null) return null;
  return Math.round((venceAt - last) / 1000);
}

function isoFromMs(ms) {
  return new Date(ms).toISOString();
}

/**
 * The customer `row` after outbox event `ev` ({type, id, data}). Every event states the
 * values it set, so applying a run of events in id order over any older copy of a row
 * gives the row as of the last one. `timeoutSeconds` recomputes vence_at when the event
 * moved last_activity (null: unknown, vence_at is then left unknown too).
 */
export function applyEvent(row, ev, timeoutSeconds) {
  const d = ev.data || {};
  const at = d.timestamp || null;
  const next = { ...row, cliente_id: row.cliente_id ?? d.clienteId, updated_at: at || row.updated_at, version: ev.id };
  const activity = () => {
    next.last_activity = at;
    const ms = parseTime(at);
    // unknown timeout: drop vence_at, and deadline() falls back to the default
    next.vence_at = ms !== null && timeoutSeconds ? isoFromMs(ms + timeoutSeconds * 1000) : undefined;
  };
  switch (ev.type) {
    case "CLIENT_CREATED":
      Object.assign(next, {
        nombre: d.nombre, telefono: d.telefono ?? null, seguimiento_status: "nuevo", asesor_asignado: null,
        created_at: at, last_activity: null, vence_at: null, bloqueado: false, wizard_completado: false,
        campana_id: d.campanaId ?? 1, prioridad: d.prioridad ?? 0, // issue 13; 1 is 'general'
      });
      break;
    case "CLIENT_REASSIGNED":
      Object.assign(next, {
        seguimiento_status: "derivado", asesor_asignado: d.asesorId ?? null, derivado_at: at, opened_at: null,
        bloqueado: false,
      });
      activity();
      break;
    case "CLIENT_IN_GESTION":
      Object.assign(next, { seguimiento_status: "en_gestion", opened_at: at });
      activity();
      break;
    case "CLIENT_UPDATED":
      Object.assign(next, { nombre: d.nombre ?? row.nombre, telefono: d.telefono ?? null, datos: d.datos ?? row.datos });
      activity();
      break;
    case "CLIENT_COMPLETED":
      Object.assign(next, {
        seguimiento_status: "terminado", wizard_completado: true, fecha_wizard_completado: at,
        asesor_asignado: null, last_activity: null, vence_at: null, bloqueado: false,
      });
      break;
    case "CLIENT_RETURNED_TO_GTR":
      Object.assign(next, {
        seguimiento_status: "no_gestionado", asesor_asignado: null, last_activity: null, vence_at: null,
        bloqueado: false,
      });
      break;
    default:
      return row;
  }
  return next;
}

/** Whether `row` is a complete customer (an event about an unknown one gives only part). */
export function isComplete(row) {
  return typeof row.nombre === "string" && typeof row.seguimiento_status === "string";
}

/** Short notices in a live region, each closed by its button or after `seconds`. */
export class Notices {
  constructor(region) {
    this.region = region;
  }

  show(kind, title, detail = "", seconds = 8) {
    const close = el("button", { type: "button", class: "notice-close", "aria-label": "Cerrar aviso" }, "×");
    const notice = el("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
      el("div", { class: "notice-body" }, el("p", { class: "notice-title" }, title),
        detail ? el("p", { class: "notice-detail" }, detail) : null),
      close);
    close.addEventListener("click", () => notice.remove());
    this.region.prepend(notice);
    while (this.region.children.length > 5) this.region.lastElementChild.remove();
    if (seconds) setTimeout(() => notice.remove(), seconds * 1000);
    return notice;
  }
}

const CONNECTION_TEXT = {
  connecting: "Conectando…",
  live: "En vivo",
  reconnecting: "Reconectando…",
  offline: "Sin conexión",
};

/** The connection badge: connecting, live, reconnecting or offline (with a reason). */
export function showConnection(node, state, detail = "") {
  node.dataset.state = state;
  const label = node.querySelector(".label");
  label.textContent = CONNECTION_TEXT[state] || state;
  node.title = detail || label.textContent;
  const extra = node.querySelector(".detail");
  if (extra) extra.textContent = detail;
}
