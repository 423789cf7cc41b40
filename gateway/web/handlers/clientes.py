"""Customers: GTR loads and assigns them, both roles read them, an asesor works on its own."""

from __future__ import annotations

from aiohttp import web

from gateway.db import procedures
from gateway.db.rows import Cliente
from gateway.web.auth import Caller
from gateway.web.guard import answer
from gateway.web.guard import database as _db
from gateway.web.models import (
    Ack,
    ActualizarCliente,
    AsesorRequest,
    Board,
    CambioEstatus,
    ClienteCreado,
    ClienteNuevo,
    Derivacion,
    EstadoCambiado,
    HeartbeatResponse,
    HistorialResponse,
    ListQuery,
    LockedRequest,
    LockResponse,
)
from gateway.web.models_enrutamiento import Devolucion, SiguienteCliente

# -- GTR ----------------------------------------------------------------------------------


async def crear_cliente(request: web.Request, caller: Caller, body: ClienteNuevo) -> web.Response:
    """Load a customer (nuevo)."""
    cargado = await procedures.cargar_cliente(_db(request), body.nombre, body.telefono, body.datos,
                                              body.campanaId, body.prioridad)
    return answer(ClienteCreado(clienteId=cargado.cliente_id, asesorAsignado=cargado.asesor_asignado), status=201)


async def derivar_cliente(request: web.Request, caller: Caller, body: Derivacion, cliente_id: int) -> web.Response:
    """Assign or reassign the customer to an asesor."""
    await procedures.derivar_cliente(_db(request), cliente_id, body.asesorId, "gtr")
    return answer(EstadoCambiado(clienteId=cliente_id, seguimiento_status="derivado", asesorId=body.asesorId))


# -- reads --------------------------------------------------------------------------------


async def listar_clientes(request: web.Request, caller: Caller, query: ListQuery) -> web.Response:
    """A page of the board (an asesor token's query names it: the guard filled it in)."""
    if query.campanaId is not None:  # the board filtered by campaign, read by the server
        listado = await procedures.listar_clientes_de_campana(_db(request), query.campanaId, query.estado,
                                                              query.asesorId, query.limit, query.offset)
    else:
        listado = await procedures.listar_clientes(_db(request), query.estado, query.asesorId, query.limit,
                                                   query.offset)
    return answer(Board(snapshotOutboxId=listado.snapshot_outbox_id, total=listado.total, limit=query.limit,
                        offset=query.offset, timeoutSegundos=listado.timeout_segundos, clientes=listado.clientes))


async def obtener_cliente(request: web.Request, caller: Caller, cliente_id: int,
                          cliente: Cliente | None) -> web.Response:
    """One customer (an asesor's was loaded by the guard, to check it is assigned to it)."""
    return answer(cliente or await procedures.obtener_cliente(_db(request), cliente_id))


async def historial_cliente(request: web.Request, caller: Caller, cliente_id: int) -> web.Response:
    """The customer's history. An asesor's is read with the ownership check in one call (one
    snapshot): a check then a read, as the guard's ``assigned_only`` does, would let a
    reassignment between the two show the customer's next asesor to the previous one."""
    if caller.role == "asesor":
        historial = await procedures.historial_cliente_de_asesor(_db(request), caller.own_asesor(), cliente_id)
    else:
        historial = await procedures.historial_cliente(_db(request), cliente_id)
    return answer(HistorialResponse(clienteId=cliente_id, historial=historial))


# -- the asesor's work on a customer (the guard made sure the token is an asesor's) --------


async def tomar_cliente(request: web.Request, caller: Caller, body: AsesorRequest, cliente_id: int) -> web.Response:
    """Take the customer's edit lock."""
    lock = await procedures.tomar_cliente(_db(request), cliente_id, caller.own_asesor())
    return answer(LockResponse(clienteId=cliente_id, lockToken=lock.lock_token, lockExpiresAt=lock.lock_expires_at))


async def heartbeat_cliente(request: web.Request, caller: Caller, body: LockedRequest,
                            cliente_id: int) -> web.Response:
    """Keep the lock and the customer alive."""
    expiry = await procedures.heartbeat_cliente(_db(request), cliente_id, caller.own_asesor(), body.lockToken)
    return answer(HeartbeatResponse(clienteId=cliente_id, lockExpiresAt=expiry.lock_expires_at))


async def abrir_wizard(request: web.Request, caller: Caller, body: LockedRequest, cliente_id: int) -> web.Response:
    """Open the wizard (en_gestion)."""
    asesor_id = caller.own_asesor()
    await procedures.abrir_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return answer(EstadoCambiado(clienteId=cliente_id, seguimiento_status="en_gestion", asesorId=asesor_id))


async def completar_wizard(request: web.Request, caller: Caller, body: LockedRequest,
                           cliente_id: int) -> web.Response:
    """Complete the wizard (terminado)."""
    asesor_id = caller.own_asesor()
    await procedures.completar_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return answer(EstadoCambiado(clienteId=cliente_id, seguimiento_status="terminado", asesorId=asesor_id))


async def cambiar_estatus(request: web.Request, caller: Caller, body: CambioEstatus, cliente_id: int) -> web.Response:
    """The seed's PATCH: en_gestion opens the wizard, terminado completes it."""
    asesor_id = caller.own_asesor()
    if body.estatus == "en_gestion":
        await procedures.abrir_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    else:
        await procedures.completar_wizard(_db(request), cliente_id, asesor_id, body.lockToken)
    return answer(EstadoCambiado(clienteId=cliente_id, seguimiento_status=body.estatus, asesorId=asesor_id))


async def actualizar_cliente(request: web.Request, caller: Caller, body: ActualizarCliente,
                             cliente_id: int) -> web.Response:
    """Edit nombre, telefono, datos."""
    await procedures.actualizar_cliente(_db(request), cliente_id, caller.own_asesor(), body.lockToken,
                                        body.procedure_json())
    return answer(Ack(clienteId=cliente_id))


async def liberar_cliente(request: web.Request, caller: Caller, body: LockedRequest, cliente_id: int) -> web.Response:
    """Drop the lock, keep the customer."""
    await procedures.liberar_cliente(_db(request), cliente_id, caller.own_asesor(), body.lockToken)
    return answer(Ack(clienteId=cliente_id))


# -- routing (issue 13): the pull and the hand-back ------------------------------------------


async def siguiente_cliente(request: web.Request, caller: Caller, body: AsesorRequest) -> web.Response:
    """"Siguiente cliente": the best waiting customer for this asesor, at once."""
    siguiente = await procedures.siguiente_cliente(_db(request), caller.own_asesor())
    return answer(SiguienteCliente(clienteId=siguiente.cliente_id, campanaId=siguiente.campana_id))


async def devolver_cliente(request: web.Request, caller: Caller, body: Devolucion, cliente_id: int) -> web.Response:
    """Hand the customer back to its campaign's queue (no_gestionado), saying why."""
    asesor_id = caller.own_asesor()
    await procedures.devolver_cliente(_db(request), cliente_id, asesor_id, body.motivo)
    return answer(EstadoCambiado(clienteId=cliente_id, seguimiento_status="no_gestionado", asesorId=asesor_id))
