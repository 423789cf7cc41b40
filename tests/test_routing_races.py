"""Routing races between real connections, one thread each (issue 13, item 5).

The outbox is written in commit order (gap-free ids, see _reservar_outbox_ids), so "X happened
after Y committed" is "X's event id is greater than Y's": the checks below read that order.
Two distribution runs are raced through the internal _distribuir (sp_distribuir's named lock
would simply skip the second one, which proves nothing about the row locks).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import mysql.connector
import pytest

from gateway.db.errors import ErrorCode
from tests.support import Connections, Db, call, wait_for
from tests.test_races import Result, assert_consistent, attempt, race


def campana_auto(db: Db, nombre: str) -> int:
    """A campaign created manual and turned auto by hand, so nothing distributes its
    customers before the race does."""
    campana_id = int(db.call_one("sp_crear_campana", nombre, None, 0, "manual", 0, 3)["campana_id"])
    return campana_id


def auto(db: Db, campana_id: int) -> None:
    db.execute("UPDATE campanas SET modo = 'auto' WHERE id = %s", (campana_id,))


def asesor_listo(db: Db, nombre: str, campana_id: int, capacidad: int) -> int:
    asesor = db.asesor(nombre)
    if capacidad != 1:
        db.call("sp_fijar_capacidad", asesor, capacidad)
    db.call("sp_asignar_habilidad", asesor, campana_id)
    db.call("sp_cambiar_presencia", asesor, "disponible", None, "dba")
    return asesor


def distribuir_interno(conn: Any) -> Result:
    """One distribution transaction, without sp_distribuir's named lock."""
    try:
        cur = conn.cursor()
        cur.execute("CALL _distribuir(NULL, NULL, @asignados)")
        cur.close()
        return Result(True)
    except mysql.connector.Error as exc:
        return Result(False, errno=exc.errno)


def check_no_double_assignment_and_capacity(db: Db, capacidades: dict[int, int]) -> None:
    asignados = Counter(r["cliente_id"] for r in db.query(
        "SELECT cliente_id FROM clientes_historial WHERE motivo = 'asignado'"))
    assert asignados and max(asignados.values()) == 1, "a customer was assigned twice"
    carga = Counter(r["asesor_asignado"] for r in db.query(
        "SELECT asesor_asignado FROM clientes WHERE seguimiento_status IN ('derivado', 'en_gestion')"))
    over = {a: n for a, n in carga.items() if n > capacidades[a]}
    assert not over, f"capacity exceeded: {over}"
    # Every assigned customer is held by the asesor its (only) assignment event names.
    held = {r["id"]: r["asesor_asignado"] for r in db.query(
        "SELECT id, asesor_asignado FROM clientes WHERE seguimiento_status = 'derivado'")}
    for event in db.outbox():
        if event["event_type"] == "CLIENT_REASSIGNED" and event["cliente_id"] in held:
            assert held[event["cliente_id"]] == event["payload"]["asesorId"]
    assert_consistent(db)


