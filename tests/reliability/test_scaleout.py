"""Scaling out: the same sockets and the same events, on one gateway process and split over two.

Two `seguimiento serve` processes run on one database. In the *one* configuration every
GTR socket is on the first; in the *two* configuration half are on each. The same events
are written directly (as a DBA or another gateway would: both processes find them by
tailing the outbox) in two ways: a burst, to measure deliveries per second until every
socket has every event, and a paced stream, to measure the delivery latency (from the
event's commit time to its arrival) at a rate both configurations can carry. The
configurations alternate, twice each, after a warm-up round; the figures are medians.

On this machine the load generator (the sockets' clients, in this process), both gateways
and MariaDB share 2 cores, so the total deliveries/s is bounded by the machine, not by the
gateways. What scaling out changes is how the fan-out work divides: the gateway CPU time
per delivery is measured too, and its ratio between the configurations is the figure that
carries over to separate machines (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field

from bench.wsclient import WsClient, connect, raise_fd_limit
from tests.gateway.conftest import People
from tests.gateway.harness import GatewayProcess, hand_written_events, last_outbox_id, run
from tests.reliability.dashboards import percentile
from tests.reliability.recording import Record
from tests.support import Db
from toolkit.resources import cpu_seconds

SOCKETS = 200
BURST_EVENTS = 1500  # written in batches of 250
PACED_RATE, PACED_S = 300, 1.5  # events/s, seconds
PACED_BATCH = 15
ROUNDS = 2
SAMPLED = 20  # sockets whose every arrival time is kept for the latency figures
POLL_INTERVAL = "0.02"  # the events come from outside the gateways: poll them often
ID = re.compile(rb'"id":(\d+)')
CLOCK_OFFSET = time.time() - time.perf_counter()


@dataclass
class Socket:
    """One receiving socket: counts, checks the order, and (if sampled) keeps arrival times."""

    next_id: int
    sampled: bool
    received: int = 0
    out_of_order: int = 0
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    client: WsClient | None = None

    def on_message(self, _client: WsClient, payload: bytes, now: float) -> None:
        found = ID.search(payload, 0, 60)
        assert found is not None
        event_id = int(found.group(1))
        if event_id != self.next_id:
            self.out_of_order += 1
        self.next_id = event_id + 1
        self.received += 1
        if self.sampled:
            self.arrivals.append((event_id, now + CLOCK_OFFSET))


async def _open(bases: list[str], token: str, since: int) -> list[Socket]:
    sockets = [Socket(next_id=since + 1, sampled=n < SAMPLED) for n in range(SOCKETS)]
    gate = asyncio.Semaphore(25)

    async def one(n: int, sock: Socket) -> None:
        base = bases[n % len(bases)].replace("http://", "ws://")
        async with gate:
            sock.client = await connect(f"{base}/ws?token={token}&since={since}", sock.on_message)

    await asyncio.gather(*(one(n, s) for n, s in enumerate(sockets)))
    return sockets


async def _all_have(sockets: list[Socket], last: int, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while any(s.next_id <= last for s in sockets):
        assert time.monotonic() < deadline, f"sockets stuck: {[s.next_id for s in sockets if s.next_id <= last][:5]}"
        await asyncio.sleep(0.002)
    return time.perf_counter()


def _paced(db: Db, rate: int, seconds: float) -> None:
    conn = Db(db.url)
    try:
        every = PACED_BATCH / rate
        start = time.monotonic()
        for n in range(round(rate * seconds / PACED_BATCH)):
            delay = start + n * every - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            hand_written_events(conn, PACED_BATCH, pad=150, event_type="PACED")
    finally:
        conn.close()


def _burst(db: Db, n: int) -> None:
    conn = Db(db.url)
    try:
        for _ in range(n // 250):
            hand_written_events(conn, 250, pad=150, event_type="BURST")
    finally:
        conn.close()


async def _round(db: Db, people: People, gateways: list[GatewayProcess], config: str,
                 burst_events: int = BURST_EVENTS, paced_s: float = PACED_S) -> dict[str, float]:
    bases = [gateways[0].base] if config == "one" else [g.base for g in gateways]
    since = last_outbox_id(db)
    sockets = await _open(bases, people.gtr, since)
    await asyncio.sleep(0.3)
    try:
        cpu_before = sum(cpu_seconds(g.pid) for g in gateways)
        started = time.perf_counter()
        await asyncio.to_thread(_burst, db, burst_events)
        finished = await _all_have(sockets, since + burst_events)
        cpu_burst = sum(cpu_seconds(g.pid) for g in gateways) - cpu_before
        burst_deliveries = SOCKETS * burst_events

        paced_from = last_outbox_id(db)
        cpu_before = sum(cpu_seconds(g.pid) for g in gateways)
        await asyncio.to_thread(_paced, db, PACED_RATE, paced_s)
        paced_to = last_outbox_id(db)
        await _all_have(sockets, paced_to)
        cpu_paced = sum(cpu_seconds(g.pid) for g in gateways) - cpu_before
        committed = {r["id"]: r["t"] for r in db.query(
            "SELECT id, UNIX_TIMESTAMP(created_at) AS t FROM outbox WHERE id > %s AND id <= %s",
            (paced_from, paced_to))}
        latencies = [(at - float(committed[i])) * 1000 for s in sockets for i, at in s.arrivals if i in committed]
        assert all(s.out_of_order == 0 for s in sockets), "events out of order"
        assert all(s.received == paced_to - since for s in sockets), "events missing or duplicated"
        return {
            "deliveries/s": burst_deliveries / (finished - started),
            "burst deliveries": burst_deliveries,
            "burst CPU s": cpu_burst,
            "paced deliveries": SOCKETS * (paced_to - paced_from),
            "paced CPU s": cpu_paced,
            "p50 ms": percentile(latencies, 50),
            "p99 ms": percentile(latencies, 99),
            "deliveries": SOCKETS * (paced_to - since),
        }
    finally:
        for s in sockets:
            if s.client is not None:
                s.client.close()
        await asyncio.sleep(0.2)


@run(timeout=150)
async def test_delivery_on_one_gateway_and_split_over_two(db: Db, people: People, reliability: Record) -> None:
    """Scale-out: the same sockets on one gateway process vs split over two"""
    rec = reliability
    rec.load = (f"{SOCKETS} GTR sockets; a burst of {BURST_EVENTS} events, then {PACED_RATE} events/s for "
                f"{PACED_S:.0f} s (~250-byte messages), written directly; {ROUNDS} rounds per configuration, "
                "alternating")
    rec.faults = "none (a measurement)"
    rec.inputs = "configuration one: every socket on gateway 1; two: half on each of 2 `seguimiento serve` processes"
    raise_fd_limit()
    # Every socket holds the one GTR token: more than the per-token cap's default.
    env = {"SEGUIMIENTO_POLL_INTERVAL": POLL_INTERVAL, "SEGUIMIENTO_WS_MAX_PER_TOKEN": str(SOCKETS)}
    gateways = [GatewayProcess(db.url, env=env), GatewayProcess(db.url, env=env)]
    results: dict[str, list[dict[str, float]]] = {"one": [], "two": []}
    try:
        for gateway in gateways:
            gateway.start()
        # A short warm-up round, not counted: the first round is always slower.
        await _round(db, people, gateways, "two", burst_events=250, paced_s=0.5)
        for _ in range(ROUNDS):
            for config in ("one", "two"):
                results[config].append(await _round(db, people, gateways, config))
    finally:
        for gateway in gateways:
            gateway.stop()

    def median(config: str, key: str) -> float:
        return statistics.median(r[key] for r in results[config])

    def cpu_us(config: str, phase: str) -> float:
        """Gateway CPU (both processes) per delivery over every round of ``config``, µs."""
        rounds = results[config]
        return 1e6 * sum(r[f"{phase} CPU s"] for r in rounds) / sum(r[f"{phase} deliveries"] for r in rounds)

    one, two = median("one", "deliveries/s"), median("two", "deliveries/s")
    rec.figure("lost", 0)
    rec.figure("out of order", 0)
    rec.figure("deliveries/s, one gateway", round(one))
    rec.figure("deliveries/s, two gateways", round(two))
    rec.figure("throughput ratio two/one (same 2 cores)", two / one)
    rec.figure("p50 ms, one gateway", median("one", "p50 ms"))
    rec.figure("p50 ms, two gateways", median("two", "p50 ms"))
    rec.figure("p99 ms, one gateway", median("one", "p99 ms"))
    rec.figure("p99 ms, two gateways", median("two", "p99 ms"))
    for phase in ("burst", "paced"):
        rec.figure(f"gateway CPU µs per delivery, {phase}: one / two (both processes)",
                   f"{cpu_us('one', phase):.2f} / {cpu_us('two', phase):.2f}")
    rec.figure("per-delivery CPU ratio two/one, paced", cpu_us("two", "paced") / cpu_us("one", "paced"))
    checked = sum(int(r["deliveries"]) for rs in results.values() for r in rs)
    rec.notes.append(
        "All rounds: " + "; ".join(
            f"{config}: " + ", ".join(f"{r['deliveries/s']:,.0f}/s p99 {r['p99 ms']:.0f} ms" for r in rs)
            for config, rs in results.items())
        + f". Every socket got every event in order in every round ({checked:,} deliveries checked). "
        "The load generator, both gateways and MariaDB share the machine's 2 cores; "
        f"latency sampled on {SAMPLED} sockets per round from each event's commit time (poll interval "
        f"{POLL_INTERVAL} s: the events are written outside the gateways).")
    # A sanity bound only: two processes must not be much worse than one on the same cores.
    assert two > 0.5 * one, results


HOLD_SAMPLES = 300
CONCURRENT_WRITERS, CONCURRENT_S = 8, 2.0


# Times, inside the server, how long the sequence row is held: from the reservation to the
# end of COMMIT, as in a real procedure (no client round trip in between). Created for the
# test and dropped after it.
HOLD_PROCEDURE = """
CREATE PROCEDURE tmp_medir_retencion_secuencia(IN p_n INT)
BEGIN
    DECLARE i INT DEFAULT 0;
    DECLARE v_id BIGINT;
    DECLARE t0 DATETIME(6);
    DROP TEMPORARY TABLE IF EXISTS tmp_retenciones;
    CREATE TEMPORARY TABLE tmp_retenciones (us BIGINT NOT NULL) ENGINE=MEMORY;
    WHILE i < p_n DO
        START TRANSACTION;
        SET t0 = SYSDATE(6);
        CALL _reservar_outbox_ids(1, v_id);
        INSERT INTO outbox (id, event_type, payload, created_at)
             VALUES (v_id, 'HOLD', JSON_OBJECT('n', i), UTC_TIMESTAMP(6));
        COMMIT;
        INSERT INTO tmp_retenciones VALUES (TIMESTAMPDIFF(MICROSECOND, t0, SYSDATE(6)));
        SET i = i + 1;
    END WHILE;
    SELECT us FROM tmp_retenciones;
    DROP TEMPORARY TABLE tmp_retenciones;
