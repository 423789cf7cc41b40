"""The gateway runs as the app account of ``seguimiento grants``, and that account may call
exactly the procedures the gateway can call: none missing (a route would answer 500 with
1370 in production), none extra (a right nobody uses is a right an intruder gets).

What the gateway can call is derived from the code, not listed again: the modules that
serving loads (``gateway.web.app`` and ``gateway.web.server``, with everything they import, which
holds the route table), the catalogue functions of ``gateway/db/procedures.py`` they name, and
the one procedure each of those functions CALLs. The SQL says which procedures exist.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import aiohttp

from gateway.db import grants
from gateway.db.sqlfiles import SQL_DIR, load_objects
from gateway.web.routes import ROUTES
from tests.gateway.conftest import People
from tests.gateway.harness import Api, AppAccount, run, running_gateway
from tests.support import Db

PACKAGE = Path(grants.__file__).parent  # gateway/db, the database port
PROCEDURE_NAME = re.compile(r"^sp_[a-z0-9_]+$")
PROCEDURE_GRANT = re.compile(r"^GRANT EXECUTE ON PROCEDURE `([^`]+)`\.`([^`]+)` TO ", re.IGNORECASE)
USAGE_GRANT = re.compile(r"^GRANT USAGE ON \*\.\* TO ", re.IGNORECASE)


def serving_modules() -> dict[str, Path]:
    """The gateway's modules that a serving process loads, by name (a fresh interpreter, so
    the admin tools this test process imported do not count)."""
    code = ("import sys, gateway.web.app, gateway.web.server\n"
            "print('\\n'.join(f'{m} {sys.modules[m].__file__}' for m in sorted(sys.modules)"
            " if m.startswith('gateway.')))")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name: Path(path) for name, path in (line.split(" ", 1) for line in lines.splitlines())}


def catalogue() -> dict[str, str]:
    """Each catalogue function of gateway/db/procedures.py -> the procedure it CALLs."""
    tree = ast.parse((PACKAGE / "procedures.py").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = {c.value for c in ast.walk(node)
                     if isinstance(c, ast.Constant) and isinstance(c.value, str) and PROCEDURE_NAME.match(c.value)}
            if names:
                assert len(names) == 1, f"{node.name} names several procedures: {names}"
                found[node.name] = names.pop()
    return found


def named_procedures(path: Path, functions: dict[str, str]) -> set[str]:
    """The procedures one module can call: through the catalogue (``procedures.f`` or an
    imported ``f``), or by name in a string of its own."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {"procedures"}  # `from gateway.db import procedures` (as ...)
    called: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "gateway.db":
            aliases |= {a.asname or a.name for a in node.names if a.name == "procedures"}
        elif isinstance(node, ast.ImportFrom) and node.module == "gateway.db.procedures":
            called |= {functions[a.name] for a in node.names if a.name in functions}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr in functions:
                called.add(functions[node.attr])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PROCEDURE_NAME.match(node.value):
            called.add(node.value)
    return called


def gateway_procedures() -> set[str]:
    """Every procedure the serving gateway can call."""
    modules = serving_modules()
    assert "gateway.web.routes" in modules and "gateway.web.tailer" in modules, modules
    for route in ROUTES:  # the route table is inside what is scanned
        assert route.handler.__module__ in modules, route
    functions = catalogue()
    called: set[str] = set()
    for name, path in modules.items():
        # The catalogue's functions count only where they are used; gateway.db.outbox names
        # the event-writing procedures (some only the events or admin tools call) to say
        # what they do, not to call them.
        if name not in ("gateway.db.procedures", "gateway.db.outbox"):
            called |= named_procedures(path, functions)
    return called


def granted_procedures(db: Db, account: grants.Account) -> set[str]:
    """What the server says the account may EXECUTE; fails on any other right but USAGE."""
    cur = db.conn.cursor()
    cur.execute(f"SHOW GRANTS FOR {account.sql()}")
    lines = [str(row[0]) for row in cur.fetchall()]
    cur.close()
    database = db.url.database
    procedures = set()
    for line in lines:
        match = PROCEDURE_GRANT.match(line)
        if match and match.group(1) == database:
            procedures.add(match.group(2))
        else:
            assert USAGE_GRANT.match(line), f"the app account has a right beyond EXECUTE: {line}"
    return procedures


def test_the_derivation_sees_the_routes_the_tailer_and_the_token_check() -> None:
    called = gateway_procedures()
    # A route (the board), the tailer's reads, the token check on every request, /health:
    assert {"sp_listar_clientes", "sp_outbox_leer", "sp_outbox_limites", "sp_validar_token",
            "sp_estado_servidor", "sp_importar_lote_en_campana", "sp_reportar_conectados"} <= called
    # Admin tools (token create, demo) are not loaded by a serving gateway; the sweep is,
    # for a primary whose event does not run (gateway/web/sweeper.py).
    assert not called & {"sp_crear_token", "sp_revocar_token", "sp_configurar"}
    assert "sp_barrido_seguimiento" in called


def test_every_procedure_the_gateway_can_call_exists_in_the_sql() -> None:
    existing = {o.name for o in load_objects(SQL_DIR) if o.kind == "PROCEDURE"}
    assert gateway_procedures() - existing == set()


def test_the_app_account_may_call_exactly_what_the_gateway_can_call(db: Db, app_account: AppAccount) -> None:
    called = gateway_procedures()
    declared = set(grants.APP_PROCEDURES)
    assert len(declared) == len(grants.APP_PROCEDURES), "APP_PROCEDURES names a procedure twice"
    assert called - declared == set(), "called by the gateway, missing from grants.APP_PROCEDURES (1370 in production)"
    assert declared - called == set(), "in grants.APP_PROCEDURES but never called by the gateway: drop the right"
    granted = granted_procedures(db, app_account.accounts["app"])
    assert called - granted == set(), "called by the gateway, not granted by the server"
    assert granted - called == set(), "granted by the server, never called by the gateway"


@run()
async def test_the_gateway_logs_in_as_the_app_account(db: Db, people: People, app_account: AppAccount) -> None:
    app_user = app_account.accounts["app"].user
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        board = await Api(session, gw.base, people.gtr).call("GET", "/api/clientes", expect=200)
        assert board["total"] == 0
        users = {row["USER"] for row in db.query(
            "SELECT USER FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()")}
    assert app_user in users
    assert db.url.user not in users, f"some gateway connection logged in as {db.url.user}"
