"""A database a DBA made with a plain ``CREATE DATABASE``, whatever its defaults.

A routine's string parameters and variables take the database's default character set and
collation unless they declare their own. Before every one declared utf8mb4_unicode_ci, a
database made with the server's defaults (utf8mb4_0900_ai_ci on MySQL 9.7,
utf8mb4_uca1400_ai_ci on MariaDB 11.8, utf8mb4_general_ci on MariaDB 10.11) failed every
token check with 1267 (illegal mix of collations), and a latin1 default turned names outside
Latin-1 into question marks. These tests make such databases and use them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator

import pytest

from gateway.db.dburl import DatabaseUrl
from gateway.db.sqlfiles import load_objects
from tests.support import Db, dba_database

# What a DBA may have typed after CREATE DATABASE name.
DEFAULTS = {
    "server-default": "",
    "latin1": "CHARACTER SET latin1",
    "utf8mb4-general-ci": "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
}
# Spanish, Chinese, an emoji (outside the BMP) and combining-free Latin with diacritics.
NAMES = ("José Ñúñez Peña", "王小明", "Ana 😀 Pérez", "Zoë Ünal-Çelik")


@pytest.fixture(params=list(DEFAULTS), scope="module")
def dba_db(request: pytest.FixtureRequest, server: DatabaseUrl) -> Iterator[Db]:
    with dba_database(server, "seg_dba", DEFAULTS[request.param]) as db:
        yield db


@pytest.fixture
def db_made_by_a_dba(dba_db: Db) -> Db:
    dba_db.reset()
    return dba_db


def test_the_database_keeps_the_defaults_the_dba_chose(dba_db: Db, request: pytest.FixtureRequest) -> None:
    """migrate does not quietly change the database: the schema copes with it as it is."""
    (row,) = dba_db.query("SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co "
                          "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")
    option = DEFAULTS[request.node.callspec.params["dba_db"]]
    if "latin1" in option:
        assert row["cs"] == "latin1"
    elif "general_ci" in option:
        assert row["co"] == "utf8mb4_general_ci"


def test_a_token_is_recognised(db_made_by_a_dba: Db) -> None:
    db = db_made_by_a_dba
    asesor = db.asesor("Ana")
    digest = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    db.call("sp_crear_token", digest, "asesor", asesor, "probe")
    (row,) = db.call("sp_validar_token", digest)[0]
    assert (row["rol"], row["asesor_id"]) == ("asesor", asesor)
    assert db.call("sp_validar_token", "0" * 64) == [[]]


def test_names_outside_latin1_come_back_intact_every_way_in_and_out(db_made_by_a_dba: Db) -> None:
    db = db_made_by_a_dba
    asesor = db.asesor(NAMES[1])
    assert [a["nombre"] for a in db.call("sp_listar_asesores")[0]] == [NAMES[1]]

    loaded = db.nuevo_cliente(NAMES[0], "+51 999 111 222")
    lote = json.dumps([{"linea": i + 2, "nombre": name, "telefono": f"+51 999 000 00{i}",
                        "datos": json.dumps({"nota": name})} for i, name in enumerate(NAMES)], ensure_ascii=False)
    summary = db.call("sp_importar_lote", hashlib.sha256(lote.encode()).hexdigest(), "clientes ñ.csv", lote, 0)[0][0]
    assert (summary["cargados"], summary["rechazados"]) == (len(NAMES), 0)

    db.call("sp_derivar_cliente", loaded, asesor, "gtr")
    token = db.call_one("sp_tomar_cliente", loaded, asesor)["lock_token"]
    db.call("sp_abrir_wizard", loaded, asesor, token)
    db.call("sp_actualizar_cliente", loaded, asesor, token,
            json.dumps({"nombre": NAMES[2], "respuesta": NAMES[3]}, ensure_ascii=False))

    cliente = db.call_one("sp_obtener_cliente", loaded)
    assert cliente["nombre"] == NAMES[2]
    assert json.loads(cliente["datos"])["respuesta"] == NAMES[3]
    listed = {c["nombre"] for c in db.call("sp_listar_clientes", None, None, 100, 0)[1]}
    assert listed == {NAMES[2], *NAMES}
    imported_datos = {json.loads(r["datos"])["nota"] for r in db.query(
        "SELECT datos FROM clientes WHERE importacion_id IS NOT NULL")}
    assert imported_datos == set(NAMES)
    updated = [e for e in db.outbox() if e["event_type"] == "CLIENT_UPDATED"]
    assert updated[-1]["payload"]["nombre"] == NAMES[2]
    assert updated[-1]["payload"]["datos"]["respuesta"] == NAMES[3]


def test_the_seed_flow_and_the_sweep_work(db_made_by_a_dba: Db) -> None:
    db = db_made_by_a_dba
    asesor = db.asesor("Beto")
    done, token = db.en_gestion(asesor)
    db.call("sp_heartbeat_cliente", done, asesor, token)
    db.call("sp_completar_wizard", done, asesor, token)
    idle = db.derivado(asesor)
    db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE id = %s", (idle,))
    assert db.call_one("sp_barrido_seguimiento") == {"devueltos": 1, "omitido": 0}
    assert db.cliente(done)["seguimiento_status"] == "terminado"
    assert db.cliente(idle)["seguimiento_status"] == "no_gestionado"


# Every CHAR, VARCHAR and TEXT a routine declares (parameters, variables) must carry its own
# character set and collation, or it takes the database's. Temporary tables say it once, as
# a table option.
_STRING_TYPE = re.compile(r"\b(?:LONGTEXT|MEDIUMTEXT|TEXT|VARCHAR\(\d+\)|CHAR\(\d+\))", re.IGNORECASE)
_DECLARED = re.compile(r"\s+CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci\b")


def test_every_string_a_routine_declares_names_its_collation() -> None:
    missing = []
    for obj in load_objects():
        if obj.kind != "PROCEDURE":
            continue
        for statement in obj.statements:
            code = "\n".join(line.split("--", 1)[0] for line in statement.splitlines())
            code = re.sub(r"'(?:[^'\\]|\\.|'')*'", "''", code)  # string literals
            code = re.sub(r"CREATE TEMPORARY TABLE\b.*?\)\s*ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                          r"COLLATE=utf8mb4_unicode_ci", "", code, flags=re.DOTALL)
            for match in _STRING_TYPE.finditer(code):
                if not _DECLARED.match(code, match.end()):
                    missing.append(f"{obj.path.name}: {code[max(0, match.start() - 30):match.end() + 10]!r}")
    assert not missing, "\n".join(missing)
