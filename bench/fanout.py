"""Benchmark 4: WebSocket fan-out, the gateway against a minimal Node.js ``ws`` server.

Both servers get the same bursts of the same ~200-byte JSON messages and send every
message to every connected socket; the receivers are the same lean asyncio clients
(bench/wsclient.py) offering permessage-deflate, as browsers do. Rounds alternate between
the servers (gateway, Node, Node, gateway, ...), each round on freshly connected sockets.

* **Gateway**: the real app (bench/gateway_app.py: ``gateway.web.app.init_app`` plus a
  bench-only ``POST /bench/wake``). A burst is one transaction writing B events into the
  outbox (ids reserved from outbox_secuencia, as the procedures do), then a wake call: the
  tailer reads them at once and the hub fans them out. Clock starts before the COMMIT.
* **Node**: bench/node/server.js, ``ws`` with its defaults; a burst is one ``POST
  /publish`` of the B messages, each then ``ws.send`` to every socket. Clock starts
  before the POST.

Per burst: deliveries/s = sockets x B / (last message received - clock start); latency of
each delivery = its arrival - clock start. The next burst starts when every socket has the
previous one. One socket per round is checked for every id, in order.

Frozen client: one more socket that stops reading right after its upgrade, while the
others take larger bursts (enough to fill the kernel's buffers many times over). Its
effect on the others' deliveries/s and p99, whether the server cut it, and the server's
memory afterwards.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    ROOT,
    Report,
    connect,
    execute,
    log,
    median,
    percentile,
    pyplot,
    ratio,
    run_metadata,
    save_plot,
    throwaway_database,
)
from bench.gatewayproc import cli_token, process_rss_mib, running_gateway
from bench.wsclient import WsClient, connect_many, raise_fd_limit
from bench.wsclient import connect as ws_connect

NAME = "fanout"
NODE_DIR = ROOT / "bench" / "node"

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"sockets": [20], "burst": 20, "bursts": 2, "rounds": 1,
              "frozen": {"sockets": 10, "burst": 200, "bursts": 3, "settle": 0.5}},
    "short": {"sockets": [100, 1000], "burst": 50, "bursts": 4, "rounds": 2,
              "frozen": {"sockets": 20, "burst": 1000, "bursts": 10, "settle": 3.0}},
    "full": {"sockets": [100, 1000], "burst": 100, "bursts": 10, "rounds": 5,
             "frozen": {"sockets": 50, "burst": 1000, "bursts": 60, "settle": 3.0}},
}


def payload(i: int) -> dict[str, Any]:
    """A CLIENT_UPDATED-like payload; the whole message is ~200 bytes."""
    return {"clienteId": 100000 + i, "asesorId": 7, "nombre": f"Cliente {i:06d}", "telefono": "+51999888777",
            "datos": {"plan": "fibra 300", "ciudad": "Lima"}, "timestamp": "2026-05-04T15:03:00.000001Z"}


def message(event_id: int, i: int) -> str:
    return json.dumps({"type": "CLIENT_UPDATED", "id": event_id, "data": payload(i)}, ensure_ascii=False,
                      separators=(",", ":"))


# --- the two servers ----------------------------------------------------------------------

def ensure_node_modules() -> None:
    """``npm ci`` in bench/node when its modules are missing (a fresh clone)."""
    if (NODE_DIR / "node_modules" / "ws").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: apt-get install nodejs npm")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True)


class NodeServer:
    def __init__(self) -> None:
        ensure_node_modules()
        node = shutil.which("node") or "node"
        self.process = subprocess.Popen([node, "server.js"], cwd=NODE_DIR, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"node server did not start: {line}")
        self.base = line.split("listening on ", 1)[1].strip()
        self.ws_url = self.base.replace("http://", "ws://") + "/ws"

    def rss_mib(self) -> float:
        return process_rss_mib(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Target:
    """One server as the benchmark drives it."""

    name: str
    ws_url: str

    async def publish(self, session: aiohttp.ClientSession, messages: list[tuple[int, int]]) -> float:
        raise NotImplementedError

    def rss_mib(self) -> float:
        raise NotImplementedError


class GatewayTarget(Target):
    name = "gateway"

    def __init__(self, gw: Any, db_conn: Any, token: str) -> None:
        self.gw = gw
        self.conn = db_conn
        self.ws_url = f"{gw.ws_base}/ws?token={token}"
        self.next_id = 0

    async def publish(self, session: aiohttp.ClientSession, messages: list[tuple[int, int]]) -> float:
        """Write the burst to the outbox in one transaction, then wake the tailer. Returns
        the clock reading taken just before the COMMIT."""
        n = len(messages)
        cur = self.conn.cursor()
        self.conn.start_transaction()
        cur.execute("UPDATE outbox_secuencia SET ultimo_id = LAST_INSERT_ID(ultimo_id + %s) WHERE id = 1", (n,))
        cur.execute("SELECT LAST_INSERT_ID()")
        ((last,),) = cur.fetchall()
        first = int(last) - n + 1
        rows = [(first + k, json.dumps(payload(i), ensure_ascii=False, separators=(",", ":")))
                for k, (_, i) in enumerate(messages)]
        cur.executemany("INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, "
                        "created_at) VALUES (%s, 'CLIENT_UPDATED', NULL, 7, NULL, %s, UTC_TIMESTAMP(6))", rows)
        started = time.perf_counter()
        self.conn.commit()
        cur.close()
        async with session.post(self.gw.base + "/bench/wake") as response:
            assert response.status == 204
        return started

    def rss_mib(self) -> float:
        return self.gw.rss_mib()


class NodeTarget(Target):
    name = "node ws"

    def __init__(self, node: NodeServer) -> None:
        self.node = node
        self.ws_url = node.ws_url
        self.next_id = 0

    async def publish(self, session: aiohttp.ClientSession, messages: list[tuple[int, int]]) -> float:
        body = json.dumps([message(event_id, i) for event_id, i in messages])
        started = time.perf_counter()
        async with session.post(self.node.base + "/publish", data=body,
                                headers={"Content-Type": "application/json"}) as response:
            assert response.status == 204
        return started

    def rss_mib(self) -> float:
        return self.node.rss_mib()


# --- one round ---------------------------------------------------------------------------

class Receivers:
    """Counts messages per socket for the current burst and when each arrived."""

    def __init__(self) -> None:
        self.expected = 0
        self.arrivals: list[float] = []
        self.pending = 0
        self.done = asyncio.Event()
        self.counts: dict[int, int] = {}
        self.checked: WsClient | None = None
        self.checked_ids: list[int] = []

    def on_message(self, client: WsClient, data: bytes, now: float) -> None:
        self.arrivals.append(now)
        if client is self.checked:
            self.checked_ids.append(int(json.loads(data)["id"]))
        self.pending -= 1
        if self.pending == 0:
            self.done.set()

    def expect(self, n: int) -> None:
        self.arrivals = []
        self.pending = n
        self.done.clear()


async def run_round(target: Target, sockets: int, burst: int, bursts: int, frozen: bool,
                    message_base: int, settle: float = 3.0) -> dict[str, Any]:
    recv = Receivers()
    clients = await connect_many(target.ws_url, sockets, recv.on_message)
    frozen_client = await ws_connect(target.ws_url, None, frozen=True) if frozen else None
    recv.checked = clients[0]
    await asyncio.sleep(0.3)  # let every socket settle as live
    rss_connected = target.rss_mib()
    rates: list[float] = []
    latencies: list[float] = []
    timeouts = 0
    async with aiohttp.ClientSession() as session:
        # One warm-up burst, not counted: first-use costs (JIT, pools, buffers) on both servers.
        recv.expect(sockets)
        await target.publish(session, [(message_base, 0)])
        await asyncio.wait_for(recv.done.wait(), 60)
        recv.checked_ids.clear()
        for b in range(bursts):
            msgs = [(message_base + b * burst + k + 1, k) for k in range(burst)]
            recv.expect(sockets * burst)
            started = await target.publish(session, msgs)
            try:
                await asyncio.wait_for(recv.done.wait(), 60)
            except TimeoutError:
                timeouts += 1
                continue
            last = max(recv.arrivals)
            rates.append(sockets * burst / (last - started))
            latencies.extend(a - started for a in recv.arrivals)
            await asyncio.sleep(0.05)
    rss_after = target.rss_mib()
    ids = recv.checked_ids
    in_order = ids == sorted(ids) and len(ids) == len(set(ids)) and len(ids) == burst * (bursts - timeouts)
    frozen_cut = None
    frozen_got = None
    if frozen_client is not None:
        # The gateway gives a closing frozen socket 2 s, then cuts it. A socket that is not
        # read cannot see its own end, so thaw it and drain: a socket the server cut ends
        # (close frame or EOF) before it has every message; one it kept gets them all.
        await asyncio.sleep(settle)
        assert frozen_client.transport is not None
        frozen_client.transport.resume_reading()
        total = burst * bursts + 1  # with the warm-up message
        deadline = time.perf_counter() + 120
        while (not frozen_client.closed.done() and frozen_client.messages < total
               and time.perf_counter() < deadline):
            await asyncio.sleep(0.05)
        frozen_got = frozen_client.messages
        frozen_cut = frozen_client.closed.done() and frozen_got < total
        frozen_client.close()
    for c in clients:
        c.close()
    await asyncio.sleep(0.2)
    return {"server": target.name, "sockets": sockets, "burst": burst, "bursts": bursts, "frozen": frozen,
            "deliveries_per_s": median(rates), "rates": rates,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "max_ms": max(latencies) * 1000 if latencies else float("nan"),
            "rss_connected_mib": rss_connected, "rss_after_mib": rss_after,
            "checked_socket_in_order": in_order, "timeouts": timeouts, "frozen_cut_by_server": frozen_cut,
            "frozen_messages_received": frozen_got, "frozen_close_code": frozen_client.close_code if frozen_client
            else None,
            "deflate_negotiated": clients[0].deflate}


async def _measure(cfg: dict[str, Any], gw_target: GatewayTarget, node_target: NodeTarget) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for r in range(cfg["rounds"]):
        order = (gw_target, node_target) if r % 2 == 0 else (node_target, gw_target)
        for sockets in cfg["sockets"]:
            for target in order:
                res = await run_round(target, sockets, cfg["burst"], cfg["bursts"], False, target.next_id)
                target.next_id += cfg["burst"] * cfg["bursts"]
                res["round"] = r
                results.append(res)
                log(f"fanout: round {r + 1} {target.name} x{sockets}: {res['deliveries_per_s']:.0f} deliveries/s, "
                    f"p99 {res['p99_ms']:.1f} ms, RSS {res['rss_connected_mib']:.0f} MiB")
    fz = cfg["frozen"]
    for target in (gw_target, node_target):
        for frozen in (False, True):
            res = await run_round(target, fz["sockets"], fz["burst"], fz["bursts"], frozen, target.next_id,
                                  fz["settle"])
            target.next_id += fz["burst"] * fz["bursts"]
            res["round"] = "frozen-test"
            results.append(res)
            log(f"fanout: {target.name} x{fz['sockets']} {'with' if frozen else 'without'} a frozen client: "
                f"{res['deliveries_per_s']:.0f} deliveries/s, p99 {res['p99_ms']:.1f} ms, "
                f"RSS after {res['rss_after_mib']:.0f} MiB, cut: {res['frozen_cut_by_server']}")
    return results


def run(mode: str, out: Path) -> Report:
    cfg = MODES[mode]
    raise_fd_limit()
    report = Report(NAME, "Benchmark 4: WebSocket fan-out against Node.js ws", mode, run_metadata(mode))
    node = NodeServer()
    try:
        with throwaway_database(NAME) as url:
            token = cli_token(url, "--role", "gtr", "--description", "bench fan-out")
            conn = connect(url)
            try:
                execute(conn, "SELECT 1")
                # Every socket on one token, more of them than the per-token and connection
                # caps' defaults allow: the bench measures fan-out, not the caps.
                most = max(max(cfg["sockets"]), cfg["frozen"]["sockets"]) + 100
                with running_gateway(url, wake_route=True, ws_max_per_token=most, max_connections=most) as gw:
                    gw_target = GatewayTarget(gw, conn, token)
                    node_target = NodeTarget(node)
                    results = asyncio.run(_measure(cfg, gw_target, node_target))
                    gw_idle_rss = gw.rss_mib()
            finally:
                conn.close()
    finally:
        node.stop()

    main = [r for r in results if r["round"] != "frozen-test"]
    rows = []
    summary: dict[str, Any] = {}
    for sockets in cfg["sockets"]:
        by = {s: [r for r in main if r["sockets"] == sockets and r["server"] == s] for s in ("gateway", "node ws")}
        med = {s: {k: median([r[k] for r in rs]) for k in ("deliveries_per_s", "p50_ms", "p99_ms", "max_ms",
                                                           "rss_connected_mib", "rss_after_mib")}
               for s, rs in by.items()}
        summary[sockets] = med
        for s in ("gateway", "node ws"):
            rows.append([sockets, s, med[s]["deliveries_per_s"],
                         ratio(med[s]["deliveries_per_s"], med["node ws"]["deliveries_per_s"]),
                         med[s]["p50_ms"], med[s]["p99_ms"], med[s]["max_ms"], med[s]["rss_connected_mib"],
                         all(r["checked_socket_in_order"] for r in by[s])])
    report.summary = (
        f"Bursts of {cfg['burst']} messages (~{len(message(1, 1))} bytes each) to every socket; "
        f"{cfg['bursts']} bursts per round, {cfg['rounds']} rounds per server alternating; medians over rounds. "
        "Clients offer permessage-deflate; "
        f"negotiated: gateway {any(r['deflate_negotiated'] for r in results if r['server'] == 'gateway')}, "
        f"Node {any(r['deflate_negotiated'] for r in results if r['server'] == 'node ws')}. "
        "Servers, receivers (this process) and MariaDB share the 2 cores.")
    report.table("Fan-out", ["sockets", "server", "deliveries/s", "÷ Node ws", "p50 ms", "p99 ms", "max ms",
                             "server RSS with sockets (MiB)", "ids all, in order"], rows,
                 note="Latency: from the burst's hand-over (gateway: just before the outbox COMMIT, then the wake "
                      "call and the tailer's read; Node: just before the HTTP POST) to each socket's receipt.")
    frozen_rows = []
    frozen = [r for r in results if r["round"] == "frozen-test"]
    for s in ("gateway", "node ws"):
        normal = next(r for r in frozen if r["server"] == s and not r["frozen"])
        stuck = next(r for r in frozen if r["server"] == s and r["frozen"])
        frozen_rows.append([s, stuck["sockets"], normal["deliveries_per_s"], stuck["deliveries_per_s"],
                            ratio(stuck["deliveries_per_s"], normal["deliveries_per_s"]), normal["p99_ms"],
                            stuck["p99_ms"], stuck["frozen_cut_by_server"], normal["rss_after_mib"],
                            stuck["rss_after_mib"]])
    fz = cfg["frozen"]
    report.table(f"A frozen client ({fz['bursts']} bursts of {fz['burst']} messages: "
                 f"{fz['bursts'] * fz['burst'] * len(message(1, 1)) / 1e6:.1f} MB it never reads)",
                 ["server", "other sockets", "deliveries/s without", "deliveries/s with frozen", "with ÷ without",
                  "p99 ms without", "p99 ms with", "frozen socket cut by server", "RSS after, without (MiB)",
                  "RSS after, with (MiB)"], frozen_rows)
    big = max(cfg["sockets"])
    g = summary[big]["gateway"]
    n = summary[big]["node ws"]
    full_size = big >= 1000
    report.target(f"deliveries/s at {big} sockets vs Node ws", ">= 1.3x",
                  f"{ratio(g['deliveries_per_s'], n['deliveries_per_s']):.2f}x "
                  f"({g['deliveries_per_s']:.0f} vs {n['deliveries_per_s']:.0f}/s)",
                  ratio(g["deliveries_per_s"], n["deliveries_per_s"]) >= 1.3 if full_size else None)
    gw_frozen = frozen_rows[0]
    frozen_mb = fz["bursts"] * fz["burst"] * len(message(1, 1)) / 1e6
    report.target("a frozen client never slows the others (gateway)", "with ÷ without >= 0.9, frozen socket cut",
                  f"{gw_frozen[4]:.2f}, cut: {gw_frozen[7]}",
                  bool(gw_frozen[4] >= 0.9 and gw_frozen[7]) if frozen_mb >= 4 else None,
                  "" if frozen_mb >= 4 else "too little data in this mode to fill the buffers")
    report.target(f"gateway RSS with {big} sockets", "<= 150 MB", f"{g['rss_connected_mib']:.0f} MiB "
                  f"(max after bursts {summary[big]['gateway']['rss_after_mib']:.0f} MiB)",
                  summary[big]["gateway"]["rss_after_mib"] <= 150 if full_size else None)
    report.data = {"config": cfg, "results": results, "summary": summary, "gateway_rss_end_mib": gw_idle_rss}

    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        width = 0.38
        xs = list(range(len(cfg["sockets"])))
        for k, s in enumerate(("gateway", "node ws")):
            ax.bar([x + (k - 0.5) * width for x in xs], [summary[n_][s]["deliveries_per_s"] for n_ in cfg["sockets"]],
                   width, label=s)
        ax.set_xticks(xs, [f"{n_} sockets" for n_ in cfg["sockets"]])
        ax.set_ylabel("deliveries/s (median)")
        ax.set_title("WebSocket fan-out, ~200-byte messages")
        ax.legend()
        ax.grid(True, axis="y", alpha=0.3)
        save_plot(report, fig, out, f"{NAME}.png")
        plt.close(fig)
    return report
