-- sp_heartbeat_cliente(cliente_id, asesor_id, lock_token): the asesor's dashboard is still
-- working the customer (sent every 60 s while the wizard is open). Refreshes last_activity.
-- Result set: lock_expires_at. No event and no history row: nothing a dashboard shows changes.
DROP PROCEDURE IF EXISTS sp_heartbeat_cliente;
DELIMITER //
CREATE PROCEDURE sp_heartbeat_cliente(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_lock_token LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_vence DATETIME(6);
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, p_lock_token, 1, v_ahora, v_estado);
    UPDATE clientes SET last_activity = v_ahora, updated_at = v_ahora WHERE id = p_cliente_id;
    SELECT vence_en INTO v_vence FROM clientes WHERE id = p_cliente_id;
    CALL _cerrar_transaccion(TRUE);
    SELECT v_vence AS lock_expires_at;
END//
DELIMITER ;
