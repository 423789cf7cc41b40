from tests.support import Db


def test_full_cycle_writes_history_and_outbox(db: Db) -> None:
    asesor = db.asesor()
    cliente, token = db.en_gestion(asesor)
    db.call("sp_completar_wizard", cliente, asesor, token)
    assert db.cliente(cliente)["seguimiento_status"] == "terminado"
    assert [e["event_type"] for e in db.outbox()] == [
        "CLIENT_CREATED", "CLIENT_REASSIGNED", "CLIENT_IN_GESTION", "CLIENT_COMPLETED"]
    assert len(db.historial(cliente)) == 4
