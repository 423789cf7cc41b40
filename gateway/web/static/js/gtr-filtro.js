// The GTR board's campaign filter and campaign timeouts (issue 13), used by gtr.js.
//
// Filter: the board asks the server for the chosen campaign's customers
// (GET /api/clientes?campanaId=), so a campaign's customers are all there however many
// other customers the floor holds; changing the filter reloads the board. While filtered,
// the board keeps only that campaign's customers: a live event about a customer of another
// campaign adds no row.
//
// Timeouts: a row's countdown is its campaign's inactivity timeout (GET /api/campanas,
// timeout_segundos; null: the global one). Rows arrive with vence_at computed by the
// database; after a live event moves last_activity the board recomputes vence_at, and must
// use the customer's campaign's timeout, not the global one, or the clock is wrong.

import { timeoutOf } from "./common.js";

const SELECT = "#filtro-campana";

const campaigns = new Map(); // campana_id -> timeout_segundos (null: the global one)

/** The campaign chosen in the filter, or null for every campaign. */
export function chosenCampaign() {
  const select = document.querySelector(SELECT);
  return (select && Number(select.value)) || null; // "": every campaign
}

/** The query string suffix that asks the server for one campaign's board, or "". */
export function campaignQuery(campana) {
  return campana ? `&campanaId=${campana}` : "";
}

/** Calls `reload` whenever the filter changes. */
export function onCampaignChange(reload) {
  document.querySelector(SELECT).addEventListener("change", reload);
}

/** Remembers every campaign's own timeout (the list of GET /api/campanas). */
export function setCampaigns(list) {
  campaigns.clear();
  for (const c of list) campaigns.set(c.campana_id, c.timeout_segundos ?? null);
}

/**
 * The inactivity timeout in seconds that applies to `row`: its campaign's, else `global`.
 * A customer without campana_id (an older gateway) is in 'general', id 1.
 */
export function timeoutFor(row, global) {
  const own = campaigns.get(row.campana_id ?? 1);
  return own || global;
}

// Customers seen to be of another campaign than the one shown: a customer never changes
// campaign, so their later events are skipped without asking the gateway for the row again.
const others = new Set();
let shown = null;

/**
 * Whether a customer of campaign `campanaId` belongs on a board filtered by `campana`; one
 * that does not is remembered by its id (`clienteId`), see isOther.
 */
export function belongs(campana, campanaId, clienteId = null) {
  const yes = !campana || (campanaId ?? 1) === campana;
  if (!yes && clienteId !== null) others.add(clienteId);
  return yes;
}

/** A customer already seen to be of another campaign than the one shown. */
export function isOther(clienteId) {
  return others.has(clienteId);
}

/** Says which campaign the board on screen shows, for people (the select) and tests. */
export function markShown(campana) {
  if (campana !== shown) others.clear();
  shown = campana;
  document.body.dataset.campana = campana ? String(campana) : "";
}

/**
 * The global timeout the rows reveal (vence_at - last_activity of a customer whose campaign
 * has no timeout of its own), or null: for a gateway that sends no timeoutSegundos. A row of
 * a campaign with its own timeout says nothing about the global one.
 */
export function revealedTimeout(rows) {
  for (const row of rows) {
    const t = timeoutFor(row, null) === null ? timeoutOf(row) : null;
    if (t) return t;
  }
  return null;
}
