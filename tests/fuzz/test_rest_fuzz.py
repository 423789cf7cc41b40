"""Property-based fuzz of every REST route, from the gateway's own /openapi.json.

Schemathesis turns each operation of the document into a Hypothesis strategy of requests,
in two modes: *positive* (requests that fit the schema: they reach the procedures) and
*negative* (requests that break it somewhere: a wrong type, a missing field, an unknown
parameter, a value out of range). On top of what it generates, each example picks who
calls (a GTR token, Ana's, Beto's, a revoked one, an unknown one, a malformed one, none,
the token in the query, or whatever the generator made up) and, some of the time, aims
at the seeded world: a real customer in a given state, a live lock token, a real asesor,
a real CSV. Some valid requests are then spoilt the way no schema generator would: a field
of the JSON body swapped for raw JSON (lone surrogates, 1e400, NaN, bytes that are not
UTF-8, deep nesting), or a CSV with arbitrary bytes in its header and rows. A real gateway
answers on loopback over the real test database.

Every answer must hold:

- no 5xx, and no "Traceback" anywhere in the body;
- a refusal (4xx) has exactly the one error body, ``{"error": {"code", "message"}}``,
  with a code docs/api.md documents for that status;
- the answer conforms to the document (status, content type, headers, body schema) and a
  request that breaks the schema is refused (schemathesis' own checks);
- a refusal leaves the database exactly as it was (every table, compared row by row).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis import GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.web.openapi import document, error_codes, openapi_path
from gateway.web.routes import ROUTES
from tests.browser.gatewayrun import GatewayThread
from tests.fuzz.conftest import World, describe, examples_per_route, fuzz_seed, seed, snapshot
from tests.reliability.recording import Record
from tests.support import Db

DOCUMENT = document(ROUTES)  # what /openapi.json serves (tests/fuzz/test_openapi.py)
# An explicit configuration (no schemathesis.toml is looked for). Routes that document no
# query parameters ignore unknown ones (a browser's ?token=, a cache buster), so adding
# some is not a schema violation the gateway must refuse; unknown body fields are (422).
SCHEMA = schemathesis.openapi.from_dict(
    DOCUMENT, config=schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}}))
CODES = error_codes()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Only for negative cases: those the fuzz aims (or spices) are positive ones it edited.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]

# Who calls: a token from the seeded world, a broken one, none, or the generator's own.
# Live tokens come up more often than broken ones: they are what reaches the procedures.
CALLERS = ("ana", "gtr", "ana", "gtr", "beto", "ana", "gtr-in-query", "revoked", "unknown", "malformed", "basic",
           "none", "generated")
# Where an {id} points: a seeded customer by state, or the generator's number (None).
TARGETS = (None, "nuevo", "derivado", "tomado", "en_gestion", "ajeno", "terminado", "ocioso", "no_gestionado")
# A lock token: the target's own live lock ("own", where it has one), another's, or generated.
LOCKS = (None, "own", "own", "tomado", "en_gestion", "ajeno")
ASESORES = (None, "ana", "beto")
CSVS = (
    b"nombre,telefono,plan\nLuz Fuzz,+51 911 222 333,A\nMar Fuzz,12,B\n",  # a good row, a bad phone
    b"nombre\n",  # a header and nothing else
    b'nombre,telefono\n"broken,1\n',  # broken quoting
    b"telefono\n999111222\n",  # no nombre column: 422
    "\ufeffNombre,Extra\nSol Fuzz,\u00e9\n".encode(),  # BOM, upper case, non-ASCII
    b"nombre,caf\xe9\nRi Fuzz,1\n",  # a header that is not UTF-8 (once a 500)
    b"nombre,k\nRa Fuzz,\xed\xa0\x80\n",  # an encoded surrogate in a row
    b"nombre\nNul\x00Fuzz\n",
)
# A CSV body: the generator's text (None), one of the above, or a nombre header with
# arbitrary bytes after it and in the rows.
CSV_BODIES = st.one_of(
    st.none(),
    st.sampled_from(CSVS),
    st.builds(lambda header, rows: b"nombre," + header + b"\n" + b"\n".join(rows) + b"\n",
              st.binary(max_size=20), st.lists(st.binary(max_size=40), max_size=3)),
)
# JSON a generated body's field may be given instead of its value (as raw bytes: most of
# these cannot come out of json.dumps): lone surrogates, numbers JSON allows and Python or
# the database may not, NUL, bytes that are not UTF-8, deep nesting.
SPICY_VALUES = (
    b'"\\ud800"', b'"a\\udfffb"', b"1e400", b"-1e400", b"NaN", b"Infinity", b"123456789012345678901234567890",
    b"-0", b"1.0", b"1e2", b'"\\u0000"', b'"\xff\xfe"', b'"\xed\xa0\x80"', b"[" * 60 + b"]" * 60,
    b'{"\\ud800": 1}', b'{"k": "\\udbff"}', b'{"k": 1e400}', b'{"k": NaN}', b"true", b"null", b'""', b'"  "',
    b'"' + "\u00e9".encode() * 150 + b'"', b'"\\u202e\\ufeff"', b'{"' + b"k" * 300 + b'": 1}',
)
# Instead of the generated JSON body: a field's value swapped for one of the above, or raw bytes.
SPICE = st.one_of(
    st.none(), st.none(), st.none(),
    st.tuples(st.integers(0, 7), st.sampled_from(SPICY_VALUES)),
    st.tuples(st.just(-1), st.one_of(st.binary(max_size=120), st.sampled_from(
        [b"\xef\xbb\xbf{}", b'{"a": 1, "a": 2}', b"{}" * 2, b'{"lockToken": "x"}\x00', b"\x00"]))),
)
MARK = "\u0000spice\u0000"


@dataclass
class Tally:
    """What one route's fuzzing tried and saw."""

    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    refusals_unchanged: int = 0  # refused requests after which every table was as before
    unavailable_retried: int = 0  # documented 503s while the shared server refused connections
    violations: Counter[str] = field(default_factory=Counter)  # failing examples (shrinking included)
    seconds: float = 0.0