def test_two_distributions_and_pulls_never_double_assign_nor_exceed_capacity(db: Db, conns: Connections) -> None:
    ventas = campana_auto(db, "Ventas")
    capacidades = {}
    for i in range(6):
        capacidades[asesor_listo(db, f"A{i}", ventas, capacidad=1 + i % 3)] = 1 + i % 3
    for round_ in range(4):
        lote = json.dumps([{"linea": i + 1, "nombre": f"r{round_}-{i}"} for i in range(15)])
        db.call("sp_importar_lote_en_campana", f"{round_:064x}", "f", lote, 0, ventas, 0)
        auto(db, ventas)
        connections = [conns.new() for _ in range(9)]
        pullers = list(capacidades)
        first, second, last = connections[0], connections[1], connections[8]
        results = race(lambda c=first: distribuir_interno(c), lambda c=second: distribuir_interno(c),  # type: ignore[misc]
                       *[lambda c=connections[2 + n], a=a: attempt(c, "sp_siguiente_cliente", a)
                         for n, a in enumerate(pullers)],
                       lambda c=last: attempt(c, "sp_distribuir"))  # type: ignore[misc]
        for r in results:
            assert r.ok or r.errno == int(ErrorCode.CAPACITY_FULL), r
        check_no_double_assignment_and_capacity(db, capacidades)
        # Places freed for the next round: complete everything held.
        db.execute("UPDATE campanas SET modo = 'manual' WHERE id = %s", (ventas,))
        for row in db.query("SELECT id, asesor_asignado FROM clientes WHERE seguimiento_status = 'derivado'"):
            token = db.call_one("sp_tomar_cliente", row["id"], row["asesor_asignado"])["lock_token"]
            db.call("sp_abrir_wizard", row["id"], row["asesor_asignado"], token)
            db.call("sp_completar_wizard", row["id"], row["asesor_asignado"], token)
    terminados = db.query("SELECT COUNT(*) AS n FROM clientes WHERE seguimiento_status = 'terminado'")[0]["n"]
    asignaciones = db.query("SELECT COUNT(*) AS n FROM clientes_historial WHERE motivo = 'asignado'")[0]["n"]
    assert terminados == asignaciones >= 4 * 6, "every round filled places and every assignment was real"


def test_a_committed_pause_is_never_followed_by_an_automatic_assignment(db: Db, conns: Connections) -> None:
    ventas = campana_auto(db, "Ventas")
    ana = asesor_listo(db, "Ana", ventas, capacidad=100)
    auto(db, ventas)
    stop = threading.Event()
    errors: list[Any] = []

    def loader() -> None:
        conn = conns.new()
        n = 0
        while not stop.is_set():
            n += 1
            r = attempt(conn, "sp_cargar_cliente_en_campana", f"L{n}", None, None, ventas, 0)
            if not r.ok:
                errors.append(r)

    def distributor() -> None:
        conn = conns.new()
        while not stop.is_set():
            r = distribuir_interno(conn)
            if not r.ok and r.errno != 1213:  # a deadlock victim is retried by the next run
                errors.append(r)

    def toggler() -> None:
        conn = conns.new()
        for i in range(40):
            presencia, motivo = ("en_pausa", "descanso") if i % 2 == 0 else ("disponible", None)
            r = attempt(conn, "sp_cambiar_presencia", ana, presencia, motivo, "asesor")
            if not r.ok:
                errors.append(r)
            time.sleep(0.01)

    threads = [threading.Thread(target=f) for f in (loader, loader, distributor, distributor)]
    for t in threads:
        t.start()
    toggle = threading.Thread(target=toggler)
    toggle.start()
    toggle.join(timeout=120)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors[:5]

    paused = False
    assigned_while_available = 0
    for event in db.outbox():
        if event["event_type"] == "ASESOR_STATUS_CHANGED":
            paused = event["payload"]["presencia"] != "disponible"
        elif event["event_type"] == "CLIENT_REASSIGNED" and event["asesor_id"] == ana:
            assert not paused, f"assignment {event['id']} committed after a pause had committed"
            assigned_while_available += 1
    assert assigned_while_available > 0, "the race never assigned anything: it proved nothing"
    assert_consistent(db)


