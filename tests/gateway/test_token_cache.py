"""One database call per request: the per-process token cache (gateway/web/sessions.py), and the
outbox events that drop it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp

from gateway.db.rows import OutboxEvent
from gateway.web.keys import HUB, METRICS, TOKEN_CACHE
from gateway.web.sessions import CLOSE_SESSION_ENDED, Identity, SessionEnd, TokenCache, session_end
from tests.gateway.conftest import People
from tests.gateway.harness import Api, Gateway, error_code, make_token, run, running_gateway, wait_for
from tests.support import Db
from toolkit.metrics import value as metric_value


def validations(gw: Gateway) -> int:
    assert gw.app is not None
    return sum(n for (proc, _o), n in gw.app[METRICS].calls.items() if proc == "sp_validar_token")


@run()
async def test_an_authenticated_request_makes_one_database_call(db: Db, people: People) -> None:
    cliente, lock = db.tomado(people.ana)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        gtr, ana = Api(session, gw.base, people.gtr), Api(session, gw.base, people.ana_token)
        await gtr.call("GET", "/api/asesores", expect=200)
        await ana.call("GET", "/api/me", expect=200)
        for _ in range(5):
            before = gw.procedure_calls()
            await gtr.call("GET", f"/api/clientes/{cliente}", expect=200)
            await ana.call("POST", f"/api/clientes/{cliente}/heartbeat", {"lockToken": lock}, expect=200)
            assert gw.procedure_calls() - before == 2  # sp_obtener_cliente, sp_heartbeat_cliente
        assert validations(gw) == 2  # one per token, ever


@run()
async def test_unknown_tokens_cost_one_call_each_until_the_failed_login_limit(db: Db, people: People) -> None:
    async with running_gateway(db.url, auth_max_failures=5) as gw, aiohttp.ClientSession() as session:
        repeated = Api(session, gw.base, "seg_" + "B" * 43)
        for _ in range(3):
            status, body = await repeated.status("GET", "/api/asesores")
            assert status == 401 and error_code(body) == "unauthorized"
        assert validations(gw) == 1  # the same unknown token is remembered
        statuses = []
        for n in range(6):
            statuses.append((await Api(session, gw.base, f"seg_{n:043d}").status("GET", "/api/asesores"))[0])
        # Two more misses reach the limit (5 failures, cached ones count too); then 429, no call.
        assert statuses == [401, 401, 429, 429, 429, 429]
        assert validations(gw) == 3


@run()
async def test_a_revocation_read_by_the_tailer_is_never_served_again(db: Db, people: People) -> None:
    token = make_token(db, "gtr")
    token_id = db.query("SELECT MAX(id) AS id FROM api_tokens")[0]["id"]
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        assert gw.app is not None
        api = Api(session, gw.base, token)
        await api.call("GET", "/api/asesores", expect=200)
        db.call("sp_revocar_token", token_id)
        revoked_at = db.outbox()[-1]["id"]
        hub = gw.app[HUB]

        async def read() -> bool:
            return (hub.last_id or 0) >= revoked_at

        await wait_for(read, 5, "the tailer reads TOKEN_REVOKED")
        status, body = await api.status("GET", "/api/asesores")
        assert status == 401 and error_code(body) == "unauthorized"


@run()
async def test_an_expiry_recorded_by_the_database_closes_the_socket(db: Db, people: People) -> None:
    """TOKEN_EXPIRED closes sockets even when this process's clock says the token is live."""
    token = make_token(db, "asesor", people.ana)
    async with running_gateway(db.url) as gw, aiohttp.ClientSession() as session:
        ws = await session.ws_connect(gw.base.replace("http", "ws") + "/ws",
                                      headers={"Authorization": f"Bearer {token}"})
        # As if the database's clock were ahead: the token expired there, and is recorded.
        db.execute("UPDATE api_tokens SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                   "WHERE token_sha256 = SHA2(%s, 256)", (token,))
        assert db.call_one("sp_caducar_tokens")["caducados"] == 1
        async with asyncio.timeout(2):
            async for _msg in ws:
                pass
        assert ws.close_code == CLOSE_SESSION_ENDED
        status, _ = await Api(session, gw.base, token).status("GET", "/api/me")
        assert status == 401


@run()
async def test_the_cache_is_bounded(db: Db, people: People) -> None:
    tokens = [make_token(db, "gtr") for _ in range(5)]
    async with running_gateway(db.url, token_cache_size=2) as gw, aiohttp.ClientSession() as session:
        assert gw.app is not None
        for token in tokens:
            await Api(session, gw.base, token).call("GET", "/api/me", expect=200)
        assert len(gw.app[TOKEN_CACHE]) == 2
        async with session.get(gw.base + "/metrics") as response:
            assert metric_value(await response.text(), "seguimiento_token_cache_entries") == 2


def test_a_lookup_in_flight_during_an_ending_event_is_neither_cached_nor_served() -> None:
    cache = TokenCache(10, 60)
    ana = Identity(7, "asesor", 3, None)
    mark = cache.mark()
    cache.end([SessionEnd(asesor_id=3)])  # read while the database was being asked
    assert cache.put("a" * 64, ana, mark) is None
    assert len(cache) == 0
    other = Identity(8, "asesor", 4, None)
    assert cache.put("b" * 64, other, mark) == other  # not named: used, but not cached
    assert len(cache) == 0
    assert cache.put("b" * 64, other, cache.mark()) == other
    assert cache.get("b" * 64) == other
    # An expired entry is not served; the token-id event drops only its token.
    cache.put("c" * 64, Identity(9, "gtr", None, datetime.now(UTC) - timedelta(seconds=1)), cache.mark())
    assert cache.get("c" * 64) is not None and not isinstance(cache.get("c" * 64), Identity)
    cache.end([SessionEnd(token_id=8)])
    assert not isinstance(cache.get("b" * 64), Identity)
    # Losing the outbox forgets everything, and refuses lookups in flight.
    mark = cache.mark()
    cache.clear()
    assert cache.put("d" * 64, Identity(10, "gtr", None, None), mark) is None


def test_which_events_end_sessions() -> None:
    def event(type_: str, asesor: int | None, payload: dict[str, object]) -> OutboxEvent:
        return OutboxEvent(id=1, event_type=type_, cliente_id=None, asesor_id=asesor, previous_asesor_id=None,
                           payload=payload, created_at=datetime.now(UTC))

    assert session_end(event("TOKEN_REVOKED", 3, {"tokenId": 5})) == SessionEnd(token_id=5)
    assert session_end(event("TOKEN_EXPIRED", None, {"tokenId": 6})) == SessionEnd(token_id=6)
    assert session_end(event("ASESOR_DEACTIVATED", 3, {"asesorId": 3})) == SessionEnd(asesor_id=3)
    assert session_end(event("ASESOR_ACTIVATED", 3, {"asesorId": 3})) is None
    assert session_end(event("CLIENT_REASSIGNED", 3, {})) is None