END"""


def _hold_times(db: Db, n: int) -> list[float]:
    """How long each of ``n`` event-writing transactions held the outbox sequence row: from
    taking it (``_reservar_outbox_ids``) to the end of COMMIT, timed in the server, seconds."""
    db.execute("DROP PROCEDURE IF EXISTS tmp_medir_retencion_secuencia")
    db.execute(HOLD_PROCEDURE)
    try:
        (rows,) = db.call("tmp_medir_retencion_secuencia", n)
    finally:
        db.execute("DROP PROCEDURE IF EXISTS tmp_medir_retencion_secuencia")
    return [int(r["us"]) / 1e6 for r in rows]


def _concurrent_commits(db: Db, writers: int, seconds: float) -> int:
    """Event-writing commits ``writers`` connections get through in ``seconds``, all queuing on
    the sequence row (the real procedure, sp_cargar_cliente)."""
    import threading

    done = [0] * writers
    stop = threading.Event()

    def write(n: int) -> None:
        conn = Db(db.url)
        try:
            while not stop.is_set():
                conn.call("sp_cargar_cliente", f"Escritor {n}-{done[n]}", None, None)
                done[n] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return sum(done)


def test_the_outbox_sequence_lock_ceiling(db: Db, reliability: Record) -> None:
    """Outbox sequence lock: how long it is held, and the event-commit ceiling that implies"""
    rec = reliability
    rec.load = (f"{HOLD_SAMPLES} event-writing transactions on one connection, then {CONCURRENT_WRITERS} writers "
                f"of sp_cargar_cliente for {CONCURRENT_S:.0f} s")
    rec.faults = "none (a measurement)"
    rec.inputs = "the sequence row held from _reservar_outbox_ids to the end of COMMIT, as every writer holds it"
    holds = _hold_times(db, HOLD_SAMPLES)
    commits = _concurrent_commits(db, CONCURRENT_WRITERS, CONCURRENT_S)
    settings = db.query("SELECT @@innodb_flush_log_at_trx_commit AS flush, @@log_bin AS binlog, "
                        "@@sync_binlog AS sync_binlog")[0]
    p50 = percentile(holds, 50)
    rec.figure("hold p50 ms (reserve to end of COMMIT, timed in the server)", 1000 * p50)
    rec.figure("hold p99 ms", 1000 * percentile(holds, 99))
    rec.figure("ceiling 1/p50, event-writing commits/s", round(1 / p50))
    rec.figure(f"observed with {CONCURRENT_WRITERS} writers, commits/s", round(commits / CONCURRENT_S))
    outbox = db.outbox()
    rec.figure("gaps in the outbox ids", sum(1 for a, b in zip(outbox, outbox[1:], strict=False)
                                            if b["id"] != a["id"] + 1))
    rec.notes.append(
        "Every event-writing transaction holds the one-row outbox_secuencia lock from its reservation to the end "
        "of its COMMIT, so event commits are serialised: the database cannot commit more than about 1 / hold "
        "of them per second, however many writers or gateways there are. The hold is timed inside the server "
        "(a throwaway procedure doing what _registrar_cambio does: reserve, insert the event, commit; the real "
        "procedures also insert the history row under the lock). Server durability settings here: "
        f"innodb_flush_log_at_trx_commit={settings['flush']}, "
        f"log_bin={settings['binlog']}, sync_binlog={settings['sync_binlog']}; a primary with the binary log "
        "synced and semi-synchronous or group replication pays those on every commit, which lowers the ceiling "
        "(docs/scaling.md). On this 2-core machine the observed rate is bounded by CPU (the Python writers and "
        "MariaDB share it), not by the lock.")
    assert [e["id"] for e in outbox] == list(range(1, len(outbox) + 1))
