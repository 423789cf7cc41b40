// The wizard's form: filled from a customer's row, read back as what changed (the PUT's
// body), and whether the asesor typed something not saved yet (asesor-cierre.js asks then).

import { chip, el } from "./common.js";

// Fields of datos the wizard always offers; other text fields of datos are shown too.
const RESULTADOS = ["", "Interesado", "No interesado", "Volver a llamar", "Venta cerrada", "Número equivocado"];
const WIZARD_DATOS = ["resultado", "producto", "notas"];

const $ = (selector) => document.querySelector(selector);

let baseline = ""; // formValues() as the database holds them, as JSON

/** The form shows `row` as the database holds it: nothing unsaved. */
export function fillForm(row) {
  $("#wizard-titulo").textContent = `Gestión de ${row.nombre}`;
  $("#wizard-estado").replaceChildren(chip(row.seguimiento_status));
  $("#wizard-id").textContent = `Cliente n.º ${row.cliente_id}`;
  $("#campo-nombre").value = row.nombre;
  $("#campo-telefono").value = row.telefono || "";
  const datos = row.datos || {};
  const resultado = $("#campo-resultado");
  resultado.replaceChildren(...RESULTADOS.map((r) => el("option", { value: r }, r || "Sin resultado todavía")));
  if (datos.resultado && !RESULTADOS.includes(datos.resultado)) resultado.append(el("option", { value: datos.resultado }, datos.resultado));
  resultado.value = typeof datos.resultado === "string" ? datos.resultado : "";
  $("#campo-producto").value = typeof datos.producto === "string" ? datos.producto : "";
  $("#campo-notas").value = typeof datos.notas === "string" ? datos.notas : "";
  const extras = $("#wizard-extras");
  extras.replaceChildren();
  for (const [key, value] of Object.entries(datos)) {
    if (WIZARD_DATOS.includes(key)) continue;
    const inputId = `extra-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const editable = typeof value === "string" || typeof value === "number" || value === null;
    extras.append(el("div", { class: "field" },
      el("label", { for: inputId }, key),
      el("input", { id: inputId, type: "text", dataset: { datos: key, original: value ?? "" }, value: editable ? String(value ?? "") : JSON.stringify(value),
        readonly: !editable, maxlength: "500" })));
  }
  $("#wizard-extras-box").hidden = extras.children.length === 0;
  rememberForm();
}

/** The wizard's fields as the PUT body reads them: trimmed text, datos by key. */
export function formValues() {
  const datos = {
    resultado: $("#campo-resultado").value,
    producto: $("#campo-producto").value.trim(),
    notas: $("#campo-notas").value.trim(),
  };
  for (const input of document.querySelectorAll("#wizard-extras input:not([readonly])")) {
    datos[input.dataset.datos] = input.value.trim();
  }
  return { nombre: $("#campo-nombre").value.trim(), telefono: $("#campo-telefono").value.trim(), datos };
}

/** The form as the database holds it now (just filled, or just saved): nothing unsaved. */
export function rememberForm(values = formValues()) {
  baseline = JSON.stringify(values);
}

/** Whether the asesor typed something the database does not have yet. */
export function formChanged() {
  return JSON.stringify(formValues()) !== baseline;
}

/** What the form (`values`, from formValues()) changed from `row`, added to `body` (the PUT's
 * lock fields); null when nothing changed. */
export function changes(row, body, { nombre, telefono, datos: fields }) {
  let changed = false;
  if (nombre !== row.nombre) {
    body.nombre = nombre;
    changed = true;
  }
  if (telefono !== (row.telefono || "")) {
    body.telefono = telefono || null;
    changed = true;
  }
  const datos = {};
  const old = row.datos || {};
  for (const [key, value] of Object.entries(fields)) {
    const before = old[key] === undefined || old[key] === null ? "" : String(old[key]);
    if (value !== before) datos[key] = value === "" ? null : value;
  }
  if (Object.keys(datos).length) {
    body.datos = datos;
    changed = true;
  }
  return changed ? body : null;
}
