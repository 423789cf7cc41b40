"""Bad input straight into every public procedure: a catalogue error, and nothing changed.

Each case calls one procedure with one bad argument (the others valid, so the bad one is what
is refused) and expects either a catalogue code or, where the procedure documents a harmless
answer (an unknown token is simply not valid), that exact answer. Either way no data table
changes. Then text that looks dangerous (quotes, SQL, unicode) must be stored verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.db.errors import ErrorCode
from gateway.db.sqlfiles import SQL_DIR
from tests.support import Db, Row, refused

MB10 = 10 * 1024 * 1024
BIG = "x" * MB10  # fits the server's 16 MB max_allowed_packet
BIG_JSON_OBJECT = '{"a": "' + "x" * (MB10 - 10) + '"}'
SQL_FRAGMENT = "x'); DROP TABLE clientes; -- "
QUOTED = "' OR '1'='1"
UNKNOWN = 10**12

# Procedures without parameters: there is no input to get wrong.
NO_PARAMETERS = {"sp_barrido_seguimiento", "sp_listar_asesores", "sp_outbox_limites",
                 "sp_estado_servidor", "sp_purgar_outbox", "sp_caducar_tokens", "sp_resumir_historial",
                 "sp_distribuir", "sp_listar_campanas", "sp_panel_asesores", "sp_listar_motivos_pausa",
                 "sp_listar_motivos_pausa_todos"}


@dataclass
class World:
    """A small valid world each case bends one argument of."""

    ana: int
    bea: int
    nuevo: int
    derivado: int  # assigned to ana, lock taken
    token: str
    en_gestion: int  # assigned to ana, wizard open
    token_eg: str
    gtr_token: int  # a live GTR token's id (the emisor of desk administration)
    asesor_token: int  # ana's live token's id


@dataclass(frozen=True)
class Case:
    procedure: str
    name: str
    args: Callable[[World], tuple[Any, ...]]
    expect: ErrorCode | list[list[Row]]


def hexdigest(char: str) -> str:
    return char * 64


C: list[Case] = []
value: object  # the loops below reuse it for values of every type


def case(procedure: str, name: str, expect: ErrorCode | list[list[Row]],
         args: Callable[[World], tuple[Any, ...]]) -> None:
    C.append(Case(procedure, name, args, expect))


E = ErrorCode

# sp_crear_asesor(nombre)
for name, value in (("NULL", None), ("empty", ""), ("blank", "     "), ("10MB", BIG), ("121 chars", "a" * 121)):
    case("sp_crear_asesor", f"nombre {name}", E.INVALID_INPUT, lambda w, v=value: (v,))

# sp_cargar_cliente(nombre, telefono, datos_json)
for name, value in (("NULL", None), ("empty", ""), ("blank", "   "), ("10MB", BIG), ("201 chars", "a" * 201)):
    case("sp_cargar_cliente", f"nombre {name}", E.INVALID_INPUT, lambda w, v=value: (v, "999888777", None))
for name, value in (("10MB", BIG), ("letters", "abc"), ("5 digits", "12345"), ("16 digits", "+1234567890123456"),
                    ("SQL", SQL_FRAGMENT), ("quoted", QUOTED), ("two pluses", "++51999888777"),
                    ("newline", "999888777\n; DELETE FROM clientes")):
    case("sp_cargar_cliente", f"telefono {name}", E.INVALID_INPUT, lambda w, v=value: ("Ana", v, None))
for name, value in (("malformed", "{"), ("truncated", '{"a": '), ("single quotes", "{'a': 1}"),
                    ("array", "[1, 2]"), ("string", '"texto"'), ("number", "42"), ("null literal", "null"),
                    ("true", "true"), ("empty", ""), ("10MB text", BIG), ("10MB object", BIG_JSON_OBJECT),
                    ("over 64 KiB", '{"a": "' + "x" * 70_000 + '"}'), ("SQL", SQL_FRAGMENT)):
    case("sp_cargar_cliente", f"datos {name}", E.INVALID_INPUT, lambda w, v=value: ("Ana", None, v))

# sp_derivar_cliente(cliente_id, asesor_id, actor)
case("sp_derivar_cliente", "cliente NULL", E.INVALID_INPUT, lambda w: (None, w.bea, "gtr"))
case("sp_derivar_cliente", "asesor NULL", E.INVALID_INPUT, lambda w: (w.nuevo, None, "gtr"))
case("sp_derivar_cliente", "cliente negative", E.CLIENTE_NOT_FOUND, lambda w: (-1, w.bea, "gtr"))
case("sp_derivar_cliente", "cliente unknown", E.CLIENTE_NOT_FOUND, lambda w: (UNKNOWN, w.bea, "gtr"))
case("sp_derivar_cliente", "asesor negative", E.ASESOR_NOT_FOUND, lambda w: (w.nuevo, -1, "gtr"))
case("sp_derivar_cliente", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (w.nuevo, UNKNOWN, "gtr"))
for name, value in (("NULL", None), ("empty", ""), ("10MB", BIG), ("SQL", "gtr'; DROP TABLE clientes; --"),
                    ("quoted", QUOTED), ("trailing space", "gtr "), ("asesor", "asesor"), ("system", "system")):
    case("sp_derivar_cliente", f"actor {name}", E.INVALID_INPUT, lambda w, v=value: (w.nuevo, w.bea, v))

# The asesor procedures: (cliente_id, asesor_id[, lock_token[, datos_json]]).
ASESOR_PROCS = ("sp_tomar_cliente", "sp_heartbeat_cliente", "sp_abrir_wizard", "sp_actualizar_cliente",
                "sp_completar_wizard", "sp_liberar_cliente")


def asesor_args(procedure: str, cliente: int | None, asesor: int | None, token: str | None,
                datos: str | None = '{"nota": "ok"}') -> tuple[Any, ...]:
    if procedure == "sp_tomar_cliente":
        return (cliente, asesor)
    if procedure == "sp_actualizar_cliente":
        return (cliente, asesor, token, datos)
    return (cliente, asesor, token)


def target(procedure: str, w: World) -> tuple[int, str]:
    """The customer a procedure can legally act on, and its live token."""
    return (w.en_gestion, w.token_eg) if procedure == "sp_completar_wizard" else (w.derivado, w.token)


for proc in ASESOR_PROCS:
    case(proc, "cliente NULL", E.INVALID_INPUT, lambda w, p=proc: asesor_args(p, None, w.ana, target(p, w)[1]))
    case(proc, "asesor NULL", E.INVALID_INPUT, lambda w, p=proc: asesor_args(p, target(p, w)[0], None, target(p, w)[1]))
    case(proc, "cliente negative", E.CLIENTE_NOT_FOUND, lambda w, p=proc: asesor_args(p, -1, w.ana, target(p, w)[1]))
    case(proc, "cliente unknown", E.CLIENTE_NOT_FOUND,
         lambda w, p=proc: asesor_args(p, UNKNOWN, w.ana, target(p, w)[1]))
    case(proc, "asesor negative", E.NOT_ASSIGNED,
         lambda w, p=proc: asesor_args(p, target(p, w)[0], -1, target(p, w)[1]))
    case(proc, "asesor unknown", E.NOT_ASSIGNED,
         lambda w, p=proc: asesor_args(p, target(p, w)[0], UNKNOWN, target(p, w)[1]))
    if proc == "sp_tomar_cliente":
        continue
    for name, value in (("NULL", None), ("empty", ""), ("10MB", BIG), ("quoted", QUOTED),
                        ("36-char SQL", (QUOTED + " -- ").ljust(36, "x")), ("SQL", SQL_FRAGMENT)):
        case(proc, f"token {name}", E.LOCK_INVALID,
             lambda w, p=proc, v=value: asesor_args(p, target(p, w)[0], w.ana, v))

for name, value in (("NULL", None), ("malformed", "{"), ("array", "[]"), ("string", '"x"'), ("number", "1"),
                    ("null literal", "null"), ("10MB text", BIG), ("10MB object", BIG_JSON_OBJECT),
                    ("nombre empty", '{"nombre": ""}'), ("nombre null", '{"nombre": null}'),
                    ("nombre object", '{"nombre": {"a": 1}}'),
                    ("nombre 201 chars", json.dumps({"nombre": "a" * 201})),
                    ("telefono letters", '{"telefono": "abc"}'),
                    ("telefono SQL", json.dumps({"telefono": SQL_FRAGMENT})),
                    ("telefono number", '{"telefono": 999888777}')):
    case("sp_actualizar_cliente", f"datos {name}", E.INVALID_INPUT,
         lambda w, v=value: (w.derivado, w.ana, w.token, v))

# sp_crear_token(token_sha256, rol, asesor_id, descripcion)
# (Upper-case hex is accepted: the hash column compares case-insensitively, so it is the
# same digest either way.)
for name, value in (("NULL", None), ("short", "abc"), ("10MB", BIG), ("not hex", hexdigest("g")),
                    ("65 chars", "a" * 65), ("63 chars", "a" * 63), ("quoted", QUOTED)):
    case("sp_crear_token", f"hash {name}", E.INVALID_INPUT, lambda w, v=value: (v, "gtr", None, None))
for name, value in (("NULL", None), ("empty", ""), ("admin", "admin"), ("10MB", BIG), ("SQL", SQL_FRAGMENT)):
    case("sp_crear_token", f"rol {name}", E.INVALID_INPUT, lambda w, v=value: (hexdigest("a"), v, None, None))
case("sp_crear_token", "gtr with asesor", E.INVALID_INPUT, lambda w: (hexdigest("a"), "gtr", w.ana, None))
case("sp_crear_token", "asesor NULL", E.ASESOR_NOT_FOUND, lambda w: (hexdigest("a"), "asesor", None, None))
case("sp_crear_token", "asesor negative", E.ASESOR_NOT_FOUND, lambda w: (hexdigest("a"), "asesor", -1, None))
case("sp_crear_token", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (hexdigest("a"), "asesor", UNKNOWN, None))
case("sp_crear_token", "descripcion 10MB", E.INVALID_INPUT, lambda w: (hexdigest("a"), "gtr", None, BIG))
case("sp_crear_token", "descripcion 201 chars", E.INVALID_INPUT, lambda w: (hexdigest("a"), "gtr", None, "d" * 201))

# sp_crear_token_con_vigencia(token_sha256, rol, asesor_id, descripcion, vigencia_segundos)
for name, value in (("negative", -1), ("over ten years", 315360001), ("huge", 2**62)):
    case("sp_crear_token_con_vigencia", f"vigencia {name}", E.INVALID_INPUT,
         lambda w, v=value: (hexdigest("a"), "gtr", None, None, v))
case("sp_crear_token_con_vigencia", "hash NULL", E.INVALID_INPUT, lambda w: (None, "gtr", None, None, 60))
case("sp_crear_token_con_vigencia", "asesor unknown", E.ASESOR_NOT_FOUND,
     lambda w: (hexdigest("a"), "asesor", UNKNOWN, None, 60))

# sp_desactivar_asesor(asesor_id, actor) and sp_activar_asesor(asesor_id, actor)
for proc in ("sp_desactivar_asesor", "sp_activar_asesor"):
    case(proc, "asesor NULL", E.INVALID_INPUT, lambda w: (None, "gtr"))
    case(proc, "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (UNKNOWN, "gtr"))
    for name, value in (("NULL", None), ("asesor", "asesor"), ("10MB", BIG), ("quoted", QUOTED)):
        case(proc, f"actor {name}", E.INVALID_INPUT, lambda w, v=value: (w.ana, v))
case("sp_activar_asesor", "already active", E.ASESOR_STATE_UNCHANGED, lambda w: (w.ana, "gtr"))

# sp_validar_token(token_sha256): an unknown token is documented as "no row", not an error.
for name, value in (("NULL", None), ("10MB", BIG), ("quoted", QUOTED), ("SQL", SQL_FRAGMENT)):
    case("sp_validar_token", f"hash {name}", [[]], lambda w, v=value: (v,))

# sp_revocar_token(token_id): revoking nothing is documented as revocados 0.
for name, value in (("NULL", None), ("negative", -1), ("unknown", UNKNOWN)):
    case("sp_revocar_token", f"id {name}", [[{"revocados": 0}]], lambda w, v=value: (v,))

# sp_listar_clientes(estado, asesor_id, limite, desplazamiento)
for name, value in (("unknown", "bogus"), ("empty", ""), ("10MB", BIG), ("quoted", "nuevo" + QUOTED),
                    ("SQL", SQL_FRAGMENT)):
    case("sp_listar_clientes", f"estado {name}", E.INVALID_INPUT, lambda w, v=value: (v, None, 10, 0))
for name, value in (("NULL", None), ("zero", 0), ("negative", -1), ("1001", 1001)):
    case("sp_listar_clientes", f"limite {name}", E.INVALID_INPUT, lambda w, v=value: (None, None, v, 0))
for name, value in (("NULL", None), ("negative", -1)):
    case("sp_listar_clientes", f"desplazamiento {name}", E.INVALID_INPUT, lambda w, v=value: (None, None, 10, v))

# sp_listar_clientes_de_campana(campana_id, estado, asesor_id, limite, desplazamiento)
case("sp_listar_clientes_de_campana", "campana NULL", E.INVALID_INPUT, lambda w: (None, None, None, 10, 0))
for name, value in (("unknown", UNKNOWN), ("zero", 0), ("negative", -1)):
    case("sp_listar_clientes_de_campana", f"campana {name}", E.CAMPANA_NOT_FOUND,
         lambda w, v=value: (v, None, None, 10, 0))
for name, value in (("unknown", "bogus"), ("empty", ""), ("10MB", BIG), ("quoted", "nuevo" + QUOTED),
                    ("SQL", SQL_FRAGMENT)):
    case("sp_listar_clientes_de_campana", f"estado {name}", E.INVALID_INPUT, lambda w, v=value: (1, v, None, 10, 0))
for name, value in (("NULL", None), ("zero", 0), ("negative", -1), ("1001", 1001)):
    case("sp_listar_clientes_de_campana", f"limite {name}", E.INVALID_INPUT, lambda w, v=value: (1, None, None, v, 0))
for name, value in (("NULL", None), ("negative", -1)):
    case("sp_listar_clientes_de_campana", f"desplazamiento {name}", E.INVALID_INPUT,
         lambda w, v=value: (1, None, None, 10, v))

# sp_obtener_cliente(cliente_id), sp_historial_cliente(cliente_id)
for proc in ("sp_obtener_cliente", "sp_historial_cliente"):
    for name, value in (("NULL", None), ("negative", -1), ("unknown", UNKNOWN)):
        case(proc, f"cliente {name}", E.CLIENTE_NOT_FOUND, lambda w, v=value: (v,))

# sp_outbox_leer(desde_id, limite)
for name, args in (("desde NULL", (None, 10)), ("desde negative", (-1, 10)), ("limite NULL", (0, None)),
                   ("limite zero", (0, 0)), ("limite negative", (0, -5)), ("limite 10001", (0, 10001))):
    case("sp_outbox_leer", name, E.INVALID_INPUT, lambda w, a=args: a)

# sp_importar_lote(clave, origen, filas_json, omitir_duplicados)
FILA = '[{"linea": 1, "nombre": "Ana", "telefono": "999888777"}]'
for name, value in (("NULL", None), ("short", "abc"), ("10MB", BIG), ("SQL", SQL_FRAGMENT)):
    case("sp_importar_lote", f"clave {name}", E.INVALID_INPUT, lambda w, v=value: (v, "f.csv", FILA, 0))
for name, value in (("NULL", None), ("malformed", "[{"), ("object", '{"linea": 1}'), ("string", '"x"'),
                    ("10MB text", BIG), ("10001 rows", "[" + ",".join(["{}"] * 10_001) + "]")):
    case("sp_importar_lote", f"filas {name}", E.INVALID_INPUT, lambda w, v=value: (hexdigest("b"), "f.csv", v, 0))
case("sp_importar_lote", "origen 10MB", E.INVALID_INPUT, lambda w: (hexdigest("b"), BIG, FILA, 0))

# sp_configurar(clave, valor)
for name, value in (("NULL", None), ("unknown", "no_such_setting"), ("10MB", BIG), ("SQL", SQL_FRAGMENT),
                    ("quoted", "timeout_segundos" + QUOTED)):
    case("sp_configurar", f"clave {name}", E.INVALID_INPUT, lambda w, v=value: (v, 60))
for name, value in (("NULL", None), ("zero", 0), ("negative", -1), ("over a day", 86_401)):
    case("sp_configurar", f"timeout {name}", E.INVALID_INPUT, lambda w, v=value: ("timeout_segundos", v))

# --- routing (issue 13) ---
# sp_cargar_cliente_en_campana(nombre, telefono, datos_json, campana_id, prioridad)
case("sp_cargar_cliente_en_campana", "nombre NULL", E.INVALID_INPUT, lambda w: (None, None, None, 1, 0))
for name, value in (("unknown", UNKNOWN), ("negative", -1), ("zero", 0)):
    case("sp_cargar_cliente_en_campana", f"campana {name}", E.CAMPANA_NOT_FOUND,
         lambda w, v=value: ("Ana", None, None, v, 0))
for name, value in (("1001", 1001), ("-1001", -1001), ("huge", 10**15)):
    case("sp_cargar_cliente_en_campana", f"prioridad {name}", E.INVALID_INPUT,
         lambda w, v=value: ("Ana", None, None, 1, v))

# sp_importar_lote_en_campana(clave, origen, filas_json, omitir_duplicados, campana_id, prioridad)
case("sp_importar_lote_en_campana", "campana unknown", E.CAMPANA_NOT_FOUND,
     lambda w: (hexdigest("b"), "f.csv", FILA, 0, UNKNOWN, 0))
case("sp_importar_lote_en_campana", "prioridad -1001", E.INVALID_INPUT,
     lambda w: (hexdigest("b"), "f.csv", FILA, 0, 1, -1001))
case("sp_importar_lote_en_campana", "clave short", E.INVALID_INPUT, lambda w: ("abc", "f.csv", FILA, 0, 1, 0))

# sp_crear_campana(nombre, timeout_segundos, prioridad, modo, reciclaje_segundos, max_devoluciones)
for name, value in (("NULL", None), ("empty", ""), ("blank", "   "), ("121 chars", "a" * 121), ("10MB", BIG)):
    case("sp_crear_campana", f"nombre {name}", E.INVALID_INPUT, lambda w, v=value: (v, None, 0, "auto", 0, 3))
case("sp_crear_campana", "nombre taken", E.CAMPANA_EXISTS, lambda w: ("general", None, 0, "auto", 0, 3))
case("sp_crear_campana", "nombre taken, other case", E.CAMPANA_EXISTS, lambda w: (" GENERAL ", None, 0, None, 0, 3))
for name, campana_args in (("timeout 0", (0, 0, "auto", 0, 3)), ("timeout over a day", (86_401, 0, "auto", 0, 3)),
                   ("prioridad 1001", (None, 1001, "auto", 0, 3)), ("modo unknown", (None, 0, "robot", 0, 3)),
                   ("modo SQL", (None, 0, SQL_FRAGMENT, 0, 3)), ("modo 10MB", (None, 0, BIG, 0, 3)),
                   ("reciclaje negative", (None, 0, "auto", -1, 3)),
                   ("max_devoluciones 1001", (None, 0, "auto", 0, 1001))):
    case("sp_crear_campana", name, E.INVALID_INPUT, lambda w, a=campana_args: ("Nueva", *a))

# sp_configurar_campana(campana_id, clave, valor)
case("sp_configurar_campana", "campana NULL", E.INVALID_INPUT, lambda w: (None, "prioridad", "1"))
case("sp_configurar_campana", "campana unknown", E.CAMPANA_NOT_FOUND, lambda w: (UNKNOWN, "prioridad", "1"))
for name, value in (("NULL", None), ("unknown", "color"), ("10MB", BIG), ("SQL", SQL_FRAGMENT)):
    case("sp_configurar_campana", f"clave {name}", E.INVALID_INPUT, lambda w, v=value: (1, v, "1"))
for clave, value in (("nombre", None), ("nombre", "  "), ("nombre", "a" * 121), ("timeout_segundos", "0"),
                     ("timeout_segundos", "abc"), ("prioridad", None), ("prioridad", "1.5"), ("prioridad", "2000"),
                     ("modo", "robot"), ("modo", None), ("reciclaje_segundos", "-1"), ("max_devoluciones", "x"),
                     ("pausa_tras_timeouts", "1001"), ("activa", "2"), ("activa", None), ("prioridad", BIG)):
    label = "NULL" if value is None else ("10MB" if value is BIG else repr(value))
    case("sp_configurar_campana", f"{clave} {label}", E.INVALID_INPUT, lambda w, c=clave, v=value: (1, c, v))

# sp_configurar_campana_varios(campana_id, cambios_json). A clave given twice is refused on
# MariaDB only (MySQL's parser keeps the last): tests/test_configurar_campana_varios.py.
case("sp_configurar_campana_varios", "campana NULL", E.INVALID_INPUT, lambda w: (None, '{"prioridad": 1}'))
case("sp_configurar_campana_varios", "campana unknown", E.CAMPANA_NOT_FOUND, lambda w: (UNKNOWN, '{"prioridad": 1}'))
for name, value in (("NULL", None), ("empty", ""), ("malformed", "{"), ("array", '[{"prioridad": 1}]'),
                    ("string", '"prioridad"'), ("number", "42"), ("null literal", "null"), ("empty object", "{}"),
                    ("10MB", BIG), ("SQL", SQL_FRAGMENT), ("unknown clave", '{"color": 1}'),
                    ("clave in capitals", '{"PRIORIDAD": 1}'), ("clave with a quote", '{"prioridad\\"": 1}'),
                    ("clave a path", '{"a.b": 1}'), ("clave empty", '{"": 1}'), ("clave 10MB", '{"' + BIG + '": 1}'),
                    ("clave SQL", json.dumps({SQL_FRAGMENT: 1}))):
    case("sp_configurar_campana_varios", f"cambios {name}", E.INVALID_INPUT, lambda w, v=value: (1, v))
for cambios in ({"nombre": None}, {"nombre": 5}, {"nombre": "  "}, {"nombre": "a" * 121}, {"nombre": ["x"]},
                {"timeout_segundos": 0}, {"timeout_segundos": "600"}, {"timeout_segundos": 1.5},
                {"prioridad": None}, {"prioridad": 2000}, {"prioridad": "5"}, {"prioridad": True},
                {"prioridad": {"a": 1}}, {"prioridad": 1e3}, {"modo": "robot"}, {"modo": None}, {"modo": 1},
                {"reciclaje_segundos": -1}, {"max_devoluciones": [1]}, {"pausa_tras_timeouts": 1001},
                {"activa": 2}, {"activa": None}, {"activa": "true"}, {"prioridad": BIG},
                # A good setting beside a bad one: neither is applied.
                {"prioridad": 5, "modo": "robot"}, {"nombre": "Nueva", "activa": 2},
                {"timeout_segundos": 600, "max_devoluciones": 5, "color": 1}):
    value = json.dumps(cambios)
    case("sp_configurar_campana_varios", f"cambios {value[:60]}", E.INVALID_INPUT, lambda w, v=value: (1, v))

# sp_asignar_habilidad / sp_quitar_habilidad(asesor_id, campana_id)
for procedure in ("sp_asignar_habilidad", "sp_quitar_habilidad"):
    case(procedure, "asesor NULL", E.INVALID_INPUT, lambda w: (None, 1))
    case(procedure, "campana NULL", E.INVALID_INPUT, lambda w: (w.ana, None))
    case(procedure, "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (UNKNOWN, 1))
    case(procedure, "campana unknown", E.CAMPANA_NOT_FOUND, lambda w: (w.ana, UNKNOWN))

# sp_fijar_capacidad(asesor_id, capacidad)
case("sp_fijar_capacidad", "asesor NULL", E.INVALID_INPUT, lambda w: (None, 2))
case("sp_fijar_capacidad", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (UNKNOWN, 2))
for name, value in (("NULL", None), ("zero", 0), ("negative", -3), ("101", 101)):
    case("sp_fijar_capacidad", f"capacidad {name}", E.INVALID_INPUT, lambda w, v=value: (w.ana, v))
case("sp_fijar_capacidad", "unchanged", E.ASESOR_STATE_UNCHANGED, lambda w: (w.ana, 1))

# sp_cambiar_presencia(asesor_id, presencia, motivo_pausa, actor)
case("sp_cambiar_presencia", "asesor NULL", E.INVALID_INPUT, lambda w: (None, "disponible", None, "gtr"))
case("sp_cambiar_presencia", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (UNKNOWN, "disponible", None, "gtr"))
for name, value in (("NULL", None), ("unknown", "ocupado"), ("10MB", BIG), ("SQL", SQL_FRAGMENT)):
    case("sp_cambiar_presencia", f"presencia {name}", E.INVALID_INPUT, lambda w, v=value: (w.ana, v, None, "gtr"))
for name, value in (("NULL", None), ("system", "system"), ("10MB", BIG)):
    case("sp_cambiar_presencia", f"actor {name}", E.INVALID_INPUT, lambda w, v=value: (w.ana, "disponible", None, v))
for name, value in (("NULL", None), ("unknown", "siesta"), ("10MB", BIG), ("SQL", SQL_FRAGMENT), ("empty", "")):
    case("sp_cambiar_presencia", f"motivo {name}", E.PAUSE_REASON_INVALID,
         lambda w, v=value: (w.ana, "en_pausa", v, "asesor"))
case("sp_cambiar_presencia", "motivo with disponible", E.PAUSE_REASON_INVALID,
     lambda w: (w.ana, "disponible", "almuerzo", "asesor"))
case("sp_cambiar_presencia", "unchanged", E.ASESOR_STATE_UNCHANGED, lambda w: (w.ana, "desconectado", None, "gtr"))

# sp_configurar_motivo_pausa(codigo, descripcion, activo)
for name, value in (("NULL", None), ("upper case", "Cafe"), ("41 chars", "a" * 41), ("SQL", SQL_FRAGMENT),
                    ("empty", ""), ("10MB", BIG)):
    case("sp_configurar_motivo_pausa", f"codigo {name}", E.INVALID_INPUT, lambda w, v=value: (v, "Coffee", 1))
for name, value in (("NULL", None), ("blank", "  "), ("201 chars", "a" * 201), ("10MB", BIG)):
    case("sp_configurar_motivo_pausa", f"descripcion {name}", E.INVALID_INPUT, lambda w, v=value: ("cafe", v, 1))
case("sp_configurar_motivo_pausa", "activo 2", E.INVALID_INPUT, lambda w: ("cafe", "Coffee", 2))
case("sp_configurar_motivo_pausa", "timeouts off", E.INVALID_INPUT, lambda w: ("timeouts", "x", 0))

# sp_reportar_conectados(asesores_json)
for name, value in (("NULL", None), ("malformed", "[1,"), ("object", '{"a": 1}'), ("string", '"1"'),
                    ("strings", '["x"]'), ("null item", "[null]"), ("decimal", "[1.5]"), ("negative", "[-1]"),
                    ("nested", "[[1]]"), ("10MB", BIG), ("10001 ids", "[" + ",".join(["1"] * 10_001) + "]")):
    case("sp_reportar_conectados", f"asesores {name}", E.INVALID_INPUT, lambda w, v=value: (v,))

# sp_siguiente_cliente(asesor_id)
case("sp_siguiente_cliente", "asesor NULL", E.INVALID_INPUT, lambda w: (None,))
case("sp_siguiente_cliente", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (UNKNOWN,))
case("sp_siguiente_cliente", "asesor desconectado", E.ASESOR_NOT_AVAILABLE, lambda w: (w.ana,))

# sp_devolver_cliente(cliente_id, asesor_id, motivo)
for name, value in (("NULL", None), ("empty", ""), ("blank", "  "), ("201 chars", "a" * 201), ("10MB", BIG)):
    case("sp_devolver_cliente", f"motivo {name}", E.INVALID_INPUT, lambda w, v=value: (w.derivado, w.ana, v))
case("sp_devolver_cliente", "cliente NULL", E.INVALID_INPUT, lambda w: (None, w.ana, "x"))
case("sp_devolver_cliente", "cliente unknown", E.CLIENTE_NOT_FOUND, lambda w: (UNKNOWN, w.ana, "x"))
case("sp_devolver_cliente", "cliente nuevo", E.INVALID_TRANSITION, lambda w: (w.nuevo, w.ana, "x"))
case("sp_devolver_cliente", "not its asesor", E.NOT_ASSIGNED, lambda w: (w.derivado, w.bea, "x"))

# The desk's reports: (desde, hasta, asesor_id[, umbral_segundos]).
H0, H1 = datetime(2026, 1, 15, 10), datetime(2026, 1, 15, 11)
for proc in ("sp_reporte_asesores", "sp_reporte_por_hora", "sp_reporte_velocidad"):
    extra: tuple[Any, ...] = (None,) if proc == "sp_reporte_velocidad" else ()
    for name, rango in (("desde NULL", (None, H1)), ("hasta NULL", (H0, None)), ("hasta before desde", (H1, H0)),
                        ("empty range", (H0, H0)), ("desde not on the hour", (H0 + timedelta(minutes=30), H1)),
                        ("hasta with microseconds", (H0, H1 + timedelta(microseconds=1))),
                        ("over 366 days", (H0, H0 + timedelta(days=367)))):
        case(proc, name, E.INVALID_INPUT, lambda w, r=rango, x=extra: (*r, None, *x))
    for name, value in (("negative", -1), ("unknown", UNKNOWN)):
        case(proc, f"asesor {name}", E.ASESOR_NOT_FOUND, lambda w, v=value, x=extra: (H0, H1, v, *x))
for name, value in (("zero", 0), ("negative", -1), ("over a day", 86_401)):
    case("sp_reporte_velocidad", f"umbral {name}", E.INVALID_INPUT, lambda w, v=value: (H0, H1, None, v))

# sp_reporte_campanas(desde, hasta, asesor_id, campana_id, umbral_segundos)
for name, rango in (("desde NULL", (None, H1)), ("hasta before desde", (H1, H0)),
                    ("desde not on the hour", (H0 + timedelta(minutes=30), H1)),
                    ("over 366 days", (H0, H0 + timedelta(days=367)))):
    case("sp_reporte_campanas", name, E.INVALID_INPUT, lambda w, r=rango: (*r, None, None, None))
case("sp_reporte_campanas", "asesor unknown", E.ASESOR_NOT_FOUND, lambda w: (H0, H1, UNKNOWN, None, None))
for name, value in (("negative", -1), ("unknown", UNKNOWN)):
    case("sp_reporte_campanas", f"campana {name}", E.CAMPANA_NOT_FOUND, lambda w, v=value: (H0, H1, None, v, None))
for name, value in (("zero", 0), ("over a day", 86_401)):
    case("sp_reporte_campanas", f"umbral {name}", E.INVALID_INPUT, lambda w, v=value: (H0, H1, None, None, v))

# sp_tablero(segundos_aviso, limite)
for name, args in (("aviso zero", (0, 10)), ("aviso over a day", (86_401, 10)), ("limite zero", (60, 0)),
                   ("limite 501", (60, 501)), ("limite negative", (60, -1))):
    case("sp_tablero", name, E.INVALID_INPUT, lambda w, a=args: a)

# sp_historial_cliente_de_asesor(asesor_id, cliente_id)
case("sp_historial_cliente_de_asesor", "asesor NULL", E.INVALID_INPUT, lambda w: (None, w.derivado))
case("sp_historial_cliente_de_asesor", "cliente NULL", E.INVALID_INPUT, lambda w: (w.ana, None))
case("sp_historial_cliente_de_asesor", "cliente unknown", E.CLIENTE_NOT_FOUND, lambda w: (w.ana, UNKNOWN))
case("sp_historial_cliente_de_asesor", "another asesor's", E.NOT_ASSIGNED, lambda w: (w.bea, w.derivado))
case("sp_historial_cliente_de_asesor", "unassigned", E.NOT_ASSIGNED, lambda w: (w.ana, w.nuevo))

# Desk administration: the emisor first. An asesor's token, an unknown one, NULL.
GTR_PROCS: dict[str, Callable[[World], tuple[Any, ...]]] = {
    "sp_gtr_crear_asesor": lambda w: ("Carla",),
    "sp_gtr_desactivar_asesor": lambda w: (w.bea,),
    "sp_gtr_activar_asesor": lambda w: (w.bea,),
    "sp_gtr_configurar": lambda w: ("timeout_segundos", 600),
    "sp_gtr_emitir_token_asesor": lambda w: (w.bea, hexdigest("c"), None, None),
    "sp_gtr_configurar_motivo_pausa": lambda w: ("cafe", "Coffee", 1),
}
for proc, rest in GTR_PROCS.items():
    case(proc, "emisor NULL", E.INVALID_INPUT, lambda w, r=rest: (None, *r(w)))
    case(proc, "emisor unknown", E.NOT_PERMITTED, lambda w, r=rest: (UNKNOWN, *r(w)))
    case(proc, "emisor an asesor token", E.NOT_PERMITTED, lambda w, r=rest: (w.asesor_token, *r(w)))
for name, value in (("NULL", None), ("blank", "   "), ("121 chars", "a" * 121), ("10MB", BIG)):
    case("sp_gtr_crear_asesor", f"nombre {name}", E.INVALID_INPUT, lambda w, v=value: (w.gtr_token, v))
for proc in ("sp_gtr_desactivar_asesor", "sp_gtr_activar_asesor"):
    case(proc, "asesor NULL", E.INVALID_INPUT, lambda w, p=proc: (w.gtr_token, None))
    case(proc, "asesor unknown", E.ASESOR_NOT_FOUND, lambda w, p=proc: (w.gtr_token, UNKNOWN))
case("sp_gtr_activar_asesor", "asesor already active", E.ASESOR_STATE_UNCHANGED, lambda w: (w.gtr_token, w.bea))
for name, value in (("NULL", None), ("unknown", "no_such_setting"), ("10MB", BIG)):
    case("sp_gtr_configurar", f"clave {name}", E.INVALID_INPUT, lambda w, v=value: (w.gtr_token, v, 60))
case("sp_gtr_configurar", "a server setting", E.NOT_PERMITTED, lambda w: (w.gtr_token, "barrido_lote", 10))
for name, value in (("NULL", None), ("zero", 0), ("over a day", 86_401)):
    case("sp_gtr_configurar", f"timeout {name}", E.INVALID_INPUT,
         lambda w, v=value: (w.gtr_token, "timeout_segundos", v))
TOKEN_CASES: tuple[tuple[str, Callable[[World], tuple[Any, ...]]], ...] = (
                   ("asesor NULL", lambda w: (None, hexdigest("c"), None, None)),
                   ("asesor unknown", lambda w: (UNKNOWN, hexdigest("c"), None, None)),
                   ("hash NULL", lambda w: (w.bea, None, None, None)),
                   ("hash already recorded", lambda w: (w.bea, hexdigest("1"), None, None)),
                   ("descripcion 201 chars", lambda w: (w.bea, hexdigest("c"), "d" * 201, None)),
                   ("vigencia negative", lambda w: (w.bea, hexdigest("c"), None, -1)),
                   ("vigencia over ten years", lambda w: (w.bea, hexdigest("c"), None, 315_360_001)))
for name, token_args in TOKEN_CASES:
    expected = E.ASESOR_NOT_FOUND if name == "asesor unknown" else E.INVALID_INPUT
    case("sp_gtr_emitir_token_asesor", name, expected, lambda w, a=token_args: (w.gtr_token, *a(w)))

# sp_gtr_configurar_motivo_pausa(emisor, codigo, descripcion, activo): sp_configurar_motivo_pausa's rules.
for name, value in (("NULL", None), ("upper case", "Cafe"), ("41 chars", "a" * 41), ("SQL", SQL_FRAGMENT),
                    ("empty", ""), ("10MB", BIG)):
    case("sp_gtr_configurar_motivo_pausa", f"codigo {name}", E.INVALID_INPUT,
         lambda w, v=value: (w.gtr_token, v, "Coffee", 1))
for name, value in (("NULL", None), ("blank", "  "), ("201 chars", "a" * 201), ("10MB", BIG)):
    case("sp_gtr_configurar_motivo_pausa", f"descripcion {name}", E.INVALID_INPUT,
         lambda w, v=value: (w.gtr_token, "cafe", v, 1))
case("sp_gtr_configurar_motivo_pausa", "activo 2", E.INVALID_INPUT, lambda w: (w.gtr_token, "cafe", "Coffee", 2))
case("sp_gtr_configurar_motivo_pausa", "timeouts off", E.INVALID_INPUT, lambda w: (w.gtr_token, "timeouts", "x", 0))

# sp_auditoria_admin(asesor_id, limite)
for name, value in (("zero", 0), ("negative", -1), ("1001", 1001)):
    case("sp_auditoria_admin", f"limite {name}", E.INVALID_INPUT, lambda w, v=value: (None, v))

CASES = C


@pytest.fixture
def world(db: Db) -> World:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    nuevo = db.nuevo_cliente()
    derivado, token = db.tomado(ana)
    en_gestion, token_eg = db.en_gestion(ana)
    gtr_token = db.call_one("sp_crear_token", hexdigest("1"), "gtr", None, "mesa")["token_id"]
    asesor_token = db.call_one("sp_crear_token", hexdigest("2"), "asesor", ana, None)["token_id"]
    return World(ana, bea, nuevo, derivado, token, en_gestion, token_eg, gtr_token, asesor_token)


def everything(db: Db) -> dict[str, list[Row]]:
    """Db.snapshot() plus the import bookkeeping and the configuration."""
    tables = db.snapshot()
    for table in ("importaciones", "seguimiento_config", "reporte_asesor_hora", "reporte_tiempos",
                  "reporte_tiempos_dia", "reporte_progreso", "auditoria_admin"):
        tables[table] = db.query(f"SELECT * FROM {table} ORDER BY 1")
    tables["__tables__"] = db.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1")
    return tables


def public_procedures() -> set[str]:
    return {p.stem for p in (SQL_DIR / "procedures").glob("sp_*.sql")}


def test_every_public_procedure_with_parameters_has_bad_input_cases() -> None:
    covered = {c.procedure for c in CASES}
    missing = public_procedures() - NO_PARAMETERS - covered
    assert not missing, f"add bad-input cases for {sorted(missing)} to tests/test_bad_input.py"
    assert covered <= public_procedures(), covered - public_procedures()


def test_the_no_parameter_procedures_really_take_none() -> None:
    for name in NO_PARAMETERS:
        text = (SQL_DIR / "procedures" / f"{name}.sql").read_text(encoding="utf-8")
        assert re.search(rf"CREATE PROCEDURE {name}\(\)", text), name


@pytest.mark.parametrize("bad", CASES, ids=[f"{c.procedure}-{c.name}" for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(db: Db, world: World, bad: Case) -> None:
    args = bad.args(world)
    before = everything(db)
    if isinstance(bad.expect, ErrorCode):
        with refused(bad.expect):
            db.call(bad.procedure, *args)
    else:
        assert db.call(bad.procedure, *args) == bad.expect
    assert everything(db) == before
    # The connection is still good for the next call.
    assert db.query("SELECT 1 AS ok") == [{"ok": 1}]


# --- dangerous-looking text is data ----------------------------------------------------------------

TRICKY_NAMES = [
    "O'Brien",
    'Ana "la jefa" Díaz',
    "Robert'); DROP TABLE clientes; --",
    "x' OR '1'='1",
    "back\\slash \\' \\\" \\n",
    "semi; colon /* comment */ -- dash",
    "`backtick` $1 %s %(name)s {}",
    "José Ñúñez Çağrı",
    "李小龙",
    "Ωμέγα Привет مرحبا שלום",
    "emoji 🙂👍🏽 family 👨‍👩‍👧",
    "e\u0301 combining",
]


@pytest.mark.parametrize("nombre", TRICKY_NAMES)
def test_names_are_stored_verbatim(db: Db, nombre: str) -> None:
    tables = everything(db)["__tables__"]
    asesor = db.asesor(nombre)
    cliente_id = int(db.call_one("sp_cargar_cliente", nombre, None, json.dumps({"nota": nombre}))["cliente_id"])

    assert db.query("SELECT nombre FROM asesores WHERE id = %s", (asesor,)) == [{"nombre": nombre}]
    c = db.cliente(cliente_id)
    assert c["nombre"] == nombre and json.loads(c["datos"]) == {"nota": nombre}
    assert db.outbox()[-1]["payload"]["nombre"] == nombre
    assert db.call_one("sp_obtener_cliente", cliente_id)["nombre"] == nombre
    assert db.call("sp_listar_asesores")[0][0]["nombre"] == nombre

    db.call("sp_derivar_cliente", cliente_id, asesor, "gtr")
    token = db.call_one("sp_tomar_cliente", cliente_id, asesor)["lock_token"]
    renamed = nombre + " (2)"
    db.call("sp_actualizar_cliente", cliente_id, asesor, token, json.dumps({"nombre": renamed, "k": nombre}))
    c = db.cliente(cliente_id)
    assert c["nombre"] == renamed and json.loads(c["datos"]) == {"nota": nombre, "k": nombre}
    assert db.outbox()[-1]["payload"]["nombre"] == renamed

    # Nothing else happened: same tables, one customer, one asesor.
    assert everything(db)["__tables__"] == tables
    assert db.query("SELECT COUNT(*) AS n FROM clientes")[0]["n"] == 1
    assert db.query("SELECT COUNT(*) AS n FROM asesores")[0]["n"] == 1


def test_name_length_counts_characters_not_bytes(db: Db) -> None:
    emoji = "🙂"  # four bytes in utf8mb4
    cliente_id = int(db.call_one("sp_cargar_cliente", emoji * 200, None, None)["cliente_id"])
    assert db.cliente(cliente_id)["nombre"] == emoji * 200
    asesor = db.asesor("ñ" * 120)
    assert db.call("sp_listar_asesores")[0][0] == {"asesor_id": asesor, "nombre": "ñ" * 120, "activo": 1}

    before = everything(db)
    with refused(ErrorCode.INVALID_INPUT):
        db.call("sp_cargar_cliente", emoji * 201, None, None)
    with refused(ErrorCode.INVALID_INPUT):
        db.call("sp_crear_asesor", "ñ" * 121)
    assert everything(db) == before


def test_surrounding_blanks_are_trimmed_and_phones_normalised(db: Db) -> None:
    cliente_id = int(db.call_one("sp_cargar_cliente", "  Ana María  ", " +51 (999) 888-777 ", None)["cliente_id"])
    c = db.cliente(cliente_id)
    assert (c["nombre"], c["telefono"]) == ("Ana María", "+51999888777")
    sin_telefono = int(db.call_one("sp_cargar_cliente", "Bea", "   ", None)["cliente_id"])
    assert db.cliente(sin_telefono)["telefono"] is None


def test_a_name_of_tabs_and_line_breaks_is_empty(db: Db) -> None:
    before = everything(db)
    for procedure, args in (("sp_cargar_cliente", ("\t \n", None, None)), ("sp_crear_asesor", ("\t\r\n",))):
        with refused(ErrorCode.INVALID_INPUT):
            db.call(procedure, *args)
    assert everything(db) == before
    cliente_id = int(db.call_one("sp_cargar_cliente", "\tAna\n", None, None)["cliente_id"])
    assert db.cliente(cliente_id)["nombre"] == "Ana"


def test_a_descripcion_with_sql_is_stored_verbatim(db: Db) -> None:
    token_id = int(db.call_one("sp_crear_token", hexdigest("c"), "gtr", None, SQL_FRAGMENT)["token_id"])
    assert db.query("SELECT descripcion FROM api_tokens WHERE id = %s", (token_id,)) == [
        {"descripcion": SQL_FRAGMENT}]
