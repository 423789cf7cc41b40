// Keeping a view live: the board snapshot, then the WebSocket from the snapshot's outbox id.
//
// The view gives three functions:
//   fetchSnapshot() -> {since, ...}   loads the board; `since` is the outbox id it reflects
//                                     (the smallest one when it took several requests);
//   install(snapshot)                 replaces the view's customers with the snapshot's;
//   apply(event, {replay})            applies one event (the view skips it for a customer
//                                     whose copy is already as new as the event); replay
//                                     is true when it re-applies a buffered event over a
//                                     reloaded snapshot.
//
// No loss, no duplicates: `lastApplied` is the id of the last event handed to the view;
// the socket is opened with ?since=lastApplied and any id <= lastApplied is ignored. When
// the socket drops, it reopens by itself with a growing pause (0.25 s doubling to 10 s,
// jittered) and resumes from lastApplied. RESYNC_REQUIRED (the events it needs were
// purged) reloads the snapshot and subscribes from the new one. Heartbeats write no event,
// so the snapshot is also reloaded every `refreshSeconds` to keep countdowns true; events
// applied after that snapshot's id are replayed over it from a short buffer.

import { ApiError, describeError, forgetToken, numberParam } from "./api.js";
import { showConnection } from "./common.js";

const BUFFER_MAX = 5000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10000;
const STABLE_MS = 5000; // a socket open this long resets the backoff
const CLOSE_RESYNC = 4000;

export class LiveSync {
  constructor({ api, fetchSnapshot, install, apply, onConnection, onFatal, refreshSeconds = 30 }) {
    this.api = api;
    this.fetchSnapshot = fetchSnapshot;
    this.install = install;
    this.apply = apply;
    this.onConnection = onConnection || (() => {});
    this.onFatal = onFatal || (() => {});
    this.refreshMs = refreshSeconds * 1000;
    this.lastApplied = null;
    this.buffer = []; // events applied since the last snapshot, in id order
    this.bufferFrom = null; // the buffer holds every event the socket gave after this id
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.resyncNeeded = false;
    this.reloading = null;
    this.reloadAgain = false;
    this.retryTimer = null;
    this.refreshTimer = null;
  }