def operations() -> list[Any]:
    """(route label, generation mode) for every documented operation; negative mode only
    where there is something to break (parameters or a body)."""
    params = []
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            label = f"{method.upper()} {path}"
            params.append(pytest.param(method.upper(), path, GenerationMode.POSITIVE, id=f"{label} positive"))
            if operation.get("parameters") or operation.get("requestBody"):
                params.append(pytest.param(method.upper(), path, GenerationMode.NEGATIVE, id=f"{label} negative"))
    return params


def test_every_route_is_fuzzed() -> None:
    """The parametrization below covers every route of the table (the document is built
    from the same table; tests/fuzz/test_openapi.py checks that against the router)."""
    fuzzed = {(p.values[0], p.values[1]) for p in operations()}
    assert fuzzed == {(r.method, openapi_path(r.path)) for r in ROUTES}


def negated(case: Any, location: ParameterLocation) -> bool:
    """Whether a negative case broke the schema at ``location``: the fuzz leaves it as made."""
    component = case.meta.components.get(location) if case.meta is not None else None
    return component is not None and component.mode == GenerationMode.NEGATIVE


def apply_caller(case: Any, caller: str, world: World) -> None:
    if caller == "generated" or negated(case, ParameterLocation.HEADER) or negated(case, ParameterLocation.QUERY):
        return
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    query = {k: v for k, v in (case.query or {}).items() if k != "token"}
    if caller in world.tokens:
        headers["Authorization"] = f"Bearer {world.tokens[caller]}"
    elif caller == "gtr-in-query":
        query["token"] = world.tokens["gtr"]
    elif caller == "unknown":
        headers["Authorization"] = "Bearer seg_" + "A" * 43
    elif caller == "malformed":
        headers["Authorization"] = "Bearer not a token!"
    elif caller == "basic":
        headers["Authorization"] = "Basic " + world.tokens["gtr"]
    case.headers = headers
    case.query = query


