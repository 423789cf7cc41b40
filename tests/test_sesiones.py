"""Token and asesor lifecycle through the procedures: expiry, revocation, deactivation and
reactivation, each with its outbox event in the same transaction (issue 11).

What a DBA does with a MySQL client is what these tests do: plain CALLs.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

import pytest

from gateway.db.errors import ErrorCode
from tests.support import Db, refused


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def now(db: Db) -> datetime:
    return db.query("SELECT UTC_TIMESTAMP(6) AS t")[0]["t"]


def test_lifetimes_default_explicit_and_none(db: Db) -> None:
    asesor = db.asesor()
    start = now(db)
    ase = db.call_one("sp_crear_token", sha("ase"), "asesor", asesor, None)
    gtr = db.call_one("sp_crear_token", sha("gtr"), "gtr", None, None)
    short = db.call_one("sp_crear_token_con_vigencia", sha("short"), "asesor", asesor, None, 8 * 3600)
    never = db.call_one("sp_crear_token_con_vigencia", sha("never"), "asesor", asesor, None, 0)
    # Asesor tokens default to token_asesor_vigencia_segundos (12 h); GTR tokens never expire.
    assert timedelta(hours=12) <= ase["expires_at"] - start < timedelta(hours=12, seconds=5)
    assert gtr["expires_at"] is None and never["expires_at"] is None
    assert timedelta(hours=8) <= short["expires_at"] - start < timedelta(hours=8, seconds=5)
    (row,) = db.call("sp_validar_token", sha("short"))[0]
    assert row == {"token_id": short["token_id"], "rol": "asesor", "asesor_id": asesor,
                   "expires_at": short["expires_at"]}
    db.call("sp_configurar", "token_asesor_vigencia_segundos", 60)
    one_minute = db.call_one("sp_crear_token", sha("minute"), "asesor", asesor, None)
    assert one_minute["expires_at"] - now(db) < timedelta(seconds=61)


def test_an_expired_token_is_refused_and_its_expiry_recorded_once(db: Db) -> None:
    asesor = db.asesor()
    token_id = db.call_one("sp_crear_token_con_vigencia", sha("brief"), "asesor", asesor, None, 1)["token_id"]
    gtr_id = db.call_one("sp_crear_token_con_vigencia", sha("gtr"), "gtr", None, None, 1)["token_id"]
    revoked = db.call_one("sp_crear_token_con_vigencia", sha("rev"), "gtr", None, None, 1)["token_id"]
    db.call("sp_revocar_token", revoked)
    assert db.call("sp_validar_token", sha("brief"))[0]
    assert db.call_one("sp_caducar_tokens") == {"caducados": 0, "omitido": 0}
    time.sleep(1.1)
    # Refused as soon as expires_at passes, whether or not the expiry was recorded yet.
    assert db.call("sp_validar_token", sha("brief")) == [[]]
    events_before = len(db.outbox())
    assert db.call_one("sp_caducar_tokens") == {"caducados": 2, "omitido": 0}
    new = db.outbox()[events_before:]
    assert [(e["event_type"], e["payload"]["tokenId"], e["asesor_id"]) for e in new] == [
        ("TOKEN_EXPIRED", token_id, asesor), ("TOKEN_EXPIRED", gtr_id, None)]
    assert new[0]["payload"]["asesorId"] == asesor and new[0]["payload"]["expiresAt"]
    assert db.call_one("sp_caducar_tokens") == {"caducados": 0, "omitido": 0}
    assert len(db.outbox()) == events_before + 2
    assert all(r["caducado_at"] is not None for r in db.query("SELECT caducado_at FROM api_tokens"))


def test_revocation_writes_its_event_once(db: Db) -> None:
    asesor = db.asesor()
    token_id = db.call_one("sp_crear_token", sha("a"), "asesor", asesor, None)["token_id"]
    assert db.call_one("sp_revocar_token", token_id) == {"revocados": 1}
    (event,) = db.outbox()
    assert event["event_type"] == "TOKEN_REVOKED" and event["asesor_id"] == asesor
    assert event["cliente_id"] is None
    assert {k: event["payload"][k] for k in ("tokenId", "asesorId")} == {"tokenId": token_id, "asesorId": asesor}
    assert db.call_one("sp_revocar_token", token_id) == {"revocados": 0}
    assert len(db.outbox()) == 1
    assert db.call("sp_validar_token", sha("a")) == [[]]


def test_deactivation_returns_customers_revokes_tokens_and_tells_gtr(db: Db) -> None:
    ana, bea = db.asesor("Ana"), db.asesor("Bea")
    derivado = db.derivado(ana)
    en_gestion, lock = db.en_gestion(ana)
    terminado, lock_t = db.en_gestion(ana)
    db.call("sp_completar_wizard", terminado, ana, lock_t)
    de_bea = db.derivado(bea)
    t1 = db.call_one("sp_crear_token", sha("ana1"), "asesor", ana, None)["token_id"]
    db.call_one("sp_crear_token", sha("ana2"), "asesor", ana, None)
    db.call_one("sp_crear_token", sha("bea"), "asesor", bea, None)
    db.call("sp_revocar_token", t1)
    first_new = db.outbox()[-1]["id"] + 1

    assert db.call_one("sp_desactivar_asesor", ana, "GTR") == {"clientes_devueltos": 2, "tokens_revocados": 1}

    for cliente_id in (derivado, en_gestion):
        row = db.cliente(cliente_id)
        assert (row["seguimiento_status"], row["asesor_asignado"], row["lock_token"], row["last_activity"]) == (
            "no_gestionado", None, None, None)
        hist = db.historial(cliente_id)[-1]
        assert (hist["motivo"], hist["actor"], hist["asesor_anterior_id"], hist["estado_nuevo"]) == (
            "asesor_desactivado", "gtr", ana, "no_gestionado")
    assert db.cliente(terminado)["seguimiento_status"] == "terminado"
    assert db.cliente(de_bea)["asesor_asignado"] == bea
    events = [e for e in db.outbox() if e["id"] >= first_new]
    assert [(e["event_type"], e["cliente_id"]) for e in events] == [
        ("CLIENT_RETURNED_TO_GTR", derivado), ("CLIENT_RETURNED_TO_GTR", en_gestion), ("ASESOR_DEACTIVATED", None)]
    assert events[0]["payload"]["reason"] == "asesor_desactivado"
    assert events[0]["previous_asesor_id"] == ana and events[0]["payload"]["previousAsesor"] == ana
    hist_ids = {db.historial(c)[-1]["outbox_id"] for c in (derivado, en_gestion)}
    assert hist_ids == {events[0]["id"], events[1]["id"]}
    assert events[2]["asesor_id"] == ana
    assert {k: events[2]["payload"][k] for k in ("asesorId", "actor", "clientesDevueltos", "tokensRevocados")} == {
        "asesorId": ana, "actor": "gtr", "clientesDevueltos": 2, "tokensRevocados": 1}
    assert db.call("sp_validar_token", sha("ana2")) == [[]]
    assert db.call("sp_validar_token", sha("bea"))[0]
    assert db.query("SELECT activo FROM asesores WHERE id = %s", (ana,)) == [{"activo": 0}]

    # Inactive: no customers, no tokens, no second deactivation; nothing changes.
    for procedure, args, code in (
        ("sp_derivar_cliente", (derivado, ana, "gtr"), ErrorCode.ASESOR_NOT_FOUND),
        ("sp_crear_token", (sha("ana3"), "asesor", ana, None), ErrorCode.ASESOR_NOT_FOUND),
        ("sp_desactivar_asesor", (ana, "dba"), ErrorCode.ASESOR_STATE_UNCHANGED),
        ("sp_heartbeat_cliente", (en_gestion, ana, lock), ErrorCode.INVALID_TRANSITION),
    ):
        before = db.snapshot()
        with refused(code):
            db.call(procedure, *args)
        assert db.snapshot() == before, procedure


def test_reactivation_tells_gtr_and_leaves_old_tokens_revoked(db: Db) -> None:
    ana = db.asesor("Ana")
    db.call_one("sp_crear_token", sha("old"), "asesor", ana, None)
    db.call("sp_desactivar_asesor", ana, "dba")
    assert db.call("sp_activar_asesor", ana, "dba") == []
    event = db.outbox()[-1]
    assert event["event_type"] == "ASESOR_ACTIVATED" and event["asesor_id"] == ana
    assert {k: event["payload"][k] for k in ("asesorId", "actor")} == {"asesorId": ana, "actor": "dba"}
    assert db.call("sp_validar_token", sha("old")) == [[]]
    db.call_one("sp_crear_token", sha("new"), "asesor", ana, None)
    assert db.call("sp_validar_token", sha("new"))[0]
    db.derivado(ana)
    before = db.snapshot()
    with refused(ErrorCode.ASESOR_STATE_UNCHANGED):
        db.call("sp_activar_asesor", ana, "gtr")
    assert db.snapshot() == before


def test_the_expiry_event_runs_every_second(db: Db) -> None:
    """ev_caducar_tokens is one CALL of sp_caducar_tokens, every second, enabled by migrate."""
    (ev,) = db.query("SELECT INTERVAL_VALUE, INTERVAL_FIELD, EVENT_DEFINITION FROM information_schema.EVENTS "
                     "WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_caducar_tokens'")
    assert (str(ev["INTERVAL_VALUE"]), ev["INTERVAL_FIELD"]) == ("1", "SECOND")
    assert "sp_caducar_tokens" in ev["EVENT_DEFINITION"]


def test_token_create_takes_a_ttl(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.commands import cli

    asesor = db.asesor()
    url = db.url.secret_url()
    assert cli.main(["token", "create", "--role", "asesor", "--asesor", str(asesor), "--ttl", "8h",
                     "--database-url", url]) == 0
    assert cli.main(["token", "create", "--role", "gtr", "--ttl", "never", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "expires" in out and "never expires" in out
    rows = db.query("SELECT rol, created_at, expires_at FROM api_tokens ORDER BY id")
    assert rows[0]["expires_at"] - rows[0]["created_at"] == timedelta(hours=8)
    assert rows[1]["expires_at"] is None
    with pytest.raises(SystemExit):
        cli.main(["token", "create", "--role", "gtr", "--ttl", "8 hours", "--database-url", url])
    assert len(db.query("SELECT id FROM api_tokens")) == 2
