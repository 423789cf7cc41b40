"""The one rule for JSON field names (CONTRIBUTING.md, "JSON field names"; docs/api.md):

- a name the API makes up is lowerCamelCase: request fields, query parameters, answers'
  envelopes, event payloads (``clienteId``, ``lockToken``, ``snapshotOutboxId``);
- a database row (a ``RowModel`` of gateway/db/procedures.py: ``Cliente``, ``Historial``,
  ``Asesor``) keeps its view's column names, snake_case (``cliente_id``, ``asesor_asignado``);
- ``seguimiento_status``, the seed's own name for the customer's state, is spelled so
  wherever it appears (SEED_NAMES).

Checked on every model the route table names (bodies, queries, answers, error bodies and
the models nested in them), on /openapi.json, and on every key the procedures write into an
outbox payload, so a new route, field or event that breaks the rule fails here."""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.db.rows import RowModel
from gateway.db.sqlfiles import SQL_DIR
from gateway.web import tailer
from gateway.web.models import SEED_NAMES, ErrorBody
from gateway.web.openapi import document
from gateway.web.routes import ROUTES

CAMEL = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*$")  # asesorId, lotesYaImportados, ok
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")  # cliente_id, vence_at


def api_name(name: str) -> bool:
    """A name the API makes up: lowerCamelCase, or one of the seed's names."""
    return bool(CAMEL.match(name)) or name in SEED_NAMES


def _nested(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _nested(arg)


def route_models() -> set[type[BaseModel]]:
    """Every model the route table names, and every model nested in their fields."""
    found: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [ErrorBody]
    for route in ROUTES:
        todo += [m for m in (route.body, route.query, route.response, *route.error_bodies.values()) if m]
    while todo:
        model = todo.pop()
        if model not in found:
            found.add(model)
            for info in model.model_fields.values():
                todo += list(_nested(info.annotation))
    return found


def json_names(model: type[BaseModel]) -> set[str]:
    """The field names ``model`` reads and writes in JSON (its aliases, where it has any)."""
    return {info.serialization_alias or info.alias or name for name, info in model.model_fields.items()} | \
        {info.validation_alias for info in model.model_fields.values() if isinstance(info.validation_alias, str)}


MODELS = sorted(route_models(), key=lambda m: m.__name__)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_route_models_follow_the_rule(model: type[BaseModel]) -> None:
    names = json_names(model)
    if issubclass(model, RowModel):
        wrong = {n for n in names if not SNAKE.match(n)}
        assert not wrong, f"{model.__name__} is a database row: its fields are the view's snake_case columns"
    else:
        wrong = {n for n in names if not api_name(n)}
        assert not wrong, f"{model.__name__}: {wrong} must be lowerCamelCase (or a seed name: {SEED_NAMES})"


def test_the_rule_covers_the_whole_openapi_document() -> None:
    """Every property /openapi.json documents belongs to a model checked above."""
    checked = {n for m in MODELS for n in json_names(m)}

    def properties(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                yield from node["properties"]
            for value in node.values():
                yield from properties(value)
        elif isinstance(node, list):
            for value in node:
                yield from properties(value)

    doc = document(ROUTES)
    assert set(properties(doc["components"]["schemas"])) <= checked
    query_names = {p["name"] for op in doc["paths"].values() for o in op.values() for p in o.get("parameters", ())
                   if p["in"] == "query"}
    assert query_names and all(api_name(n) for n in query_names), query_names


def _split_arguments(text: str, start: int) -> list[str]:
    """The top-level arguments of the call whose ``(`` is at ``start`` in ``text``."""
    depth, quote, args, current = 0, "", [], ""
    for ch in text[start + 1:]:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                args.append(current.strip())
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        current += ch
    raise AssertionError("unbalanced JSON_OBJECT(")


def payload_keys() -> dict[str, set[str]]:
    """Every key the procedures write into a JSON object (the outbox payloads, through
    JSON_OBJECT and _registrar_cambio's JSON_SET), by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((SQL_DIR / "procedures").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        keys = set(re.findall(r"JSON_SET\([^;]*?'\$\.(\w+)'", text, re.DOTALL))
        for match in re.finditer(r"JSON_OBJECT\s*\(", text):
            args = _split_arguments(text, match.end() - 1)
            keys |= {k.strip("'") for k in args[0::2] if k.startswith("'")}
        if keys:
            found[path.name] = keys
    return found


def test_event_payload_keys_follow_the_rule() -> None:
    keys = payload_keys()
    assert {"clienteId", "asesorId", "previousAsesor", "timestamp"} <= set().union(*keys.values()), keys
    wrong = {f: {k for k in ks if not api_name(k)} for f, ks in keys.items()}
    assert not any(wrong.values()), wrong


def test_resync_payload_follows_the_rule() -> None:
    tree = ast.parse(Path(tailer.__file__).read_text(encoding="utf-8"))
    keys = {str(k.value) for node in ast.walk(tree) if isinstance(node, ast.Call) and
            getattr(node.func, "attr", "") == "send_resync"
            for arg in node.args if isinstance(arg, ast.Dict)
            for k in arg.keys if isinstance(k, ast.Constant)}
    assert {"since", "oldestId", "latestId"} <= keys and all(api_name(k) for k in keys), keys
