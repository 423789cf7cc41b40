"""Pause reasons administered from the desk (issue 14, item 5): sp_gtr_configurar_motivo_pausa
checks the GTR token, applies sp_configurar_motivo_pausa's rules and audits the change;
sp_listar_motivos_pausa_todos lists the ones out of use too."""

from __future__ import annotations

import json

from gateway.db.errors import ErrorCode
from tests.support import Db, Row, refused


def gtr_token(db: Db, char: str = "1", descripcion: str = "mesa de Carla") -> int:
    return int(db.call_one("sp_crear_token", char * 64, "gtr", None, descripcion)["token_id"])


def audit(db: Db) -> list[Row]:
    rows = db.query("SELECT * FROM auditoria_admin ORDER BY id")
    for row in rows:
        row["detalle"] = json.loads(row["detalle"])
    return rows


def todos(db: Db) -> dict[str, tuple[str, int]]:
    (rows,) = db.call("sp_listar_motivos_pausa_todos")
    return {r["codigo"]: (r["descripcion"], r["activo"]) for r in rows}


def activos(db: Db) -> list[str]:
    (rows,) = db.call("sp_listar_motivos_pausa")
    return [r["codigo"] for r in rows]


def tables(db: Db) -> dict[str, list[Row]]:
    return {t: db.query(f"SELECT * FROM {t} ORDER BY 1") for t in ("motivos_pausa", "outbox", "auditoria_admin")}


def test_gtr_adds_renames_and_switches_a_reason_each_change_with_its_event_and_audit_row(db: Db) -> None:
    emisor = gtr_token(db)
    ana = db.asesor("Ana")
    assert db.call_one("sp_gtr_configurar_motivo_pausa", emisor, "cafe", "  Café  ", None) == {
        "codigo": "cafe", "descripcion": "Café", "activo": 1}
    assert "cafe" in activos(db)
    db.call("sp_cambiar_presencia", ana, "en_pausa", "cafe", "asesor")
    db.call("sp_gtr_configurar_motivo_pausa", emisor, "cafe", "Pausa café", 1)
    db.call("sp_gtr_configurar_motivo_pausa", emisor, "cafe", "Pausa café", 0)
    # Out of use: not listed to choose, refused to a new pause, listed for the desk; an asesor
    # already paused with it stays so.
    assert "cafe" not in activos(db)
    assert todos(db)["cafe"] == ("Pausa café", 0)
    bea = db.asesor("Bea")
    with refused(ErrorCode.PAUSE_REASON_INVALID):
        db.call("sp_cambiar_presencia", bea, "en_pausa", "cafe", "asesor")
    assert db.query("SELECT motivo_pausa FROM asesores WHERE id = %s", (ana,)) == [{"motivo_pausa": "cafe"}]
    db.call("sp_gtr_configurar_motivo_pausa", emisor, "cafe", "Pausa café", 1)
    assert "cafe" in activos(db)

    rows = audit(db)
    assert [(r["event_type"], r["emisor_token_id"], r["actor"], r["asesor_id"]) for r in rows] == [
        ("PAUSE_REASON_CHANGED", emisor, "gtr", None)] * 4
    assert [(r["detalle"]["descripcion"], r["detalle"]["activo"]) for r in rows] == [
        ("Café", 1), ("Pausa café", 1), ("Pausa café", 0), ("Pausa café", 1)]
    events = {e["id"]: e for e in db.outbox()}
    for row in rows:
        event = events[row["outbox_id"]]
        assert event["event_type"] == "PAUSE_REASON_CHANGED" and event["payload"] == row["detalle"]
        assert {k: event["payload"][k] for k in ("codigo", "actor")} == {"codigo": "cafe", "actor": "gtr"}
        assert event["payload"]["timestamp"].endswith("Z")
    (named,) = db.call("sp_auditoria_admin", None, 1)
    assert named[0]["emisor_descripcion"] == "mesa de Carla"


def test_an_asesor_token_a_revoked_or_unknown_token_changes_no_reason(db: Db) -> None:
    ana = db.asesor("Ana")
    asesor_token = int(db.call_one("sp_crear_token", "2" * 64, "asesor", ana, None)["token_id"])
    revoked = gtr_token(db, "3")
    db.call("sp_revocar_token", revoked)
    before = tables(db)
    for emisor in (asesor_token, revoked, 10**12):
        for args in (("cafe", "Café", 1), ("descanso", "Otro nombre", 1), ("almuerzo", "Almuerzo", 0)):
            with refused(ErrorCode.NOT_PERMITTED):
                db.call("sp_gtr_configurar_motivo_pausa", emisor, *args)
    assert tables(db) == before


def test_timeouts_stays_active_from_the_desk_and_for_a_dba(db: Db) -> None:
    emisor = gtr_token(db)
    before = tables(db)
    with refused(ErrorCode.INVALID_INPUT):
        db.call("sp_gtr_configurar_motivo_pausa", emisor, "timeouts", "Pausa automática por inactividad", 0)
    with refused(ErrorCode.INVALID_INPUT):
        db.call("sp_configurar_motivo_pausa", "timeouts", "Pausa automática por inactividad", 0)
    assert tables(db) == before
    # Renaming it is allowed, and keeps it active.
    db.call("sp_gtr_configurar_motivo_pausa", emisor, "timeouts", "Pausa automática por inactividad", 1)
    assert todos(db)["timeouts"] == ("Pausa automática por inactividad", 1)


def test_a_dbas_change_keeps_its_signature_and_writes_no_event(db: Db) -> None:
    assert db.call_one("sp_configurar_motivo_pausa", "siesta", " Siesta ", None) == {
        "codigo": "siesta", "descripcion": "Siesta", "activo": 1}
    assert db.call_one("sp_configurar_motivo_pausa", "siesta", "Siesta", 0)["activo"] == 0
    assert todos(db)["siesta"] == ("Siesta", 0)
    assert db.outbox() == [] and audit(db) == []
