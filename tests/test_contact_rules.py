"""The contact rules (nombre, telefono) agree wherever they are written.

The SQL is their source: ``_validar_contacto`` (used by sp_cargar_cliente and
sp_actualizar_cliente) and, set-based for a whole batch, ``sp_importar_lote``. For the same
samples, both SQL paths must store the same values or refuse with the same reason. The API's
request models (gateway/web/models.py) only bound what they forward: they must never refuse
a contact the SQL accepts, or the API would block a customer the import loads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import mysql.connector
import pydantic
import pytest

from gateway.db.errors import ErrorCode
from gateway.web.models import ActualizarCliente, ClienteNuevo
from tests.support import Db

GOOD_NOMBRE = "Juan Pérez"
GOOD_TELEFONO = "+51 999 888 777"
NOMBRES = [
    "Juan", "  Juan  ", "\tJuan\n", "Ana\tMaría", "", " ", "\t\r\n", "x" * 200, "x" * 201,
    " " + "x" * 200 + " ", "\n" + "ñ" * 200 + "\t", "😀" * 200, "😀" * 201, "\u00a0Nbsp\u00a0",
]
TELEFONOS = [
    None, "", "   ", GOOD_TELEFONO, "999-888-777", "(01) 555.1234", " 999888777 ", "12345", "123456",
    "1" * 15, "1" * 16, "+" + "1" * 15, "++123456", "+-123456", "llámame", "999888777\t", "٣٣٣٣٣٣٣",
    "9 9 9 8 8 8 7 7 7 6 6 6 5 5 5", "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1", "1" * 41,
]
SAMPLES = [(n, GOOD_TELEFONO) for n in NOMBRES] + [(GOOD_NOMBRE, t) for t in TELEFONOS]


@dataclass(frozen=True)
class Outcome:
    """What the SQL made of one contact: the stored values, or why it refused."""

    nombre: str | None = None
    telefono: str | None = None
    refused: str | None = None


def through_validar_contacto(db: Db, nombre: str, telefono: str | None) -> Outcome:
    try:
        db.execute("CALL _validar_contacto(%s, %s, @nombre, @telefono)", (nombre, telefono))
    except mysql.connector.Error as exc:
        assert (exc.sqlstate, exc.errno) == ("45000", int(ErrorCode.INVALID_INPUT)), exc
        return Outcome(refused=exc.msg)
    (row,) = db.query("SELECT @nombre AS nombre, @telefono AS telefono")
    return Outcome(nombre=row["nombre"], telefono=row["telefono"])


def through_the_import(db: Db, samples: list[tuple[str, str | None]]) -> list[Outcome]:
    filas = json.dumps([{"linea": i, "nombre": n, "telefono": t} for i, (n, t) in enumerate(samples, 1)])
    clave = hashlib.sha256(filas.encode()).hexdigest()
    head, rejected = db.call("sp_importar_lote", clave, "contact-rules", filas, 0)
    motivos = {r["linea"]: r["motivo"] for r in rejected}
    loaded = {r["importacion_linea"]: r for r in db.query(
        "SELECT importacion_linea, nombre, telefono FROM clientes WHERE importacion_id = %s",
        (head[0]["importacion_id"],))}
    assert len(motivos) + len(loaded) == len(samples)
    return [Outcome(refused=motivos[i]) if i in motivos
            else Outcome(nombre=loaded[i]["nombre"], telefono=loaded[i]["telefono"])
            for i in range(1, len(samples) + 1)]


def model_refusal(nombre: str, telefono: str | None) -> str | None:
    """Why the API's models refuse the contact (POST and PUT alike), or None."""
    try:
        ClienteNuevo.model_validate({"nombre": nombre, "telefono": telefono})
        ActualizarCliente.model_validate({"lockToken": "t", "nombre": nombre, "telefono": telefono})
    except pydantic.ValidationError as exc:
        return str(exc)
    return None


@pytest.fixture
def outcomes(db: Db) -> list[tuple[tuple[str, str | None], Outcome, Outcome]]:
    imported = through_the_import(db, SAMPLES)
    return [(sample, through_validar_contacto(db, *sample), by_import)
            for sample, by_import in zip(SAMPLES, imported, strict=True)]


def test_the_samples_cover_both_answers(outcomes: list[tuple[tuple[str, str | None], Outcome, Outcome]]) -> None:
    refused = {o.refused for _s, o, _i in outcomes if o.refused}
    assert len(refused) >= 3, refused  # nombre missing, too long, telefono malformed...
    assert sum(o.refused is None for _s, o, _i in outcomes) >= 10


def test_the_import_applies_the_rules_of_validar_contacto(
        outcomes: list[tuple[tuple[str, str | None], Outcome, Outcome]]) -> None:
    differ = [(sample, single, batch) for sample, single, batch in outcomes if single != batch]
    assert not differ, "sp_importar_lote and _validar_contacto disagree:\n" + "\n".join(
        f"  {sample!r}: _validar_contacto {single}, sp_importar_lote {batch}" for sample, single, batch in differ)


def test_the_api_models_never_refuse_what_the_sql_accepts(
        outcomes: list[tuple[tuple[str, str | None], Outcome, Outcome]]) -> None:
    blocked = [(sample, model_refusal(*sample)) for sample, single, _b in outcomes
               if single.refused is None and model_refusal(*sample) is not None]
    assert not blocked, "gateway/web/models.py refuses contacts the procedures accept:\n" + "\n".join(
        f"  {sample!r}: {why}" for sample, why in blocked)
