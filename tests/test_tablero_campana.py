"""sp_listar_clientes_de_campana: the GTR board filtered by campaign, read by the server.

It must answer exactly one campaign's customers (whatever the rest of the floor holds), with
sp_listar_clientes' two result sets and snapshot semantics, and read them through an index.
Bad input is in tests/test_bad_input.py; the route in tests/gateway/test_tablero_campana.py.
"""

from __future__ import annotations

from gateway.db.errors import ErrorCode
from tests.support import Db, refused


def campana(db: Db, nombre: str, timeout: int | None = None) -> int:
    return int(db.call_one("sp_crear_campana", nombre, timeout, 0, "manual", 0, 3)["campana_id"])


def cargar(db: Db, nombre: str, campana_id: int) -> int:
    return int(db.call_one("sp_cargar_cliente_en_campana", nombre, None, None, campana_id, 0)["cliente_id"])


def test_exactly_the_campaigns_customers_in_each_state(db: Db) -> None:
    norte, sur = campana(db, "Norte"), campana(db, "Sur", timeout=900)
    ana = db.asesor("Ana")
    en_norte = [cargar(db, f"N{i}", norte) for i in range(5)]
    en_sur = [cargar(db, f"S{i}", sur) for i in range(3)]
    cargar(db, "General", 1)
    db.call("sp_derivar_cliente", en_sur[0], ana, "gtr")
    db.call("sp_derivar_cliente", en_norte[0], ana, "gtr")

    head, page = db.call("sp_listar_clientes_de_campana", sur, None, None, 100, 0)
    assert [r["cliente_id"] for r in page] == sorted(en_sur, reverse=True)
    assert head[0]["total"] == 3
    head, page = db.call("sp_listar_clientes_de_campana", sur, "nuevo", None, 100, 0)
    assert [r["cliente_id"] for r in page] == sorted(en_sur[1:], reverse=True) and head[0]["total"] == 2
    head, page = db.call("sp_listar_clientes_de_campana", sur, "derivado", None, 100, 0)
    assert [r["cliente_id"] for r in page] == [en_sur[0]] and head[0]["total"] == 1
    # The row's deadline is its campaign's (900 s), the head's timeout the global one.
    row = page[0]
    assert (row["vence_at"] - row["last_activity"]).total_seconds() == 900
    assert head[0]["timeout_segundos"] == 300
    # asesor_id narrows as in sp_listar_clientes; paging is newest first.
    _, page = db.call("sp_listar_clientes_de_campana", norte, None, ana, 100, 0)
    assert [r["cliente_id"] for r in page] == [en_norte[0]]
    head, page = db.call("sp_listar_clientes_de_campana", norte, "nuevo", None, 2, 1)
    assert [r["cliente_id"] for r in page] == sorted(en_norte[1:], reverse=True)[1:3] and head[0]["total"] == 4
    # A campaign with no customers: an empty page, not an error.
    vacia = campana(db, "Vacía")
    head, page = db.call("sp_listar_clientes_de_campana", vacia, None, None, 10, 0)
    assert page == [] and head[0]["total"] == 0


def test_same_columns_and_snapshot_as_the_board(db: Db) -> None:
    norte = campana(db, "Norte")
    cargar(db, "N", norte)
    mine = db.call("sp_listar_clientes_de_campana", norte, None, None, 10, 0)
    board = db.call("sp_listar_clientes", None, None, 10, 0)
    assert list(mine[0][0]) == list(board[0][0])
    assert list(mine[1][0]) == list(board[1][0])
    assert mine[0][0]["snapshot_outbox_id"] == board[0][0]["snapshot_outbox_id"] == db.outbox()[-1]["id"]
    assert mine[1] == board[1]


def test_unknown_campaign_is_not_found(db: Db) -> None:
    with refused(ErrorCode.CAMPANA_NOT_FOUND):
        db.call("sp_listar_clientes_de_campana", 10**12, None, None, 10, 0)


def test_the_page_and_the_count_read_the_campaign_index(db: Db) -> None:
    """Enough customers for the optimizer to care: 3,000 of 'general'; a small campaign with 30
    customers waiting and 300 done, so that reading the campaign's rows whole (idx_cola, or
    the foreign key's index) costs ten times what its 'nuevo' range costs."""
    chica = campana(db, "Chica")
    digits = " UNION ALL ".join(f"SELECT {d} AS n" for d in range(10))
    insert = ("INSERT INTO clientes (nombre, seguimiento_status, campana_id, created_at, updated_at) "
              "SELECT CONCAT('g', a.n, b.n, c.n, x.n), %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) "
              f"FROM ({digits}) a, ({digits}) b, ({digits}) c, ({digits}) x WHERE x.n < %s")
    db.execute(insert, ("nuevo", 1, 3))
    db.execute(insert + " AND c.n < 3", ("terminado", chica, 1))
    for i in range(30):
        cargar(db, f"c{i}", chica)
    db.execute("ANALYZE TABLE clientes")
    page = db.explain(f"SELECT v.* FROM v_clientes v WHERE v.campana_id = {chica} AND v.seguimiento_status = 'nuevo' "
                      "ORDER BY v.cliente_id DESC LIMIT 200 OFFSET 0")
    count = db.explain(f"SELECT COUNT(*) FROM clientes c WHERE c.campana_id = {chica} "
                       "AND c.seguimiento_status = 'nuevo'")
    for plan in (page, count):
        assert len(plan) == 1, plan
        assert plan[0]["key"] == "idx_campana_estado", plan
        assert "filesort" not in str(plan[0]["Extra"] or ""), plan
        assert int(plan[0]["rows"]) <= 60, plan
