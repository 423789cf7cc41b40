-- _registrar_presencias(ahora): internal. Writes the history row (asesores_presencia) and the
-- outbox event ASESOR_STATUS_CHANGED {asesorId, presencia, motivoPausa, presenciaAnterior,
-- motivoPausaAnterior, actor, timestamp} of every presence change staged in the caller's
-- temporary table tmp_presencia (asesor_id, estado_anterior, motivo_anterior, estado_nuevo,
-- motivo_nuevo, actor), which the caller has already applied to asesores. Reserves the
-- outbox ids, so callers run it as the LAST step before COMMIT (see _reservar_outbox_ids).
-- Set-based: one reservation and two INSERT ... SELECT whatever the number of asesores.
DROP PROCEDURE IF EXISTS _registrar_presencias;
DELIMITER //
CREATE PROCEDURE _registrar_presencias(IN p_ahora DATETIME(6))
BEGIN
    DECLARE v_n BIGINT;
    DECLARE v_primero BIGINT;

    SELECT COUNT(*) INTO v_n FROM tmp_presencia;
    IF v_n > 0 THEN
        CALL _reservar_outbox_ids(v_n, v_primero);
        INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
            SELECT v_primero - 1 + ROW_NUMBER() OVER (ORDER BY t.asesor_id), 'ASESOR_STATUS_CHANGED',
                   NULL, t.asesor_id, NULL,
                   JSON_OBJECT('asesorId', t.asesor_id, 'presencia', t.estado_nuevo,
                               'motivoPausa', t.motivo_nuevo, 'presenciaAnterior', t.estado_anterior,
                               'motivoPausaAnterior', t.motivo_anterior, 'actor', t.actor,
                               'timestamp', DATE_FORMAT(p_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
                   p_ahora
              FROM tmp_presencia t;
        INSERT INTO asesores_presencia (asesor_id, estado_anterior, estado_nuevo, motivo_pausa, actor,
                                        outbox_id, created_at)
            SELECT t.asesor_id, t.estado_anterior, t.estado_nuevo, t.motivo_nuevo, t.actor, o.id, p_ahora
              FROM tmp_presencia t
              JOIN outbox o ON o.id >= v_primero AND o.id < v_primero + v_n AND o.asesor_id = t.asesor_id;
    END IF;
END//
DELIMITER ;