def test_a_manual_assignment_racing_an_automatic_one_leaves_one_winner(db: Db, conns: Connections) -> None:
    ventas = campana_auto(db, "Ventas")
    auto_asesor = asesor_listo(db, "Auto", ventas, capacidad=100)
    gtr_pick = db.asesor("Elegido")
    clientes = [int(db.call_one("sp_cargar_cliente_en_campana", f"c{i}", None, None, ventas, 0)["cliente_id"])
                for i in range(12)]
    auto(db, ventas)
    gtr, robot, puller = conns.new(), conns.new(), conns.new()
    for n, cliente_id in enumerate(clientes):
        automatic = ((lambda: distribuir_interno(robot)) if n % 2 == 0
                     else (lambda: attempt(puller, "sp_siguiente_cliente", auto_asesor)))
        manual, _ = race(lambda c=cliente_id: attempt(gtr, "sp_derivar_cliente", c, gtr_pick, "gtr"),  # type: ignore[misc]
                         automatic)
        # GTR's choice stands whichever committed first: before, the customer left the queue and
        # the automatic side skipped it; after, GTR reassigned it.
        assert manual.ok, manual
        assert db.cliente(cliente_id)["asesor_asignado"] == gtr_pick
        history = db.historial(cliente_id)
        assert history[-1]["asesor_id"] == gtr_pick and history[-1]["actor"] == "gtr"
        assigned = [h for h in history if h["estado_nuevo"] == "derivado"]
        assert len(assigned) in (1, 2)
        if len(assigned) == 2:  # the automatic one committed first; GTR's was a reassignment
            assert (assigned[0]["actor"], assigned[1]["motivo"]) in (("system", "reasignado"), ("asesor", "reasignado"))
            assert assigned[1]["asesor_anterior_id"] == auto_asesor
        events = [e for e in db.outbox() if e["cliente_id"] == cliente_id and e["event_type"] == "CLIENT_REASSIGNED"]
        assert [e["id"] for e in events] == [h["outbox_id"] for h in assigned]
        assert events[-1]["payload"]["asesorId"] == gtr_pick
    assert_consistent(db)


def test_the_sweep_never_returns_a_customer_it_races_the_distribution_for(db: Db, conns: Connections) -> None:
    ventas = campana_auto(db, "Ventas")
    asesores = [asesor_listo(db, f"A{i}", ventas, capacidad=40) for i in range(4)]
    old = db.asesor("Viejo")
    for round_ in range(3):
        expirados = set()
        for i in range(30):
            cliente_id = int(db.call_one("sp_cargar_cliente_en_campana", f"x{round_}-{i}", None, None, ventas,
                                         0)["cliente_id"])
            db.call("sp_derivar_cliente", cliente_id, old, "gtr")
            expirados.add(cliente_id)
        db.execute("UPDATE clientes SET last_activity = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR WHERE asesor_asignado = %s",
                   (old,))
        lote = json.dumps([{"linea": i + 1, "nombre": f"q{round_}-{i}"} for i in range(40)])
        db.execute("UPDATE campanas SET modo = 'manual' WHERE id = %s", (ventas,))
        db.call("sp_importar_lote_en_campana", f"{round_ + 100:064x}", "f", lote, 0, ventas, 0)
        auto(db, ventas)
        before = db.outbox()[-1]["id"]
        sweeper, robot = conns.new(), conns.new()
        swept, distributed = race(lambda s=sweeper: attempt(s, "sp_barrido_seguimiento"),  # type: ignore[misc]
                                  lambda r=robot: distribuir_interno(r))  # type: ignore[misc]
        assert swept.ok and distributed.ok, (swept, distributed)
        returned = {e["cliente_id"] for e in db.outbox()
                    if e["id"] > before and e["event_type"] == "CLIENT_RETURNED_TO_GTR"}
        assert returned == expirados, "the sweep returned exactly the expired ones, none just assigned"
        newly = {e["cliente_id"] for e in db.outbox() if e["id"] > before and e["event_type"] == "CLIENT_REASSIGNED"}
        for cliente_id in newly - expirados:
            assert db.cliente(cliente_id)["seguimiento_status"] == "derivado"
        assert call(sweeper, "sp_barrido_seguimiento") == [[{"devueltos": 0, "omitido": 0}]]
    assert {a for a in asesores}, asesores
    assert_consistent(db)


# (assigner, the timeout change): the global timeout for a campaign without one of its own,
# and the campaign's own.
TIMEOUT_CHANGES: dict[str, Callable[[int], tuple[str, tuple[Any, ...]]]] = {
    "global": lambda campana: ("sp_configurar", ("timeout_segundos", 600)),
    "campaign": lambda campana: ("sp_configurar_campana", (campana, "timeout_segundos", "600")),
}


