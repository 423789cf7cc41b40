"""Which procedures write outbox events: declared once, here.

:meth:`gateway.db.pool.Database.call` wakes the outbox tailer after every successful call of
one of these, so the events reach the dashboards at once instead of at the tailer's next
poll. A procedure writes events when its SQL inserts into ``outbox``, itself or through a
helper it CALLs (``_registrar_cambio``, ``_registrar_evento``...).

tests/test_outbox_writers.py reads sql/procedures/ and fails, naming what to add or remove,
when this set and the SQL disagree. Adding an event-writing procedure: add its name here.
"""

from __future__ import annotations

EVENT_WRITING_PROCEDURES: frozenset[str] = frozenset({
    "sp_abrir_wizard",
    "sp_activar_asesor",
    "sp_actualizar_cliente",
    "sp_asignar_habilidad",
    "sp_barrido_seguimiento",
    "sp_caducar_tokens",  # run by ev_caducar_tokens; listed because it writes TOKEN_EXPIRED
    "sp_cambiar_presencia",
    "sp_cargar_cliente",
    "sp_cargar_cliente_en_campana",
    "sp_completar_wizard",
    "sp_configurar_campana",
    "sp_configurar_campana_varios",
    "sp_crear_campana",
    "sp_derivar_cliente",
    "sp_desactivar_asesor",
    "sp_devolver_cliente",
    "sp_distribuir",
    "sp_fijar_capacidad",
    "sp_gtr_activar_asesor",
    "sp_gtr_configurar",
    "sp_gtr_configurar_motivo_pausa",
    "sp_gtr_crear_asesor",
    "sp_gtr_desactivar_asesor",
    "sp_gtr_emitir_token_asesor",
    "sp_importar_lote",
    "sp_importar_lote_en_campana",
    "sp_quitar_habilidad",
    "sp_revocar_token",
    "sp_siguiente_cliente",
})
