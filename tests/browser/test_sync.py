"""The dashboard's sync logic (gateway/web/static/js/live.js) in the browser, with a stand-in
WebSocket and API, for the orderings a live test cannot force: duplicates and stale ids
from the socket, a snapshot older than what was already applied (replayed from the
buffer, for GTR's consecutive ids and an asesor's gapped ones), a buffer that no longer
covers it (resubscribe), RESYNC_REQUIRED, and a dropped socket resuming from its id."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import OpenView

# Runs in the page. Returns what each scenario saw.
SCENARIOS = """
async () => {
  const { LiveSync } = await import("/static/js/live.js");
  const sockets = [];
  class FakeSocket {
    static OPEN = 1;
    constructor(url) {
      this.url = new URL(url);
      this.readyState = 0;
      sockets.push(this);
      setTimeout(() => { this.readyState = 1; this.onopen && this.onopen(); }, 0);
    }
    send() {}
    close() { this.readyState = 3; }
    deliver(type, id, data = {}) { this.onmessage({ data: JSON.stringify({ type, id, data }) }); }
    drop(code) { this.readyState = 3; this.onclose({ code }); }
  }
  window.WebSocket = FakeSocket;
  const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));
  const until = async (check, what) => {
    for (let i = 0; i < 300; i += 1) { if (check()) return; await tick(); }
    throw new Error(`timed out waiting for ${what}`);
  };

  function harness(snapshots) {
    const seen = { applied: [], replayed: [], installs: [], probes: 0 };
    const sync = new LiveSync({
      api: { token: "seg_test", get: async () => { seen.probes += 1; return {}; } },
      fetchSnapshot: async () => ({ since: snapshots.shift() }),
      install: (snapshot) => seen.installs.push(snapshot.since),
      apply: (ev, { replay }) => (replay ? seen.replayed : seen.applied).push(ev.id),
      refreshSeconds: 3600,
    });
    return { sync, seen };
  }
  const since = (socket) => Number(socket.url.searchParams.get("since"));
  const results = {};

  // GTR: consecutive ids; duplicates and old ids are ignored; an older snapshot is replayed.
  {
    const { sync, seen } = harness([10, 11]);
    await sync.start();
    const ws = sockets.at(-1);
    await until(() => ws.readyState === 1, "open");
    ws.deliver("CLIENT_CREATED", 11); ws.deliver("CLIENT_CREATED", 12);
    ws.deliver("CLIENT_CREATED", 12); ws.deliver("CLIENT_CREATED", 9);
    const before = sockets.length;
    await sync.reload();
    ws.deliver("CLIENT_UPDATED", 13);
    results.gtr = { since: since(ws), applied: seen.applied, replayed: seen.replayed,
                    installs: seen.installs, newSockets: sockets.length - before };
    sync.stop();
  }

  // Asesor: the socket skips other asesors' events, so its ids have gaps.
  {
    const { sync, seen } = harness([14, 16]);
    await sync.start();
    const ws = sockets.at(-1);
    await until(() => ws.readyState === 1, "open");
    ws.deliver("CLIENT_REASSIGNED", 15); ws.deliver("CLIENT_IN_GESTION", 18);
    const before = sockets.length;
    await sync.reload();
    results.asesor = { applied: seen.applied, replayed: seen.replayed, newSockets: sockets.length - before };
    sync.stop();
  }

  // A snapshot older than the start of the buffer: subscribe again from its id.
  {
    const { sync, seen } = harness([18, 20, 17]);
    await sync.start();
    const ws = sockets.at(-1);
    await until(() => ws.readyState === 1, "open");
    ws.deliver("CLIENT_CREATED", 19);
    await sync.reload(); // 20 >= 19: the buffer starts after 19
    ws.deliver("CLIENT_CREATED", 20); ws.deliver("CLIENT_CREATED", 21);
    await sync.reload(); // 17: the buffer does not reach back that far
    const again = sockets.at(-1);
    results.uncovered = { resubscribedSince: again === ws ? null : since(again), applied: seen.applied,
                          replayed: seen.replayed };
    sync.stop();
  }

  // RESYNC_REQUIRED: the board is reloaded and the new socket starts from the new snapshot.
  {
    const { sync, seen } = harness([30, 45]);
    await sync.start();
    const ws = sockets.at(-1);
    await until(() => ws.readyState === 1, "open");
    ws.deliver("RESYNC_REQUIRED", null, { since: 30 });
    ws.drop(4000);
    await until(() => sockets.at(-1) !== ws, "a new socket");
    results.resync = { installs: seen.installs, since: since(sockets.at(-1)) };
    sync.stop();
  }

  // A dropped socket: probe the API, then resume from the last applied id.
  {
    const states = [];
    const { sync, seen } = harness([50]);
    sync.onConnection = (state) => states.push(state);
    await sync.start();
    const ws = sockets.at(-1);
    await until(() => ws.readyState === 1, "open");
    ws.deliver("CLIENT_CREATED", 51);
    ws.drop(1001);
    await until(() => sockets.at(-1) !== ws, "a new socket");
    const next = sockets.at(-1);
    await until(() => next.readyState === 1, "open");
    next.deliver("CLIENT_CREATED", 51); next.deliver("CLIENT_CREATED", 52);
    results.resume = { since: since(next), applied: seen.applied, probes: seen.probes, states,
                       installs: seen.installs };
    sync.stop();
  }
  return results;
}
"""


def test_sync_ignores_duplicates_replays_older_snapshots_and_resumes(open_view: OpenView) -> None:
    page = open_view("/", wait_live=False).page
    results: dict[str, Any] = page.evaluate(SCENARIOS)

    gtr = results["gtr"]
    assert gtr["since"] == 10
    assert gtr["applied"] == [11, 12, 13]  # the second 12 and the 9 were ignored
    assert gtr["installs"] == [10, 11]
    assert gtr["replayed"] == [12]  # the snapshot at 11 lacked 12: replayed over it
    assert gtr["newSockets"] == 0

    asesor = results["asesor"]
    assert asesor["applied"] == [15, 18] and asesor["replayed"] == [18] and asesor["newSockets"] == 0

    uncovered = results["uncovered"]
    assert uncovered["resubscribedSince"] == 17
    assert uncovered["applied"] == [19, 20, 21] and uncovered["replayed"] == []

    assert results["resync"] == {"installs": [30, 45], "since": 45}

    resume = results["resume"]
    assert resume["since"] == 51 and resume["applied"] == [51, 52]
    assert resume["probes"] == 1 and resume["installs"] == [50]
    assert resume["states"] == ["connecting", "live", "reconnecting", "live"]
