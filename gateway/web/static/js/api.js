// The dashboard's side of the REST API: the caller's token, fetch with
// "Authorization: Bearer", the one error shape {"error": {"code", "message"}}, and the
// server's clock (countdowns compare server timestamps with "now").

const TOKEN_KEY = (view) => `seguimiento.token.${view}`;

/**
 * The bearer token of this tab for `view` ("gtr" or "asesor"). A `?token=` in the address
 * wins; it is kept in sessionStorage (this tab only) and removed from the address bar, so
 * it does not stay in the history, in bookmarks or on screen.
 */
export function takeToken(view) {
  const url = new URL(window.location.href);
  // A login link GTR hands an asesor carries the token in the fragment (#token=…): browsers
  // never send a fragment to the server, so it stays out of access logs and proxies.
  const fragment = new URLSearchParams(url.hash.slice(1));
  const fromUrl = url.searchParams.get("token") || fragment.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY(view), fromUrl.trim());
    url.searchParams.delete("token");
    fragment.delete("token");
    const hash = fragment.toString();
    window.history.replaceState(window.history.state, "", url.pathname + url.search + (hash ? `#${hash}` : ""));
  }
  return sessionStorage.getItem(TOKEN_KEY(view));
}

export function storeToken(view, token) {
  sessionStorage.setItem(TOKEN_KEY(view), token.trim());
}

export function forgetToken(view) {
  sessionStorage.removeItem(TOKEN_KEY(view));
}

/** A number from the address (`?name=`), or `fallback` when absent or not a positive number. */
export function numberParam(name, fallback) {
  const raw = new URL(window.location.href).searchParams.get(name);
  const value = raw === null ? NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** What the API said no with: HTTP status, the error body's code and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

// Spanish wording for each error code the gateway answers with (gateway/db/errors.py and
// gateway/web/http_errors.py). The server's own message is shown beside it as the detail.
const MESSAGES = {
  unauthorized: "El token no es válido o fue revocado.",
  forbidden: "Este token no permite esa acción.",
  cliente_not_found: "El cliente no existe.",
  asesor_not_found: "El asesor no existe o no está activo.",
  invalid_transition: "El estado actual del cliente no permite esa acción.",
  not_assigned: "El cliente ya no está asignado a este asesor.",
  lock_held: "Otro asesor tiene tomado este cliente.",
  lock_invalid: "La sesión sobre este cliente ya no es válida: vuelve a tomarlo.",
  invalid_input: "Algún dato no es válido.",
  validation_error: "Algún dato no es válido.",
  malformed_json: "La petición no es JSON válido.",
  payload_too_large: "Los datos enviados son demasiado grandes.",
  inactivity_expired: "El cliente estuvo inactivo demasiado tiempo y vuelve a GTR.",
  database_unavailable: "La base de datos no responde; inténtalo de nuevo en unos segundos.",
  database_busy: "El servidor está ocupado; inténtalo de nuevo.",
  network: "No hay conexión con el servidor.",
  campana_not_found: "La campaña no existe.",
  campana_exists: "Ya hay una campaña con ese nombre.",
  pause_reason_invalid: "Elige un motivo de pausa de la lista (solo con «En pausa»).",
  asesor_not_available: "Tu estado no es «Disponible»: cámbialo para pedir clientes.",
  capacity_full: "Ya tienes tantos clientes como permite tu capacidad.",
};

/** {title, detail} for showing `error` (an ApiError or anything else) to a person. */
export function describeError(error) {
  if (error instanceof ApiError) {
    const title = MESSAGES[error.code] || `El servidor respondió con un error (${error.status}).`;
    const detail = error.code === "network" ? "" : `${error.message} · código ${error.code}`;
    return { title, detail };
  }
  return { title: "Error inesperado en el navegador.", detail: String(error && error.message ? error.message : error) };
}

/** The API with one token. Every call returns the parsed JSON body or throws ApiError. */
export class Api {
  constructor(token) {
    this.token = token;
    this.clockOffsetMs = 0; // server time minus this browser's time
  }

  /** The server's "now" in milliseconds since the epoch. */
  now() {
    return Date.now() + this.clockOffsetMs;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body = {}) {
    return this.request("POST", path, body);
  }

  put(path, body) {
    return this.request("PUT", path, body);
  }

  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const sentAt = Date.now();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (_error) {
      throw new ApiError(0, "network", "el servidor no respondió");
    }
    this.#learnClock(response, sentAt, Date.now());
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_error) {
        data = null;
      }
    }
    if (!response.ok) {
      const error = data && typeof data === "object" && data.error ? data.error : {};
      throw new ApiError(response.status, error.code || `http_${response.status}`,
        error.message || response.statusText || "error");
    }
    return data;
  }

  // The Date header has whole seconds: correct only a clock that is clearly off, so a
  // well-synchronised machine's countdowns do not jitter by up to a second.
  #learnClock(response, sentAt, receivedAt) {
    const header = response.headers.get("Date");
    const server = header ? Date.parse(header) : NaN;
    if (!Number.isFinite(server)) return;
    const offset = server + 500 - (sentAt + receivedAt) / 2;
    this.clockOffsetMs = Math.abs(offset) > 1500 ? offset : 0;
  }
}
