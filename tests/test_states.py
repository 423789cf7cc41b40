"""The five customer states are declared once in Python (``rows.Estado``) and every
copy agrees with it: the column's ENUM in the migrated schema, each list of states in the
SQL (``sp_listar_clientes`` checks its filter against one), and the dashboard's list.
Adding a state means a migration that changes the ENUM, then these copies: this test names
each one that is behind."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from gateway.db.rows import Estado
from gateway.db.sqlfiles import SQL_DIR
from tests.support import Db

ESTADOS = get_args(Estado)
STATIC_JS = Path(__file__).resolve().parents[1] / "gateway" / "web" / "static" / "js"
QUOTED = re.compile(r"'([a-z_]+)'")
# A parenthesised list of quoted words in SQL (an ENUM, an IN list).
SQL_LIST = re.compile(r"\(\s*'[a-z_]+'(?:\s*,\s*'[a-z_]+')+\s*\)")


def test_the_column_enum_is_the_python_list(db: Db) -> None:
    (row,) = db.query(
        "SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'clientes' AND COLUMN_NAME = 'seguimiento_status'")
    column_type = row["t"].decode() if isinstance(row["t"], bytes) else str(row["t"])
    assert tuple(QUOTED.findall(column_type)) == ESTADOS, (
        f"clientes.seguimiento_status is {column_type}: rows.Estado must list the same states")


def test_every_list_of_states_in_the_sql_is_the_python_list() -> None:
    lists = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        for match in SQL_LIST.finditer(path.read_text(encoding="utf-8")):
            words = QUOTED.findall(match.group(0))
            if "nuevo" in words and "terminado" in words:  # a list of states, not of roles
                lists.append(path.name)
                assert set(words) == set(ESTADOS), f"{path.name} lists the states as {words}, Python as {ESTADOS}"
    # The ENUM of the first migration and sp_listar_clientes's check, at least.
    assert {"0001_esquema_inicial.sql", "sp_listar_clientes.sql"} <= set(lists), lists


def test_the_dashboard_lists_the_same_states() -> None:
    common = (STATIC_JS / "common.js").read_text(encoding="utf-8")
    match = re.search(r"export const ESTADOS = \[([^\]]*)\]", common)
    assert match, "gateway/web/static/js/common.js no longer exports ESTADOS"
    assert tuple(re.findall(r'"([a-z_]+)"', match.group(1))) == ESTADOS
    gtr = (STATIC_JS / "gtr.js").read_text(encoding="utf-8")
    order = re.search(r"const GROUP_ORDER = \[([^\]]*)\]", gtr)
    assert order, "gateway/web/static/js/gtr.js no longer has GROUP_ORDER"
    # The board groups them in an order of its own, but every state has a group.
    assert sorted(re.findall(r'"([a-z_]+)"', order.group(1))) == sorted(ESTADOS)
