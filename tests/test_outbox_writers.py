"""gateway/db/outbox.py's EVENT_WRITING_PROCEDURES and the SQL agree, and Database.call wakes
the outbox tailer after exactly those procedures.

A procedure writes events when its SQL inserts into ``outbox``, itself or through any
procedure it CALLs (``_registrar_cambio``, ``_registrar_evento``, and helpers to come). The
declaration is what makes the gateway deliver a change's events at once: one missing from it
still works, its events just reach the dashboards a poll late, which no other test notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from gateway.db import pool
from gateway.db.exceptions import ProcedureRefused
from gateway.db.outbox import EVENT_WRITING_PROCEDURES
from gateway.db.sqlfiles import SQL_DIR, load_objects
from tests.support import Db

COMMENT = re.compile(r"--[^\n]*")
WRITES_OUTBOX = re.compile(r"\b(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+`?outbox`?[\s(]", re.IGNORECASE)
CALLS = re.compile(r"\bCALL\s+`?([A-Za-z0-9_]+)`?", re.IGNORECASE)
DECLARATION = "EVENT_WRITING_PROCEDURES in gateway/db/outbox.py"


def procedure_bodies() -> dict[str, str]:
    """Each procedure under sql/procedures by name, its text without comments."""
    return {o.name: COMMENT.sub("", "\n".join(o.statements))
            for o in load_objects(SQL_DIR) if o.kind == "PROCEDURE"}


def event_writers(bodies: dict[str, str]) -> set[str]:
    """The procedures that insert into outbox, directly or through the procedures they CALL."""
    writers = {name for name, body in bodies.items() if WRITES_OUTBOX.search(body)}
    calls = {name: set(CALLS.findall(body)) for name, body in bodies.items()}
    grew = True
    while grew:  # to a fixed point: a caller of a writer is a writer
        grown = {name for name, called in calls.items() if called & writers}
        grew = not grown <= writers
        writers |= grown
    return writers


def test_the_reading_of_the_sql_finds_the_known_writers_and_readers() -> None:
    writers = event_writers(procedure_bodies())
    # The helpers that insert into outbox, a procedure that writes only through a helper,
    # one that inserts itself (the import), and readers that must not count.
    assert {"_registrar_cambio", "_registrar_evento", "sp_derivar_cliente", "sp_importar_lote"} <= writers
    assert not writers & {"sp_listar_clientes", "sp_outbox_leer", "sp_tomar_cliente", "_reservar_outbox_ids",
                          "sp_purgar_outbox"}


def test_the_declaration_names_exactly_the_procedures_that_write_events() -> None:
    bodies = procedure_bodies()
    public = {name for name in event_writers(bodies) if not name.startswith("_")}
    missing = public - EVENT_WRITING_PROCEDURES
    assert not missing, (
        f"these procedures write outbox events (their SQL, or a procedure they CALL, inserts into "
        f"outbox): add {', '.join(repr(n) for n in sorted(missing))} to {DECLARATION}, or their "
        "events reach the gateway's sockets only at the tailer's next poll")
    extra = EVENT_WRITING_PROCEDURES - public
    unknown = {name for name in extra if name not in bodies}
    assert not unknown, f"{DECLARATION} names procedures that sql/procedures/ lacks: remove {sorted(unknown)}"
    assert not extra, (f"{DECLARATION} names procedures that write no outbox event: "
                       f"remove {', '.join(repr(n) for n in sorted(extra))}")


def test_no_code_wakes_the_tailer_by_hand() -> None:
    # Database.call does it from the declaration; a by-hand call is a second copy of the fact.
    gateway = Path(pool.__file__).resolve().parents[1]
    by_hand = [f"{path.relative_to(gateway.parent)}:{n}"
               for path in sorted(gateway.rglob("*.py")) if path.name != "pool.py"
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"\.on_events\(\)", line)]
    assert not by_hand, f"on_events() called by hand (Database.call wakes the tailer itself): {by_hand}"


def test_call_wakes_the_tailer_after_a_successful_event_writing_call_only(db: Db) -> None:
    async def scenario() -> list[str]:
        database = pool.Database(db.url, size=1)
        woken: list[str] = []
        done: list[str] = []

        async def call(procedure: str, *args: object) -> None:
            before = len(woken)
            with contextlib.suppress(ProcedureRefused):
                await database.call(procedure, args)
            done.append(f"{procedure}:{'woke' if len(woken) > before else 'quiet'}")

        database.on_events = lambda: woken.append("wake")
        try:
            await call("sp_crear_asesor", "Ana")  # writes no event
            await call("sp_cargar_cliente", "Juan", None, None)  # CLIENT_CREATED
            await call("sp_derivar_cliente", 999_999, 999_999, "gtr")  # refused: nothing written
            await call("sp_listar_clientes", None, None, 10, 0)
        finally:
            await database.close()
        return done

    assert asyncio.run(scenario()) == ["sp_crear_asesor:quiet", "sp_cargar_cliente:woke",
                                       "sp_derivar_cliente:quiet", "sp_listar_clientes:quiet"]
    assert [e["event_type"] for e in db.outbox()] == ["CLIENT_CREATED"]