@pytest.mark.parametrize("cambio", list(TIMEOUT_CHANGES))
@pytest.mark.parametrize("asignador", ["sp_distribuir", "sp_siguiente_cliente"])
def test_a_timeout_change_reaches_a_customer_being_assigned_as_it_commits(
        db: Db, conns: Connections, asignador: str, cambio: str) -> None:
    """A new timeout applies to every customer being worked once it commits (sp_configurar
    and sp_configurar_campana recompute their deadlines). A customer an assigner is giving
    out at that very moment is one of them: it must not keep a timeout the assigner read
    before the change committed. The assigner is held after it chose the customer (a
    blocker holds the campaign's row, which its UPDATE reads), the change runs meanwhile,
    then the blocker lets go: whatever order the two then commit in, the customer ends with
    the new timeout."""
    campana = campana_auto(db, "Plazos")
    ana = asesor_listo(db, "Ana", campana, capacidad=1)
    cliente = int(db.call_one("sp_cargar_cliente_en_campana", "Juan", None, None, campana, 0)["cliente_id"])
    auto(db, campana)
    assert db.query("SELECT seguimiento_status, en_cola FROM clientes WHERE id = %s", (cliente,)) == [
        {"seguimiento_status": "nuevo", "en_cola": 1}], "the customer waits in the queue"

    blocker = conns.new()
    blocker.start_transaction()
    cur = blocker.cursor()
    cur.execute("SELECT id FROM campanas WHERE id = %s FOR UPDATE", (campana,))
    cur.fetchall()

    asignadora = conns.new()
    asignadora_id = asignadora.connection_id
    args = () if asignador == "sp_distribuir" else (ana,)
    asignada: list[Result] = []
    hilo = threading.Thread(target=lambda: asignada.append(attempt(asignadora, asignador, *args)))
    hilo.start()

    def at_its_update() -> bool:
        rows = db.query("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = %s", (asignadora_id,))
        return bool(rows) and (rows[0]["INFO"] or "").lstrip().startswith("UPDATE clientes")

    wait_for(lambda: at_its_update() or bool(asignada), "the assigner to reach its UPDATE of the customer")
    assert not asignada, f"the assigner did not wait for the campaign row: {asignada}"

    cambiadora = conns.new()
    cambiada: list[Result] = []
    procedimiento, argumentos = TIMEOUT_CHANGES[cambio](campana)
    otro = threading.Thread(target=lambda: cambiada.append(attempt(cambiadora, procedimiento, *argumentos)))
    otro.start()
    # The change either commits now (it needs nothing the assigner holds) or queues behind
    # the assigner; give it the time to do the first when it can.
    otro.join(timeout=2)
    blocker.rollback()
    hilo.join(timeout=30)
    otro.join(timeout=30)
    # Each ends committed or as a deadlock victim, rolled back whole: on MySQL the change's
    # multi-table UPDATE waits for the customer row the assigner holds (no semi-consistent read
    # there) while the assigner waits for the timeout row, and InnoDB picks a victim. The
    # victim's caller runs it again, as a DBA or the "Siguiente cliente" button would.
    assert asignada and cambiada, (asignada, cambiada)
    for result in (asignada[0], cambiada[0]):
        assert result.ok or result.errno == 1213, result
    if not cambiada[0].ok:
        assert attempt(cambiadora, procedimiento, *argumentos).ok
    if not asignada[0].ok:
        assert db.query("SELECT seguimiento_status FROM clientes WHERE id = %s", (cliente,)) == [
            {"seguimiento_status": "nuevo"}], "the rolled-back assignment left something behind"
        assert attempt(asignadora, asignador, *args).ok

    (row,) = db.query("SELECT seguimiento_status, asesor_asignado, plazo_segundos FROM clientes WHERE id = %s",
                      (cliente,))
    assert (row["seguimiento_status"], row["asesor_asignado"]) == ("derivado", ana)
    assert row["plazo_segundos"] == 600, "the customer kept the timeout read before the change committed"
    assert_consistent(db)
