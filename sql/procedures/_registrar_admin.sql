-- _registrar_admin(event_type, asesor_id, token_id, emisor_token_id, actor, payload, ahora):
-- internal. Writes the outbox event of one administrative change and its audit row
-- (auditoria_admin, detalle = the event's payload). Like _registrar_evento it reserves the
-- outbox id, so callers run it as the LAST step before COMMIT. Adds timestamp to the payload.
DROP PROCEDURE IF EXISTS _registrar_admin;
DELIMITER //
CREATE PROCEDURE _registrar_admin(
    IN p_event_type      VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id       BIGINT,
    IN p_token_id        BIGINT,
    IN p_emisor_token_id BIGINT,
    IN p_actor           VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_payload         LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_ahora           DATETIME(6))
BEGIN
    DECLARE v_outbox_id BIGINT;
    DECLARE v_payload LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT JSON_SET(p_payload, '$.timestamp', DATE_FORMAT(p_ahora, '%Y-%m-%dT%H:%i:%s.%fZ'));

    CALL _reservar_outbox_ids(1, v_outbox_id);
    INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
    VALUES (v_outbox_id, p_event_type, NULL, p_asesor_id, NULL, v_payload, p_ahora);
    INSERT INTO auditoria_admin (event_type, asesor_id, token_id, emisor_token_id, actor, detalle, outbox_id, created_at)
    VALUES (p_event_type, p_asesor_id, p_token_id, p_emisor_token_id, p_actor, v_payload, v_outbox_id, p_ahora);
END//
DELIMITER ;
