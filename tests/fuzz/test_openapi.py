"""/openapi.json: served without a token, valid OpenAPI 3.1, one operation per registered
route and no other, built from the handlers' own pydantic models, with exactly the error
codes docs/api.md documents."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests
import schemathesis
from aiohttp import web

from gateway.settings import Settings
from gateway.web import dashboard
from gateway.web.app import init_app
from gateway.web.openapi import document, error_codes, openapi_path, refusals
from gateway.web.routes import ROUTES
from tests.browser.gatewayrun import GatewayThread

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ERROR_ROW = re.compile(r"^\| (\d{3}) \| `([a-z_]+)` \| (?:\d{5}|gateway) \|", re.MULTILINE)


def registered_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the app answers, but the dashboard's pages and
    files (static HTML/CSS/JS, not API) and the HEAD aiohttp adds to every GET."""
    found = set()
    for route in app.router.routes():
        resource = route.resource
        assert resource is not None
        canonical = resource.canonical
        if canonical in dashboard.PAGES or canonical.startswith(dashboard.STATIC_PREFIX.rstrip("/")):
            continue
        if route.method == "HEAD":
            continue
        found.add((route.method, openapi_path(canonical)))
    return found


def documented_routes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, methods in doc["paths"].items() for method in methods}


def test_every_registered_route_is_documented_and_nothing_else() -> None:
    app = init_app(Settings(database_url="mysql://nobody@127.0.0.1:1/none"))
    doc = document(ROUTES)
    assert registered_routes(app) == documented_routes(doc)
    assert len(ROUTES) == len(documented_routes(doc)), "two routes of the table share a method and path"


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document(ROUTES)
    assert doc["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.1 meta-schema
    assert json.loads(json.dumps(doc)) == doc  # plain JSON, nothing Python-only


def test_bodies_queries_and_answers_are_the_handlers_models() -> None:
    doc = document(ROUTES)
    components = doc["components"]["schemas"]
    for route in ROUTES:
        operation = doc["paths"][openapi_path(route.path)][route.method.lower()]
        if route.body is not None:
            content = operation["requestBody"]["content"]
            assert list(content) == [route.body_media_type]
            assert content[route.body_media_type]["schema"] == {"$ref": f"#/components/schemas/{route.body.__name__}"}
            model = route.body.model_json_schema(mode="validation")
            assert components[route.body.__name__]["properties"].keys() == model["properties"].keys()
            assert components[route.body.__name__].get("additionalProperties") is False, "request fields are strict"
        if route.query is not None:
            names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            assert names == set(route.query.model_fields)
        success = operation["responses"][str(route.status)]
        if route.response is not None:
            schema = success["content"][route.response_media_type]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{route.response.__name__}"}
            model = route.response.model_json_schema(mode="serialization")
            assert components[route.response.__name__]["properties"].keys() == model["properties"].keys()
        assert set(operation["responses"]) == {str(route.status), *(str(s) for s in refusals(route))}
        if route.access == "public":
            assert operation["security"] == []
        else:
            assert {"bearerAuth": []} in operation["security"]


def test_the_csv_import_is_documented_as_text_csv() -> None:
    operation = document(ROUTES)["paths"]["/api/importaciones"]["post"]
    assert operation["requestBody"]["content"] == {"text/csv": {"schema": {"type": "string"}}}


def test_error_codes_are_those_of_docs_api_md() -> None:
    table: dict[int, set[str]] = {}
    for status, code in ERROR_ROW.findall(DOC.read_text()):
        table.setdefault(int(status), set()).add(code)
    assert {status: set(codes) for status, codes in error_codes().items()} == table
    doc = document(ROUTES)
    for name, response in doc["components"]["responses"].items():
        status = int(name.removeprefix("Error"))
        enum = response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]["properties"]
        assert set(enum["code"]["enum"]) == table[status], name


def test_served_at_openapi_json_without_a_token(migrated_url: Any) -> None:
    gw = GatewayThread(migrated_url).start()
    try:
        response = requests.get(gw.base + "/openapi.json", timeout=10)
    finally:
        gw.close()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == document(ROUTES)
