"""An interrupted CALL never leaves a lock that every writer needs held for more than a few
seconds, whatever its session does next.

Every event-writing transaction locks the outbox sequence row until it commits. On MySQL a
CALL stopped by ``KILL QUERY`` (which is what the ``mysql`` client's Ctrl-C sends) leaves its
transaction open, with that lock, until the session runs another statement or goes away; on
MariaDB the exit handler rolls it back at once. ``_abrir_transaccion`` gives every such
transaction a short ``wait_timeout`` (``transaccion_interrumpida_segundos``), so the server
closes a session left idle inside one and rolls it back.

Each test parks a victim CALL with its outbox id taken (a blocker holds the history rows it
must insert next), interrupts it, lets the victim's session do something, and times four
writers that need the sequence row.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.dbserver import client_command
from tests.support import Connections, Db, call, connect, wait_for
from tests.test_races import KILLED, Result, attempt

# The bound the tests set, and how much longer than it the writers may take on a busy machine.
LIMIT_S = 2
SLACK_S = 6


@pytest.fixture
def limited(db: Db) -> Db:
    db.call("sp_configurar", "transaccion_interrumpida_segundos", LIMIT_S)
    return db


def park_victim(db: Db, conns: Connections, start: Callable[[], None]) -> tuple[Any, int]:
    """Start a victim CALL (``start``) and wait until it waits at its history insert, with
    its customer and outbox id written. Returns the blocker's connection and the victim's
    connection id."""
    blocker = conns.new()
    cur = blocker.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("SELECT id FROM clientes_historial FOR UPDATE")
    cur.fetchall()
    start()
    found: list[int] = []

    def at_history_insert() -> bool:
        rows = db.query("SELECT ID, INFO FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                        "AND INFO LIKE 'INSERT INTO clientes_historial%%'")
        found[:] = [int(r["ID"]) for r in rows]
        return bool(rows)

    wait_for(at_history_insert, "the victim to reach its history insert")
    return blocker, found[0]


def time_writers(conns: Connections) -> tuple[float, list[Result]]:
    """Four writers of one event each, started together; seconds until the last is done."""
    writers = [conns.new() for _ in range(4)]
    results: list[Result] = []
    started = time.monotonic()
    threads = [threading.Thread(target=lambda c=c, n=n: results.append(attempt(c, "sp_cargar_cliente", f"W{n}",
                                                                               None, None)))
               for n, c in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return time.monotonic() - started, results


def assert_writers_free(db: Db, conns: Connections) -> None:
    elapsed, results = time_writers(conns)
    assert len(results) == 4 and all(r.ok for r in results), results
    assert elapsed < LIMIT_S + SLACK_S, f"writers waited {elapsed:.1f} s behind the interrupted call"
    assert not db.query("SELECT id FROM clientes WHERE nombre = 'Víctima'"), "the interrupted call committed"


def _idle(conn: Any) -> None:
    pass


def _select_then_idle(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchall()
    cur.close()


def _disconnect(conn: Any) -> None:
    conn.shutdown()  # the socket closed without a goodbye, as when a client dies


def _call_again(conn: Any) -> None:
    call(conn, "sp_listar_asesores")


@pytest.mark.parametrize("then", [_idle, _select_then_idle, _disconnect, _call_again],
                         ids=["stays-idle", "runs-a-select-then-idles", "disconnects", "calls-again"])
def test_a_killed_call_frees_the_writers_whatever_its_session_does_next(
        limited: Db, conns: Connections, then: Callable[[Any], None]) -> None:
    db = limited
    victim = conns.new()
    outcome: list[Result] = []
    thread = threading.Thread(target=lambda: outcome.append(attempt(victim, "sp_cargar_cliente", "Víctima", None,
                                                                    None)))
    blocker, victim_id = park_victim(db, conns, thread.start)
    db.execute(f"KILL QUERY {victim_id}")
    thread.join(timeout=10)
    assert outcome and not outcome[0].ok and outcome[0].errno in KILLED, outcome
    blocker.rollback()
    then(victim)
    assert_writers_free(db, conns)
    # A session the server closed must not keep the seguimiento wait_timeout either: a new
    # connection starts with the server's own.
    fresh = connect(db.url)
    cur = fresh.cursor()
    cur.execute("SELECT @@SESSION.wait_timeout, @@GLOBAL.wait_timeout")
    (session, glob), = cur.fetchall()
    fresh.close()
    assert session == glob


def test_a_finished_call_gives_the_session_its_own_wait_timeout_back(db: Db) -> None:
    def session_wait_timeout() -> tuple[int, object]:
        row = db.query("SELECT @@SESSION.wait_timeout AS w, @seguimiento_wait_timeout AS saved")[0]
        return int(row["w"]), row["saved"]

    db.execute("SET SESSION wait_timeout = 1234")
    cliente = db.nuevo_cliente()  # a call that commits
    assert session_wait_timeout() == (1234, None)
    with pytest.raises(Exception):  # noqa: B017 - any refusal; what matters is the session after it
        db.call("sp_derivar_cliente", cliente, 999_999, "gtr")  # a call its exit handler ends
    assert session_wait_timeout() == (1234, None)


class Terminal:
    """The client in a pseudo-terminal, as a DBA runs it: Ctrl-C is the tty's interrupt."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the client
            os.execvp(argv[0], argv)
        self.output = b""

    def read(self, seconds: float) -> bytes:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        return self.output

    def until(self, text: bytes, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.output:
            assert time.monotonic() < deadline, f"the client never printed {text!r}: {self.output[-600:]!r}"
            self.read(0.2)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def test_ctrl_c_in_the_command_line_client_frees_the_writers(limited: Db, conns: Connections) -> None:
    db = limited
    url = db.url
    argv = [*client_command(), f"--host={url.host}", f"--port={url.port}", f"--user={url.user}",
            f"--password={url.password}", url.database]
    terminal = Terminal(argv)
    try:
        terminal.until(b"> ")  # the prompt: logged in
        blocker, _victim = park_victim(db, conns, lambda: terminal.type(
            "CALL sp_cargar_cliente('Víctima', NULL, NULL);\n"))
        terminal.type("\x03")  # Ctrl-C: the client sends KILL QUERY on a connection of its own
        terminal.until(b"interrupted")
        blocker.rollback()
        # The DBA leaves the client at its prompt: it stays connected and says nothing more.
        assert_writers_free(db, conns)
    finally:
        terminal.close()
