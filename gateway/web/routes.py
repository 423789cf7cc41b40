"""The route table: every HTTP route and the WebSocket, each in one row of ``ROUTES``.

A row says who may call the route, what it takes and what it answers; gateway/web/guard.py
enforces the first two before the handler runs (in the order docs/api.md documents), and
gateway/web/openapi.py documents all three. Adding a route is adding a row here and its
handler in gateway/web/handlers/ (CONTRIBUTING.md, "Adding a route"); the tests that walk
``ROUTES`` then cover it (tests/gateway/test_guard.py, tests/fuzz).
"""

from __future__ import annotations

import json
from functools import cache

from aiohttp import web

from gateway.db import importing
from gateway.db.rows import AjustesCampana, Cliente, MotivoPausaAdmin
from gateway.web import guard, openapi
from gateway.web.guard import ASESOR, CAMPANA, CLIENTE, Route
from gateway.web.handlers.admin import (
    auditoria,
    configurar,
    configurar_motivo_pausa,
    emitir_token_asesor,
    listar_motivos_pausa_todos,
)
from gateway.web.handlers.asesores import (
    activar_asesor,
    cambiar_habilidad,
    crear_asesor,
    desactivar_asesor,
    fijar_capacidad,
    listar_asesores,
    listar_motivos_pausa,
    panel_asesores,
    presencia_por_gtr,
    presencia_propia,
    yo,
)
from gateway.web.handlers.campanas import configurar_campana, crear_campana, listar_campanas
from gateway.web.handlers.clientes import (
    abrir_wizard,
    actualizar_cliente,
    cambiar_estatus,
    completar_wizard,
    crear_cliente,
    derivar_cliente,
    devolver_cliente,
    heartbeat_cliente,
    historial_cliente,
    liberar_cliente,
    listar_clientes,
    obtener_cliente,
    siguiente_cliente,
    tomar_cliente,
)
from gateway.web.handlers.importaciones import importar_csv
from gateway.web.handlers.live import websocket
from gateway.web.handlers.operations import health, metrics
from gateway.web.handlers.reportes import muro, reporte
from gateway.web.models import (
    Ack,
    ActualizarCliente,
    AsesorCreado,
    Asesores,
    AsesorEstado,
    AsesorNuevo,
    AsesorRequest,
    AuditoriaQuery,
    AuditoriaResponse,
    Board,
    CambioEstatus,
    ClienteCreado,
    ClienteNuevo,
    Configuracion,
    ConfiguracionCambiada,
    Derivacion,
    EstadoCambiado,
    Health,
    HealthUnavailable,
    HeartbeatResponse,
    HistorialResponse,
    ImportQuery,
    ListQuery,
    LockedRequest,
    LockResponse,
    MotivoPausaCambio,
    MotivosPausaTodos,
    TokenAsesorEmitido,
    TokenAsesorNuevo,
    WebSocketQuery,
    Yo,
)
from gateway.web.models_enrutamiento import (
    CambiosCampana,
    CampanaCreada,
    CampanaNueva,
    Campanas,
    CapacidadFijada,
    CapacidadRequest,
    Devolucion,
    HabilidadCambiada,
    HabilidadRequest,
    MotivosPausa,
    PanelAsesores,
    PresenciaCambiada,
    PresenciaGtr,
    PresenciaPropia,
    SiguienteCliente,
)
from gateway.web.models_reportes import Muro, Reporte, ReporteQuery, TableroQuery


def setup_routes(app: web.Application) -> None:
    """Register every route of ROUTES behind its guard."""
    guard.setup_routes(app, ROUTES)


@cache
def _openapi_text() -> str:
    return json.dumps(openapi.document(ROUTES), ensure_ascii=False)


async def openapi_json(request: web.Request) -> web.Response:
    """This gateway's OpenAPI 3.1 description, built from ROUTES and their models."""
    return web.Response(text=_openapi_text(), content_type="application/json")