def aim(case: Any, world: World, target: str | None, lock: str | None, asesor: str | None,
        csv: bytes | None, spice: tuple[int, bytes] | None) -> None:
    """Point some of the generated request at the seeded world (never where a negative
    case broke the schema: that must still reach the gateway broken)."""
    if target is not None and "id" in (case.path_parameters or {}) and not negated(case, ParameterLocation.PATH):
        case.path_parameters = {**case.path_parameters, "id": world.clientes[target]}
    if negated(case, ParameterLocation.BODY):
        return
    if isinstance(case.body, dict):
        body = dict(case.body)
        name = target if lock == "own" else lock
        if name is not None and name in world.locks and "lockToken" in body:
            body["lockToken"] = world.locks[name]
        if asesor is not None and "asesorId" in body:
            body["asesorId"] = world.ana if asesor == "ana" else world.beto
        case.body = body
    if csv is not None and case.media_type == "text/csv":
        case.body = csv
    if spice is not None and case.media_type == "application/json" \
            and case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        # Only in positive mode: a negative case must reach the gateway broken the way it says.
        field_index, raw = spice
        if field_index < 0 or not isinstance(case.body, dict) or not case.body:
            case.body = raw
        else:
            name = sorted(case.body)[field_index % len(case.body)]
            text = json.dumps({**case.body, name: MARK}).encode()
            case.body = text.replace(json.dumps(MARK).encode(), raw)


# The test server is shared: while other suites crowd it (max_connections), a request may
# get the documented 503 database_unavailable/busy. That one is retried after a pause (and
# counted); a 503 that persists, and any other 5xx, fails the fuzz.
UNAVAILABLE_RETRIES = 5


def database_unavailable(response: Response) -> bool:
    if response.status_code != 503:
        return False
    try:
        code = json.loads(response.text)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return code in CODES[503]