  /**
   * Load the board and go live. A gateway or database that is down is waited for (with
   * the same growing pause); a refusal (bad token, 4xx) is thrown to the caller.
   */
  async start() {
    this.onConnection("connecting");
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.reload();
        break;
      } catch (error) {
        const transient = error instanceof ApiError && (error.status === 0 || error.status >= 500);
        if (!transient) throw error;
        const pause = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
        this.onConnection("reconnecting", `nuevo intento en ${Math.max(1, Math.round(pause / 1000))} s`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    this.#connect();
    this.refreshTimer = setInterval(() => {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.reload().catch(() => {});
    }, this.refreshMs);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.ws) this.reload().catch(() => {});
    });
  }

  stop() {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, "page closed");
  }

  /** Reload the snapshot now (one at a time; a request during a load runs once after it). */
  reload() {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          this.#install(await this.fetchSnapshot());
        } while (this.reloadAgain);
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  #install(snapshot) {
    const since = snapshot.since;
    if (this.lastApplied === null || since >= this.lastApplied) {
      // Events up to `since` that are still on their way are skipped by the view (its rows
      // are already that new); the ones after it are applied when they come.
      this.install(snapshot);
      if (this.lastApplied === null) this.lastApplied = since;
      this.#clearBuffer();
      return;
    }
    // The snapshot is older than what the view has applied: replay what it misses, if the
    // buffer holds every event the socket gave since then (an asesor's socket skips the
    // events of other asesors, so ids need not be consecutive); else subscribe again.
    this.install(snapshot);
    if (this.bufferFrom <= since) {
      for (const ev of this.buffer) if (ev.id > since) this.apply(ev, { replay: true });
    } else {
      this.lastApplied = since;
      this.#clearBuffer();
      this.#restartSocket();
    }
  }

  // The buffer then holds every event the socket delivers after lastApplied.
  #clearBuffer() {
    this.buffer = [];
    this.bufferFrom = this.lastApplied;
  }

  #restartSocket() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, "resubscribing");
    }
    this.#connect();
  }

  #connect() {
    if (this.stopped) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ since: String(this.lastApplied), token: this.api.token });
    const ws = new WebSocket(`${scheme}//${window.location.host}/ws?${query}`);
    this.ws = ws;
    let openedAt = null;
    ws.onopen = () => {
      openedAt = Date.now();
      this.onConnection("live");
    };
    ws.onmessage = (message) => {
      if (this.ws !== ws) return;
      this.attempt = 0; // it works: the next drop starts again with a short pause
      let msg;
      try {
        msg = JSON.parse(message.data);
      } catch (_error) {
        return;
      }
      this.#receive(msg);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (event.code === CLOSE_RESYNC) this.resyncNeeded = true;
      if (openedAt !== null && Date.now() - openedAt >= STABLE_MS) this.attempt = 0;
      this.#retryLater();
    };
  }

  #receive(msg) {
    if (msg.type === "RESYNC_REQUIRED") {
      // the server closes the socket right after; reload before subscribing again
      this.resyncNeeded = true;
      return;
    }
    if (typeof msg.id !== "number" || msg.id <= this.lastApplied) return; // already applied
    this.lastApplied = msg.id;
    this.buffer.push(msg);
    if (this.buffer.length > BUFFER_MAX) {
      const dropped = this.buffer.splice(0, this.buffer.length - BUFFER_MAX);
      this.bufferFrom = dropped[dropped.length - 1].id;
    }
    this.apply(msg, { replay: false });
  }

  #retryLater() {
    const pause = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt += 1;
    const jittered = pause * (0.8 + Math.random() * 0.4);
    this.onConnection("reconnecting", `nuevo intento en ${Math.max(1, Math.round(jittered / 1000))} s`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#reconnect(), jittered);
  }

  async #reconnect() {
    if (this.stopped) return;
    try {
      if (this.resyncNeeded) {
        // the events after our id are gone: start again from a fresh board
        this.lastApplied = null;
        this.#clearBuffer();
        await this.reload();
        this.resyncNeeded = false;
      } else {
        // a cheap authenticated call first: a revoked token or a gateway that is still
        // down is told apart here, where a failed WebSocket handshake says nothing
        await this.api.get("/api/clientes?limit=1");
      }
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        this.stopped = true;
        clearInterval(this.refreshTimer);
        this.onConnection("offline", "token no válido");
        this.onFatal(error);
        return;
      }
      this.#retryLater();
      return;
    }
    this.#connect();
  }
}

/**
 * Starts a view: its LiveSync, its connection badge, and the page blocked with an
 * explanation when the view cannot load or its token is refused. Returns the LiveSync, or
 * null when the first load failed. `view` ("gtr" or "asesor") names the stored token;
 * `content` is the part of the page the block hides; `onBlock` runs when it blocks.
 */
export async function startView({ api, view, fetchSnapshot, install, apply, content, loadFailure, onBlock = () => {} }) {
  const badge = document.querySelector("#conexion");
  const block = (title, detail, error) => {
    blockPage({ view, content, title, detail, error });
    onBlock();
  };
  const sync = new LiveSync({
    api,
    fetchSnapshot,
    install,
    apply,
    refreshSeconds: numberParam("refresh", 30),
    onConnection: (s, detail) => showConnection(badge, s, detail),
    onFatal: (error) => {
      const { title, detail } = describeError(error);
      block(title, detail, error);
    },
  });
  try {
    await sync.start();
  } catch (error) {
    const { title, detail } = describeError(error);
    showConnection(badge, "offline", title);
    block(`${loadFailure} ${title}`, detail, error);
    return null;
  }
  document.body.dataset.ready = "true";
  return sync;
}

/** Hides the view's content behind a message; a refused token is forgotten for the tab. */
export function blockPage({ view, content, title, detail = "", error = null }) {
  // A refused token is of no further use in this tab: the landing page asks for another.
  if (error instanceof ApiError && error.status === 401) forgetToken(view);
  const box = document.querySelector("#bloqueo");
  box.querySelector(".blocked-title").textContent = title;
  box.querySelector(".blocked-detail").textContent = detail || "";
  box.hidden = false;
  document.querySelector(content).hidden = true;
}
