-- _registrar_evento(event_type, asesor_id, payload, ahora): internal. Writes one outbox event
-- that concerns no customer (tokens, asesores): no history row. Like _registrar_cambio it
-- reserves the outbox id, so callers run it as the LAST step before COMMIT. Adds timestamp
-- to the payload.
DROP PROCEDURE IF EXISTS _registrar_evento;
DELIMITER //
CREATE PROCEDURE _registrar_evento(
    IN p_event_type VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id  BIGINT,
    IN p_payload    LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_ahora      DATETIME(6))
BEGIN
    DECLARE v_outbox_id BIGINT;

    CALL _reservar_outbox_ids(1, v_outbox_id);
    INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
    VALUES (v_outbox_id, p_event_type, NULL, p_asesor_id, NULL,
            JSON_SET(p_payload, '$.timestamp', DATE_FORMAT(p_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
            p_ahora);
END//
DELIMITER ;