class Violation(AssertionError):
    """An answer that breaks one of the fuzz properties; ``kind`` names which."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def check_answer(label: str, response: Response) -> None:
    """No 5xx, no trace, and every refusal in the one error shape with a documented code."""
    text = response.text
    status = response.status_code
    if status >= 500:
        raise Violation("server_error", f"{label}: {status} {text[:500]}")
    if "Traceback" in text or 'File "' in text:
        raise Violation("stack_trace", f"{label}: {text[:500]}")
    if status < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    try:
        body = json.loads(text) if content_type.startswith("application/json") else None
    except ValueError:
        body = None
    allowed = {"error"} | ({"status", "database", "tailer", "websockets"} if label == "GET /health" else set())
    if not (isinstance(body, dict) and "error" in body and set(body) <= allowed
            and isinstance(body["error"], dict) and set(body["error"]) == {"code", "message"}
            and isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)):
        raise Violation("shape", f"{label}: {status} {content_type} {text[:500]}")
    if body["error"]["code"] not in CODES.get(status, ()):
        raise Violation("undocumented_code", f"{label}: {status} {body['error']['code']} is not in docs/api.md "
                                             "for that status")


def fuzz(method: str, path: str, mode: GenerationMode, db: Db, world: World, gw: GatewayThread,
         examples: int, tally: Tally) -> None:
    """Run ``examples`` examples of one operation in one mode, counting into ``tally``."""
    operation = SCHEMA[path][method]
    label = f"{method} {path}"
    session = requests.Session()

    @settings(max_examples=examples, derandomize=fuzz_seed() is None, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(CALLERS),
           target=st.sampled_from(TARGETS), lock=st.sampled_from(LOCKS), asesor=st.sampled_from(ASESORES),
           csv=CSV_BODIES, spice=SPICE)
    def one_example(case: Any, caller: str, target: str | None, lock: str | None, asesor: str | None,
                    csv: bytes | None, spice: tuple[int, bytes] | None) -> None:
        apply_caller(case, caller, world)
        aim(case, world, target, lock, asesor, csv, spice)
        for attempt in range(UNAVAILABLE_RETRIES + 1):
            before = snapshot(db)
            response = case.call(base_url=gw.base, session=session, timeout=15)
            if not database_unavailable(response) or attempt == UNAVAILABLE_RETRIES:
                break
            tally.unavailable_retried += 1
            time.sleep(0.5 * (attempt + 1))
        tally.examples += 1
        tally.statuses[response.status_code] += 1
        note(f"{label} [{mode.value}] as {caller}: {describe(case.as_curl_command(), 2000)}\n"
             f"  -> {response.status_code} {response.text[:1000]}")
        try:
            check_answer(label, response)
            if 400 <= response.status_code < 500:
                after = snapshot(db)
                changed = [t for t in before if before[t] != after[t]]
                if changed:
                    raise Violation("database_changed", f"{label}: refused with {response.status_code} yet "
                                                        f"changed {changed}")
                tally.refusals_unchanged += 1
        except Violation as exc:
            tally.violations[exc.kind] += 1
            raise
        try:
            case.validate_response(response, checks=NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else CHECKS)
        except AssertionError:
            tally.violations["schema_conformance"] += 1
            raise

    run: Callable[[], None] = one_example
    if fuzz_seed() is not None:
        run = hypothesis_seed(fuzz_seed())(one_example)
    started = time.monotonic()
    try:
        run()
    finally:
        session.close()
        tally.seconds = time.monotonic() - started


# Every operation's tally in this run, for the figures (kept when a fuzz test fails too).
TALLIES: dict[str, Tally] = {}


def key(method: str, path: str, mode: GenerationMode) -> str:
    return f"{method} {path} {mode.value}"


@pytest.mark.parametrize(("method", "path", "mode"), operations())
def test_route_survives_fuzzing(method: str, path: str, mode: GenerationMode, db: Db, world: World,
                                gateway: GatewayThread) -> None:
    tally = TALLIES[key(method, path, mode)] = Tally()
    fuzz(method, path, mode, db, world, gateway, examples_per_route(), tally)
    assert tally.examples > 0


def test_fuzz_figures(db: Db, reliability: Record) -> None:
    """OpenAPI fuzz of every REST route: no 5xx, every refusal in the error shape, nothing changed."""
    # Run alone (or with -k): fuzz here whatever the parametrized test did not run.
    for param in operations():
        method, path, mode = param.values
        if key(method, path, mode) not in TALLIES:
            db.reset()
            world = seed(db)
            gw = GatewayThread(db.url).start()
            try:
                tally = TALLIES[key(method, path, mode)] = Tally()
                fuzz(method, path, mode, db, world, gw, examples_per_route(), tally)
            finally:
                gw.close()
                db.execute("DELETE FROM importaciones")
    statuses: Counter[int] = Counter()
    violations: Counter[str] = Counter()
    for tally in TALLIES.values():
        statuses.update(tally.statuses)
        violations.update(tally.violations)
    routes = {" ".join(k.split()[:2]) for k in TALLIES}
    per_mode = examples_per_route()
    reliability.load = (f"{len(routes)} routes, {len(TALLIES)} route x mode runs (positive; negative where "
                        f"there are inputs) of up to {per_mode} examples, "
                        + ("derandomized" if fuzz_seed() is None else f"seed {fuzz_seed()}"))
    reliability.faults = "bad, missing, revoked and foreign tokens; schema-breaking parameters and bodies"
    reliability.inputs = ("schemathesis positive and negative cases from /openapi.json, aimed at seeded customers "
                          "in every state, live locks, real asesores and real CSVs")
    reliability.figures(
        server_errors_5xx=sum(n for s, n in statuses.items() if s >= 500),
        stack_traces=violations["stack_trace"],
        shape_violations=violations["shape"] + violations["undocumented_code"],
        database_changes_on_refusals=violations["database_changed"],
        schema_conformance_failures=violations["schema_conformance"],
        routes_covered=len(routes),
        examples_run=sum(t.examples for t in TALLIES.values()),
        refusals_4xx=sum(n for s, n in statuses.items() if 400 <= s < 500),
        accepted_2xx=sum(n for s, n in statuses.items() if s < 300),
        fuzz_s=round(sum(t.seconds for t in TALLIES.values()), 1),
    )
    retried = sum(t.unavailable_retried for t in TALLIES.values())
    if retried:
        reliability.notes.append(f"{retried} requests met a documented 503 while the shared test server refused "
                                 "connections, and were retried.")
    reliability.notes.append("Statuses seen: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())) + ".")
    reliability.notes.append("Per route and mode: " + "; ".join(
        f"{k}: {t.examples}" for k, t in sorted(TALLIES.items())) + ".")
    assert not violations, f"fuzz violations: {dict(violations)}"
    assert not any(s >= 500 for s in statuses)
