// Closing the asesor's wizard without throwing away what the asesor typed. When the asesor
// closes the wizard (its button or Escape) and formChanged() (asesor-formulario.js), asesor.js
// calls askBeforeClosing(), an in-page modal dialog: "Guardar y cerrar", "Descartar cambios",
// "Seguir editando" (Escape too). With nothing unsaved, closing stays immediate. When the
// customer is taken away with unsaved text, keepUnsaved() leaves the text on screen.
//
// Why ask rather than save on every close: "Cerrar sin completar" is also how an asesor
// drops a wrong edit, and a save rewrites the customer GTR sees; saving unasked would be
// as silent as discarding was. Why not window.confirm: it blocks the page (the socket's
// events, the heartbeat's timer) and cannot be styled or labelled like the rest. A save
// that fails leaves the dialog open with the reason, and the text in the form.

const $ = (selector) => document.querySelector(selector);

let pending = null; // {returnTo, handlers} while the dialog is open
let saving = false;

/** The wizard shows a fresh customer: its save and complete buttons and its clock are back. */
export function resetWizardControls() {
  for (const part of [$("#wizard-form button[type=submit]"), $("#wizard-completar"), $(".wizard-clock")]) part.hidden = false;
}

/**
 * The customer is no longer the asesor's (taken away, timed out, the lock lost) while the
 * form holds unsaved text: the text stays on screen to be copied, saving is no longer
 * offered, and `why` says what happened.
 */
export function keepUnsaved(why) {
  const hiding = [$("#wizard-form button[type=submit]"), $("#wizard-completar")];
  // Focus on a button that goes (or already fell to <body> as it was disabled) stays in the form.
  const lostFocus = hiding.includes(document.activeElement) || document.activeElement === document.body;
  for (const button of hiding) button.hidden = true;
  if (lostFocus) $("#campo-nombre").focus();
  $(".wizard-clock").hidden = true; // no countdown, no heartbeat: there is no session left
  $("#wizard-error").textContent = `${why} Lo que escribiste no se guardó y ya no se puede guardar aquí: `
    + "cópialo si lo necesitas antes de cerrar.";
}

/**
 * Ask what to do with the unsaved changes of `nombre`'s wizard. handlers: canSave() (false
 * once the customer is gone), save() -> Promise<boolean> (true: saved, the wizard still
 * open), close() (closes the wizard and releases the customer).
 */
export function askBeforeClosing(nombre, handlers) {
  const dialog = $("#cierre");
  if (pending || dialog.open) return;
  pending = { returnTo: document.activeElement, handlers };
  const canSave = handlers.canSave();
  $("#cierre-titulo").textContent = canSave ? "¿Guardar los cambios antes de cerrar?" : "Estos cambios ya no se pueden guardar";
  $("#cierre-detalle").textContent = canSave
    ? `Hay datos de ${nombre} que escribiste y aún no se guardaron.`
    : `${nombre} ya no está en tu lista. Si descartas, lo que escribiste se pierde.`;
  $("#cierre-error").textContent = "";
  $("#cierre-guardar").hidden = !canSave;
  setSaving(false);
  dialog.showModal();
  // Enter keeps the text either way: saved (and closed), or still in the form.
  (canSave ? $("#cierre-guardar") : $("#cierre-seguir")).focus();
}

/** Close the dialog if it is open (the wizard closed under it), moving no focus. */
export function dismissAsking() {
  pending = null;
  if ($("#cierre").open) $("#cierre").close();
}

function finish(after) {
  const { returnTo } = pending;
  pending = null;
  if ($("#cierre").open) $("#cierre").close();
  if (returnTo && returnTo.isConnected) returnTo.focus();
  if (after) after();
}

function setSaving(busy) {
  saving = busy;
  for (const button of document.querySelectorAll("#cierre button")) button.disabled = busy;
}

async function saveAndClose() {
  const asked = pending;
  if (!asked || saving) return;
  setSaving(true);
  let saved = false;
  try {
    saved = await asked.handlers.save();
  } finally {
    setSaving(false);
  }
  if (pending !== asked) return; // the asesor went back to the form (Escape) meanwhile
  if (saved) {
    finish(asked.handlers.close);
    return;
  }
  // Said here, where the asesor acted; the form keeps the text and the same message.
  const reason = $("#wizard-error").textContent || "No se guardaron los cambios.";
  $("#cierre-error").textContent = `${reason} Tus datos siguen en el formulario.`;
  $("#cierre-guardar").hidden = !asked.handlers.canSave();
  $("#cierre-seguir").focus();
}

function setup() {
  const dialog = $("#cierre");
  if (!dialog) return;
  $("#cierre-guardar").addEventListener("click", saveAndClose);
  $("#cierre-descartar").addEventListener("click", () => {
    if (pending && !saving) finish(pending.handlers.close);
  });
  $("#cierre-seguir").addEventListener("click", () => {
    if (pending) finish(null);
  });
  // Escape cancels the dialog itself, as "Seguir editando": the browser closes it.
  // (A close event that comes after the dialog was shown again belongs to the earlier one.)
  dialog.addEventListener("close", () => {
    if (pending && !dialog.open) finish(null);
  });
}

setup();
