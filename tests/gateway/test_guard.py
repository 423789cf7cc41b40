"""Every route of the table behind its guard, in docs/api.md's order of checks: the token's
shape (401, no database call), then the body and the query (400/422, no database call),
then the token's lookup (401), then the role (403) and the path's id (404).

The routes come from ``ROUTES`` and their sample requests from the routes' own models
(tests/gateway/route_samples.py): a route added to the table is covered here by the same
change, with nothing to list again."""

from __future__ import annotations

import json

import aiohttp
import pytest

from gateway.web.guard import Route
from tests.gateway import route_samples as samples
from tests.gateway.conftest import People
from tests.gateway.harness import Api, Gateway, error_code, make_token, run, running_gateway
from tests.support import Db

REVOKED = "revoked"
# Tokens that are not live, each refused 401: none, malformed (a shape the database is never
# asked about), well formed but unknown, revoked.
DEAD_TOKENS = (None, "' OR ''='", "seg_" + "A" * 43, REVOKED)
# Ids the path pattern lets through but no row can have: 0, and nineteen digits past BIGINT.
IMPOSSIBLE_IDS = (0, 2**63)
NOT_FOUND = {"cliente_id": "cliente_not_found", "asesor_id": "asesor_not_found", "campana_id": "campana_not_found"}


async def send(session: aiohttp.ClientSession, gw: Gateway, route: Route, token: str | None, *,
               id_: int | str = 1, query: str = "", data: bytes | None = None,
               headers: dict[str, str] | None = None, lock_token: str | None = None) -> tuple[int, object]:
    """``route``'s sample request (or ``data`` instead of its sample body) with ``token``."""
    sample, content_type = samples.body(route, lock_token=lock_token)
    url = samples.path(route, id_) + (f"?{query}" if query else "")
    return await Api(session, gw.base, token).raw(route.method, url, data=sample if data is None else data,
                                                  headers={**content_type, **(headers or {})})


def for_role(people: People, role: str) -> str:
    return people.gtr if role == "gtr" else people.ana_token


@pytest.mark.parametrize("route", samples.GUARDED, ids=samples.name)
@run()
async def test_the_guard_refuses_in_the_documented_order(db: Db, people: People, route: Route) -> None:
    cliente = db.nuevo_cliente()
    target = people.ana if route.path_id and route.path_id[0] == "asesor_id" else cliente
    revoked = make_token(db, "gtr")
    db.call("sp_revocar_token", db.query("SELECT MAX(id) AS id FROM api_tokens")[0]["id"])
    before = db.snapshot()
    async with running_gateway(db.url, auth_max_failures=1000) as gw, aiohttp.ClientSession() as session:
        # 1. No live token: 401, whatever else is wrong with the request.
        for token in DEAD_TOKENS:
            status, answer = await send(session, gw, route, revoked if token == REVOKED else token, id_=target)
            assert (status, error_code(answer)) == (401, "unauthorized"), (token, answer)
        status, answer = await send(session, gw, route, None, id_=target,
                                    headers={"Authorization": "Basic Zm9vOmJhcg=="})
        assert (status, error_code(answer)) == (401, "unauthorized"), answer
        if not route.query_token:
            status, answer = await send(session, gw, route, people.gtr, id_=target, query=f"token={people.gtr}")
            assert (status, error_code(answer)) == (401, "unauthorized"), answer
        if route.body is not None:
            status, answer = await send(session, gw, route, None, id_=target, data=b"{not json")
            assert (status, error_code(answer)) == (401, "unauthorized"), ("token before body", answer)
        if route.path_id is not None:
            for impossible in IMPOSSIBLE_IDS:
                status, answer = await send(session, gw, route, None, id_=impossible)
                assert (status, error_code(answer)) == (401, "unauthorized"), ("token before id", answer)

        # 2. Body and query before the token's lookup: an unknown token is not even looked up.
        calls = gw.procedure_calls()
        if route.body is not None:
            status, answer = await send(session, gw, route, "seg_" + "B" * 43, id_=target, data=b"{not json")
            assert (status, error_code(answer)) == (400, "malformed_json"), answer
            status, answer = await send(session, gw, route, "seg_" + "B" * 43, id_=target, data=b"[]")
            assert (status, error_code(answer)) == (422, "validation_error"), answer
        if route.query is not None:
            status, answer = await send(session, gw, route, "seg_" + "B" * 43, id_=target,
                                        query=samples.bad_query(route))
            assert (status, error_code(answer)) == (422, "validation_error"), answer
        assert gw.procedure_calls() == calls, "a refusal before the lookup called the database"

        # 3. The role: the other role's live token is 403.
        if route.access in ("gtr", "asesor"):
            other = "asesor" if route.access == "gtr" else "gtr"
            status, answer = await send(session, gw, route, for_role(people, other), id_=target)
            assert (status, error_code(answer)) == (403, "forbidden"), answer

        # 4. Then the id: one no row can have is the procedures' 404, for a caller allowed to ask.
        if route.path_id is not None:
            role = "gtr" if route.access in ("gtr", "any") else "asesor"
            for impossible in IMPOSSIBLE_IDS:
                status, answer = await send(session, gw, route, for_role(people, role), id_=impossible)
                assert (status, error_code(answer)) == (404, NOT_FOUND[route.path_id[0]]), answer
    assert db.snapshot() == before


@pytest.mark.parametrize("route", samples.PUBLIC, ids=samples.name)
@run()
async def test_public_routes_need_no_token(db: Db, route: Route) -> None:
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        status, answer = await send(session, gw, route, None)
        assert status == route.status, answer
        if route.response is not None:
            route.response.model_validate(answer)  # the model the route documents, as built


@pytest.mark.parametrize("route", [r for r in samples.GUARDED if r.body is not None and
                                   "asesorId" in r.body.model_fields and r.access == "asesor"], ids=samples.name)
@run()
async def test_an_asesor_token_acts_only_as_itself(db: Db, people: People, route: Route) -> None:
    cliente, lock = db.tomado(people.ana)
    before = db.snapshot()
    sample, headers = samples.body(route, lock_token=lock)
    assert sample is not None
    data = {**json.loads(sample), "asesorId": people.beto}
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        status, answer = await send(session, gw, route, people.ana_token, id_=cliente, data=json.dumps(data).encode())
        assert (status, error_code(answer)) == (403, "forbidden"), answer
    assert db.snapshot() == before
