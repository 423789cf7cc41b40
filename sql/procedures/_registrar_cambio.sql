-- _registrar_cambio: internal. Writes the history row and the outbox event of one change
-- of one customer. Callers run it as the LAST step of their transaction, right before
-- COMMIT, because it reserves the outbox id (see _reservar_outbox_ids: the lock it takes is
-- held until commit). Adds clienteId and timestamp to the payload so every event carries
-- them the same way.
DROP PROCEDURE IF EXISTS _registrar_cambio;
DELIMITER //
CREATE PROCEDURE _registrar_cambio(
    IN p_cliente_id         BIGINT,
    IN p_estado_anterior    VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_estado_nuevo       VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id          BIGINT,
    IN p_asesor_anterior_id BIGINT,
    IN p_actor              VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_motivo             VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_event_type         VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_payload            LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_ahora              DATETIME(6))
BEGIN
    DECLARE v_outbox_id BIGINT;

    CALL _reservar_outbox_ids(1, v_outbox_id);

    INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
    VALUES (v_outbox_id, p_event_type, p_cliente_id, p_asesor_id, p_asesor_anterior_id,
            JSON_SET(p_payload,
                     '$.clienteId', CAST(p_cliente_id AS SIGNED),
                     '$.timestamp', DATE_FORMAT(p_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
            p_ahora);

    INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                    asesor_anterior_id, actor, motivo, outbox_id, created_at)
    VALUES (p_cliente_id, p_estado_anterior, p_estado_nuevo, p_asesor_id,
            p_asesor_anterior_id, p_actor, p_motivo, v_outbox_id, p_ahora);
END//
DELIMITER ;
