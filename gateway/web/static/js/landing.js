// The landing page: open a view with a pasted token, kept in this tab's sessionStorage
// (never put in the address, so it stays out of the history).

import { storeToken } from "./api.js";

const form = document.querySelector("#abrir");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = form.token.value.trim();
  const error = form.querySelector(".form-error");
  if (!token) {
    error.textContent = "Pega un token para continuar.";
    form.token.focus();
    return;
  }
  const view = event.submitter && event.submitter.value === "asesor" ? "asesor" : "gtr";
  storeToken(view, token);
  window.location.assign(`/${view}`);
});
