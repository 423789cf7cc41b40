"""Load for the reliability tests: asesores and GTR over HTTP, DBA-style writers on their own
connections, and what they saw (answers by route and status, transitions acknowledged).

Load generators here never fail on a fault: a request with no answer (the gateway died)
or a 503 (the database is away) is counted and the customer abandoned, as a dashboard
would. The tests then check the database and the sockets, which are the truth; the
acknowledged transitions (2xx answers) must all be in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import mysql.connector

from gateway.db.dburl import DatabaseUrl
from tests.gateway.harness import Api, Json, error_code
from tests.support import Db, call, connect

# The event each acknowledged route's transition writes.
CREATED, REASSIGNED, IN_GESTION, UPDATED, COMPLETED = (
    "CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_UPDATED", "CLIENT_COMPLETED")
NO_ANSWER = "no answer"
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=20)


@dataclass
class Outcomes:
    """Everything the load generators were answered, thread-safe."""

    answers: Counter[str] = field(default_factory=Counter)  # "route status[ code]" -> n
    acknowledged: Counter[tuple[int, str]] = field(default_factory=Counter)  # (cliente, event) -> 2xx answers
    waits: list[float] = field(default_factory=list)  # seconds per event-writing call
    in_flight: int = 0  # HTTP requests sent and not yet answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> None:
        with self.lock:
            self.answers[key] += 1

    def ack(self, cliente_id: int, event: str, seconds: float) -> None:
        with self.lock:
            self.acknowledged[(cliente_id, event)] += 1
            self.waits.append(seconds)

    def total(self, predicate: Callable[[str], bool]) -> int:
        return sum(n for key, n in self.answers.items() if predicate(key))

    async def http(self, api: Api, method: str, path: str, body: Json, route: str, event: str | None = None,
                   cliente_id: int | None = None) -> tuple[int | None, Json]:
        """One request; None as the status when no answer came (connection refused or cut)."""
        started = time.monotonic()
        self.in_flight += 1
        try:
            status, answer = await api.status(method, path, body)
        except (TimeoutError, aiohttp.ClientError, OSError):
            self.count(f"{route} {NO_ANSWER}")
            return None, None
        finally:
            self.in_flight -= 1
        self.count(f"{route} {status}" + (f" {error_code(answer)}" if status >= 400 else ""))
        if 200 <= status < 300 and event is not None:
            if cliente_id is None:
                cliente_id = int(answer["clienteId"])
            self.ack(cliente_id, event, time.monotonic() - started)
        return status, answer


def acknowledged_missing(db: Db, outcomes: Outcomes) -> int:
    """Acknowledged transitions (2xx, or a direct call that returned) with no outbox row."""
    rows = db.query("SELECT cliente_id, event_type, COUNT(*) AS n FROM outbox GROUP BY cliente_id, event_type")
    in_outbox = {(r["cliente_id"], r["event_type"]): int(r["n"]) for r in rows}
    return sum(max(0, n - in_outbox.get(key, 0)) for key, n in outcomes.acknowledged.items())


async def asesor_cycle(gtr: Api, asesor: Api, asesor_id: int, name: str, out: Outcomes, *,
                       pause: float = 0.0, walk_away: bool = False) -> str:
    """One customer from load to completion: GTR loads and assigns it, the asesor takes it,
    opens the wizard, updates it and completes it (or walks away after opening). Stops at the
    first refusal or missing answer; returns how far it got."""
    status, body = await out.http(gtr, "POST", "/api/clientes", {"nombre": name}, "create", CREATED)
    if status != 201:
        return "create"
    cliente = int(body["clienteId"])
    path = f"/api/clientes/{cliente}"
    status, _ = await out.http(gtr, "POST", path + "/estatus",
                               {"tipo": "gtr", "estatus": "derivado", "asesorId": asesor_id},
                               "assign", REASSIGNED, cliente)
    if status != 200:
        return "assign"
    await asyncio.sleep(pause)
    status, body = await out.http(asesor, "POST", path + "/lock", {}, "lock")
    if status != 200:
        return "lock"
    token = body["lockToken"]
    await asyncio.sleep(pause)
    status, _ = await out.http(asesor, "POST", path + "/open-wizard", {"lockToken": token}, "open", IN_GESTION,
                               cliente)
    if status != 200:
        return "open"
    if walk_away:
        return "walked away"
    await asyncio.sleep(pause)
    status, _ = await out.http(asesor, "PUT", path, {"lockToken": token, "datos": {"nota": name}}, "update",
                               UPDATED, cliente)
    if status != 200:
        return "update"
    await asyncio.sleep(pause)
    status, _ = await out.http(asesor, "POST", path + "/complete-wizard", {"lockToken": token}, "complete",
                               COMPLETED, cliente)
    return "complete" if status != 200 else "done"


async def http_writer(gtr: Api, asesor: Api, asesor_id: int, out: Outcomes, stop: asyncio.Event, tag: str, *,
                      pause: float = 0.0, walk_away_every: int = 0, no_answer_pause: float = 0.05) -> int:
    """Cycles until ``stop``; the number of cycles started."""
    n = 0
    while not stop.is_set():
        n += 1
        walk = bool(walk_away_every) and n % walk_away_every == 0
        reached = await asesor_cycle(gtr, asesor, asesor_id, f"{tag} {n}", out, pause=pause, walk_away=walk)
        if reached not in ("done", "walked away"):
            await asyncio.sleep(no_answer_pause)  # the gateway or the database is away: do not spin
    return n


class DirectWriter(threading.Thread):
    """A DBA at the prompt: loads customers and assigns them (actor dba) on its own connection,
    reconnecting whenever the connection is lost, until ``stop``."""

    def __init__(self, url: DatabaseUrl, asesores: list[int], out: Outcomes, stop: threading.Event, seed: int,
                 pause: float = 0.0) -> None:
        super().__init__(daemon=True, name=f"direct-writer-{seed}")
        self.url = url
        self.asesores = asesores
        self.out = out
        self.stop = stop
        self.rng = random.Random(seed)
        self.pause = pause
        self.seed = seed
        self.error: BaseException | None = None

    def run(self) -> None:
        conn: Any = None
        n = 0
        try:
            while not self.stop.is_set():
                if conn is None:
                    try:
                        conn = connect(self.url)
                    except mysql.connector.Error:
                        self.out.count("direct connect failed")
                        self.stop.wait(0.1)
                        continue
                n += 1
                try:
                    started = time.monotonic()
                    loaded = call(conn, "sp_cargar_cliente", f"DBA {self.seed}-{n}", None, None)
                    cliente = int(loaded[0][0]["cliente_id"])
                    self.out.ack(cliente, CREATED, time.monotonic() - started)
                    started = time.monotonic()
                    call(conn, "sp_derivar_cliente", cliente, self.rng.choice(self.asesores), "dba")
                    self.out.ack(cliente, REASSIGNED, time.monotonic() - started)
                    self.out.count("direct ok")
                except mysql.connector.Error as exc:
                    self.out.count(f"direct error {exc.errno}")
                    with contextlib.suppress(Exception):
                        conn.close()
                    conn = None
                    self.stop.wait(0.05)
                if self.pause:
                    self.stop.wait(self.pause)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (from /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def max_overdue_seconds(db: Db) -> float:
    """How far past its deadline (last_activity + timeout_segundos) the most overdue
    derivado/en_gestion customer is now, in seconds; 0 when none is overdue."""
    rows = db.query(
        "SELECT COALESCE(MAX(TIMESTAMPDIFF(MICROSECOND, c.last_activity + INTERVAL s.valor SECOND, "
        "UTC_TIMESTAMP(6))), 0) / 1e6 AS overdue "
        "FROM clientes c JOIN seguimiento_config s ON s.clave = 'timeout_segundos' "
        "WHERE c.seguimiento_status IN ('derivado', 'en_gestion')")
    return max(0.0, float(rows[0]["overdue"]))


class OverdueSampler(threading.Thread):
    """Samples, four times a second while the database answers, how far past its deadline the
    most overdue active customer is; counted only from the moment the database is back
    (nothing can be returned while it is down).

    The sampler tells that moment itself: after a failed attempt, the first one that works
    counts the database as back since that failed attempt (a quarter of a second early at
    worst, which makes the figure stricter, never kinder)."""

    def __init__(self, db_url: DatabaseUrl) -> None:
        super().__init__(daemon=True, name="overdue-sampler")
        self.url = db_url
        self.stop = threading.Event()
        self.back_at = time.monotonic()  # since when the database answers
        self.worst = 0.0
        self.samples = 0
        self.outages = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        db: Db | None = None
        failed_at: float | None = None
        try:
            while not self.stop.wait(0.25):
                attempt_at = time.monotonic()
                try:
                    if db is None:
                        db = Db(self.url)
                    overdue = max_overdue_seconds(db)
                except mysql.connector.Error:
                    if db is not None:
                        with contextlib.suppress(Exception):
                            db.close()
                    db = None
                    failed_at = attempt_at
                    continue
                if failed_at is not None:
                    self.back_at, failed_at = failed_at, None
                    self.outages += 1
                self.samples += 1
                self.worst = max(self.worst, min(overdue, time.monotonic() - self.back_at))
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            if db is not None:
                with contextlib.suppress(Exception):
                    db.close()
