"""The README's SQL sessions, run the way a DBA runs them: each ```sql block, verbatim, piped
into the engine's own command-line client (the engine matrix gives MySQL 9.7 its ``mysql``),
against a database made by a plain ``CREATE DATABASE`` and migrated. Then what the block's
comments promise: the ids they name, who gets which customer, the states at the end.

Every block must have its check here: a new block without one fails, so the README cannot
teach a session nobody ran. The routing session is issue 13's "done when": a DBA sets up a
campaign, skills and presence with a MySQL client and leads reach asesores with no GTR click
(and with no event scheduler: the assignment happens in the loading call itself).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.db.dburl import DatabaseUrl
from tests.dbserver import client_command
from tests.support import Db, dba_database

README = Path(__file__).resolve().parents[1] / "README.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.M | re.S)


def readme_sessions() -> list[str]:
    return SQL_BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture
def fresh(server: DatabaseUrl) -> Iterator[Db]:
    """A database of its own, ids starting at 1 as on a DBA's new install. Its events are
    disabled: what the sessions promise must happen in their own calls."""
    with dba_database(server, "seg_readme") as db:
        yield db


def run_as_dba(url: DatabaseUrl, session: str) -> str:
    """The session through the command-line client, as ``mysql db < session.sql`` runs it:
    it stops at the first error and exits non-zero."""
    argv = [*client_command(), f"--host={url.host}", f"--port={url.port}", f"--user={url.user}",
            f"--password={url.password}", "--default-character-set=utf8mb4", url.database]
    done = subprocess.run(argv, input=session, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the client stopped: {done.stderr.strip()}\n--- session ---\n{session}"
    return done.stdout


def rows(db: Db, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in db.query(sql, params)]


def check_lifecycle(db: Db, output: str) -> None:
    """The lifecycle session: asesor 1 takes customer 1 through the wizard to terminado."""
    ((asesor,),) = rows(db, "SELECT id FROM asesores WHERE nombre = 'Ana Torres'")
    ((cliente, estado, asignado, datos),) = rows(
        db,         "SELECT id, seguimiento_status, asesor_asignado, JSON_UNQUOTE(JSON_EXTRACT(datos, '$.producto')) "
        "FROM clientes WHERE nombre = 'Juan Pérez'")
    assert (asesor, cliente) == (1, 1), "the comments name asesor_id 1 and cliente_id 1"
    assert (estado, asignado, datos) == ("terminado", None, "fibra")
    history = rows(db, "SELECT estado_nuevo, motivo FROM clientes_historial WHERE cliente_id = 1 ORDER BY id")
    assert history == [("nuevo", "cargado"), ("derivado", "asignado"), ("en_gestion", "wizard_abierto"),
                       ("en_gestion", "datos_actualizados"), ("terminado", "wizard_completado")]
    assert "timeout_no_gestionado" not in output and "terminado" in output, "the last SELECT shows the history"


def check_routing(db: Db, output: str) -> None:
    """The routing session: campaign 2 in auto mode; each lead goes to an available asesor with
    the skill, least loaded first, in the loading call; a paused asesor gets nothing."""
    ((campana, modo),) = rows(db, "SELECT id, modo FROM campanas WHERE nombre = 'Fibra'")
    assert (campana, modo) == (2, "auto")
    asesores = dict(rows(db, "SELECT nombre, id FROM asesores"))
    assert asesores == {"Ana Torres": 1, "Beto Ruiz": 2}
    assignments = dict(rows(db, "SELECT nombre, asesor_asignado FROM clientes"))
    assert assignments == {"Juan Pérez": 1, "Lucía Gómez": 2}
    actors = {r[0] for r in rows(db, "SELECT DISTINCT actor FROM clientes_historial WHERE motivo = 'asignado'")}
    assert actors == {"system"}, "no one assigned them by hand"
    assert rows(db, "SELECT presencia, motivo_pausa FROM asesores WHERE id = 2") == [("en_pausa", "almuerzo")]
    # "Beto gets nothing now": the next lead goes to Ana, though she holds one and he none.
    cliente = db.call_one("sp_cargar_cliente_en_campana", "Marta Díaz", None, None, 2, 0)["cliente_id"]
    assert rows(db, "SELECT asesor_asignado FROM clientes WHERE id = %s", (cliente,)) == [(1,)]
    assert "Fibra" in output, "sp_listar_campanas shows the campaign"


CHECKS: dict[str, Callable[[Db, str], None]] = {
    "CALL sp_crear_asesor('Ana Torres');": check_lifecycle,
    "CALL sp_crear_campana('Fibra',": check_routing,
}


def test_every_readme_session_has_its_check() -> None:
    sessions = readme_sessions()
    unchecked = [s.splitlines()[0] for s in sessions if not any(s.startswith(k) for k in CHECKS)]
    assert not unchecked, f"README sessions with no check in this file: {unchecked}"
    assert len(sessions) == len(CHECKS), "a check whose session left the README"


@pytest.mark.parametrize("start", list(CHECKS), ids=["lifecycle", "routing"])
def test_a_dba_runs_the_readme_session_with_the_command_line_client(fresh: Db, start: str) -> None:
    (session,) = [s for s in readme_sessions() if s.startswith(start)]
    output = run_as_dba(fresh.url, session)
    CHECKS[start](fresh, output)
