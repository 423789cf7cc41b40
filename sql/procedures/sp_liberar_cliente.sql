-- sp_liberar_cliente(cliente_id, asesor_id, lock_token): the asesor drops the edit lock and
-- keeps the assignment (state unchanged). Counts as activity. No event.
DROP PROCEDURE IF EXISTS sp_liberar_cliente;
DELIMITER //
CREATE PROCEDURE sp_liberar_cliente(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_lock_token LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, p_lock_token, 1, v_ahora, v_estado);
    UPDATE clientes
       SET lock_token = NULL, lock_asesor_id = NULL, last_activity = v_ahora, updated_at = v_ahora
     WHERE id = p_cliente_id;
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