LOCKED = "The caller must hold the customer's live edit lock (``lockToken`` from the lock route)."
ROUTES: tuple[Route, ...] = (
    Route("POST", "/api/clientes", crear_cliente, "Load a customer (nuevo). Event CLIENT_CREATED.", "gtr",
          body=ClienteNuevo, status=201, response=ClienteCreado, refusals=(404,),
          description="campanaId (default: general, id 1) and prioridad (-1000..1000, default 0) route it; in "
                      "an auto campaign an available asesor may get it in the same call (asesorAsignado). "
                      "404 campana_not_found."),
    Route("GET", "/api/clientes", listar_clientes, "The board: a page of customers and its snapshotOutboxId.",
          "any", query=ListQuery, response=Board, refusals=(403, 404),
          description="An asesor token always gets its own customers (another asesorId: 403). campanaId: "
                      "only that campaign's customers (sp_listar_clientes_de_campana; unknown: 404 "
                      "campana_not_found)."),
    Route("GET", CLIENTE, obtener_cliente, "One customer.", "any", assigned_only=True, response=Cliente,
          refusals=(403,),
          description="An asesor reads only a customer assigned to it (403 not_assigned)."),
    Route("GET", CLIENTE + "/historial", historial_cliente, "The customer's history.", "any",
          response=HistorialResponse, refusals=(403,),
          description="An asesor reads only the history of a customer assigned to it now (403 not_assigned), "
                      "checked and read in one call (sp_historial_cliente_de_asesor)."),
    Route("POST", CLIENTE + "/estatus", derivar_cliente, "Assign or reassign. Event CLIENT_REASSIGNED.", "gtr",
          body=Derivacion, response=EstadoCambiado, refusals=(409,)),
    Route("PATCH", CLIENTE + "/estatus", cambiar_estatus,
          "en_gestion opens the wizard, terminado completes it (the seed's PATCH).", "asesor",
          body=CambioEstatus, response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/lock", tomar_cliente, "Take the customer's edit lock (the same token while live).",
          "asesor", body=AsesorRequest, response=LockResponse, refusals=(409,)),
    Route("POST", CLIENTE + "/heartbeat", heartbeat_cliente, "Keep the lock and the customer alive.", "asesor",
          body=LockedRequest, response=HeartbeatResponse, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/open-wizard", abrir_wizard, "Open the wizard (en_gestion). Event CLIENT_IN_GESTION.",
          "asesor", body=LockedRequest, response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("PUT", CLIENTE, actualizar_cliente, "Edit nombre, telefono, datos. Event CLIENT_UPDATED.", "asesor",
          body=ActualizarCliente, response=Ack, refusals=(409,),
          description=LOCKED + " At least one of nombre, telefono, datos; telefono null clears the phone; "
                               "datos keys are merged (null removes a key)."),
    Route("POST", CLIENTE + "/complete-wizard", completar_wizard,
          "Complete the wizard (terminado). Event CLIENT_COMPLETED.", "asesor", body=LockedRequest,
          response=EstadoCambiado, refusals=(409,), description=LOCKED),
    Route("POST", CLIENTE + "/release", liberar_cliente, "Drop the lock, keep the customer.", "asesor",
          body=LockedRequest, response=Ack, refusals=(409,), description=LOCKED),
    Route("GET", "/api/asesores", listar_asesores, "Every asesor.", "any", response=Asesores),
    Route("POST", "/api/asesores", crear_asesor, "Create an asesor.", "gtr", body=AsesorNuevo, status=201,
          response=AsesorCreado),
    Route("POST", ASESOR + "/deactivate", desactivar_asesor,
          "Make an asesor inactive. Events CLIENT_RETURNED_TO_GTR per customer, ASESOR_DEACTIVATED.", "gtr",
          response=AsesorEstado, refusals=(409,),
          description="Its customers (derivado, en_gestion) go back to GTR as no_gestionado (history reason "
                      "asesor_desactivado); its tokens are revoked, so its REST calls answer 401 and its "
                      "WebSockets close with 4001 on every gateway. 409 asesor_state_unchanged: already inactive."),
    Route("POST", ASESOR + "/activate", activar_asesor, "Make an inactive asesor active again. Event ASESOR_ACTIVATED.",
          "gtr", response=AsesorEstado, refusals=(409,),
          description="It needs new tokens: the ones revoked when it was deactivated stay revoked. "
                      "409 asesor_state_unchanged: already active."),
    # The desk's administration (issue 14): each change audited with the caller's GTR token.
    Route("POST", ASESOR + "/tokens", emitir_token_asesor,
          "Give the asesor a login token, shown once. Event ASESOR_TOKEN_ISSUED.", "gtr",
          body=TokenAsesorNuevo, status=201, response=TokenAsesorEmitido, refusals=(403,),
          description="The database keeps only its SHA-256; the audit names the caller's GTR token. "
                      "vigenciaSegundos: null for token_asesor_vigencia_segundos, 0 for no expiry. "
                      "404 asesor_not_found also for an inactive asesor; 403 not_permitted when the caller's "
                      "token stopped being a live GTR token."),
    Route("POST", "/api/configuracion", configurar, "Change a floor setting. Event CONFIG_CHANGED.", "gtr",
          body=Configuracion, response=ConfiguracionCambiada, refusals=(403,),
          description="timeout_segundos or token_asesor_vigencia_segundos (the server's settings stay with "
                      "DBAs); out of range: 422 invalid_input. Audited with the caller's GTR token."),
    Route("GET", "/api/auditoria", auditoria, "The newest administrative changes, newest first.", "gtr",
          query=AuditoriaQuery, response=AuditoriaResponse,
          description="Of one asesor with asesorId; limit 1 to 1000 (default 100). emisor_descripcion is "
                      "the descripcion of the GTR token that made the change (null: a DBA)."),
    Route("GET", "/api/me", yo, "Who the token is.", "any", response=Yo),
    # -- routing (issue 13) ----------------------------------------------------------------
    Route("GET", "/api/campanas", listar_campanas, "Every campaign: settings and live queue.", "any",
          response=Campanas),
    Route("POST", "/api/campanas", crear_campana, "Create a campaign. Event CAMPAIGN_CHANGED.", "gtr",
          body=CampanaNueva, status=201, response=CampanaCreada, refusals=(409,),
          description="Omitted settings take the defaults: global timeout, prioridad 0, modo manual, "
                      "reciclajeSegundos 0, maxDevoluciones 3. 409 campana_exists: the name is taken."),
    Route("PATCH", CAMPANA, configurar_campana, "Change a campaign's settings. Event CAMPAIGN_CHANGED.",
          "gtr", body=CambiosCampana, response=AjustesCampana, refusals=(409,),
          description="The fields given are applied together in one transaction, with one CAMPAIGN_CHANGED: "
                      "a refusal changes none of them. 409 campana_exists (nombre)."),
    Route("GET", "/api/asesores/panel", panel_asesores,
          "The asesor panel: presence, load against capacity, consecutive timeouts, skills.", "gtr",
          response=PanelAsesores),
    Route("POST", ASESOR + "/habilidades", cambiar_habilidad,
          "Give (habilidad true) or take a campaign's skill. Event ASESOR_SKILLS_CHANGED.", "gtr",
          body=HabilidadRequest, response=HabilidadCambiada,
          description="cambiado false: it already was so (no event). 404 campana_not_found."),
    Route("PUT", ASESOR + "/capacidad", fijar_capacidad,
          "Customers the asesor may hold at once (1-100). Event ASESOR_CAPACITY_CHANGED.", "gtr",
          body=CapacidadRequest, response=CapacidadFijada, refusals=(409,),
          description="409 asesor_state_unchanged: it already has that capacity."),
    Route("POST", ASESOR + "/presencia", presencia_por_gtr, "GTR sets an asesor's presence. Event "
          "ASESOR_STATUS_CHANGED.", "gtr", body=PresenciaGtr, response=PresenciaCambiada, refusals=(409,),
          description="422 pause_reason_invalid: motivoPausa missing with en_pausa, unknown, or given with "
                      "another presence. 409 asesor_state_unchanged: it already is so."),
    Route("POST", "/api/presencia", presencia_propia, "The asesor sets its own presence. Event "
          "ASESOR_STATUS_CHANGED.", "asesor", body=PresenciaPropia, response=PresenciaCambiada, refusals=(409,),
          description="As POST /api/asesores/{id}/presencia, actor asesor. Made disponible, it may be given "
                      "customers at once (asignados)."),
    Route("GET", "/api/motivos-pausa", listar_motivos_pausa, "The pause reasons that may be chosen.", "any",
          response=MotivosPausa),
    Route("POST", "/api/siguiente-cliente", siguiente_cliente,
          "Siguiente cliente: the best waiting customer, at once. Event CLIENT_REASSIGNED.", "asesor",
          body=AsesorRequest, response=SiguienteCliente, refusals=(409,),
          description="clienteId null: nothing waits for this asesor. 409 asesor_not_available (not "
                      "disponible), capacity_full."),
    Route("POST", CLIENTE + "/devolver", devolver_cliente,
          "Hand the customer back to its queue (no_gestionado). Event CLIENT_RETURNED_TO_GTR.", "asesor",
          body=Devolucion, response=EstadoCambiado, refusals=(403, 409),
          description="403 not_assigned: not its customer. 409 invalid_transition: not derivado/en_gestion."),
    Route("POST", "/api/importaciones", importar_csv, "Bulk import of leads from a CSV body.", "gtr",
          body_media_type="text/csv", max_body=lambda settings: settings.import_max_bytes, query=ImportQuery,
          refusals=(404,),
          response=importing.ImportResult,
          description="UTF-8 CSV with a header row naming nombre (required), telefono and any other columns "
                      "(into datos). Up to SEGUIMIENTO_IMPORT_MAX_BYTES (413 past it); no nombre column: 422. "
                      "Query campanaId (unknown: 404 campana_not_found) and prioridad route every row. "
                      "Events CLIENTS_IMPORTED, one per batch of 5,000 rows."),
    Route("GET", "/api/reportes", reporte, "The desk's reports for whole UTC days (GTR).", "gtr",
          query=ReporteQuery, response=Reporte, refusals=(404,),
          description="Per asesor, completions per hour, speed to lead (distribution and service level "
                      "against umbralSegundos) and per campaign, for the UTC days desde..hasta (both "
                      "included, at most 366). asesorId filters every part; campanaId the campaigns only. "
                      "404 asesor_not_found / campana_not_found: an id that never existed."),
    Route("GET", "/api/tablero", muro, "The wallboard's figures (GTR).", "gtr", query=TableroQuery,
          response=Muro,
          description="Counts per state, today's assigned / completed / returned, the oldest waiting lead, "
                      "the customers with avisoSegundos or fewer left (at most limite), each campaign's "
                      "queue and each active asesor's presence. A wallboard re-reads it on events."),
    Route("GET", "/health", health, "Database, event scheduler, sweep and tailer health (no token).", "public",
          response=Health, refusals=(500, 503), error_bodies={500: HealthUnavailable, 503: HealthUnavailable}),
    Route("GET", "/metrics", metrics, "Prometheus metrics (no token; restrict it at the network).", "public",
          response_media_type="text/plain"),
    Route("GET", "/openapi.json", openapi_json, "This document (no token).", "public"),
    Route("GET", "/ws", websocket, "Live events over a WebSocket (upgrade this request).", "any",
          query=WebSocketQuery, check_origin=True, status=101, refusals=(400, 403, 422), query_token=True,
          description="Messages: {type, id, data} JSON text frames in id order (docs/api.md, WebSocket). "
                      "Refusals come before the upgrade, as HTTP errors (400: not a WebSocket upgrade; 403: "
                      "Origin not allowed; 422: bad since). After it, close codes 1001 (gateway stopping), "
                      "1013 (fell behind or database unreachable: reconnect with since), 4000 (resync), 4001 "
                      "(session ended: token revoked or expired, or asesor deactivated); a "
                      "client's own frames are ignored, but one over 64 KiB is cut with 1009, text that is not "
                      "UTF-8 with 1007, a protocol error with 1002. 429 too_many_websockets: the token "
                      "holds SEGUIMIENTO_WS_MAX_PER_TOKEN sockets already."),
    # The desk's pause reasons (issue 14): each change audited with the caller's GTR token.
    Route("GET", "/api/motivos-pausa/todos", listar_motivos_pausa_todos,
          "Every pause reason, those out of use too (GTR).", "gtr", response=MotivosPausaTodos),
    Route("POST", "/api/motivos-pausa", configurar_motivo_pausa,
          "Add a pause reason or change one. Event PAUSE_REASON_CHANGED.", "gtr", body=MotivoPausaCambio,
          response=MotivoPausaAdmin, refusals=(403,),
          description="By codigo (1-40 lowercase letters, digits or _): a new one is added, an existing one "
                      "renamed or switched (activo false takes it out of use; asesores paused with it stay "
                      "so). timeouts stays active: 422 invalid_input. Audited with the caller's GTR token; "
                      "403 not_permitted when it stopped being a live GTR token."),
)
