-- sp_completar_wizard(cliente_id, asesor_id, lock_token): the asesor completes the wizard:
-- en_gestion -> terminado. Sets wizard_completado and fecha_wizard_completado, clears the
-- assignment, last_activity and the lock. Event CLIENT_COMPLETED {clienteId, asesorId, timestamp}.
DROP PROCEDURE IF EXISTS sp_completar_wizard;
DELIMITER //
CREATE PROCEDURE sp_completar_wizard(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_lock_token LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, p_lock_token, 1, v_ahora, v_estado);
    IF v_estado <> 'en_gestion' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45003,
            MESSAGE_TEXT = 'only a customer en_gestion can be completed: open the wizard first';
    END IF;
    UPDATE clientes
       SET seguimiento_status = 'terminado', wizard_completado = 1, fecha_wizard_completado = v_ahora,
           asesor_asignado = NULL, last_activity = NULL, lock_token = NULL, lock_asesor_id = NULL,
           updated_at = v_ahora
     WHERE id = p_cliente_id;
    CALL _registrar_cambio(p_cliente_id, 'en_gestion', 'terminado', p_asesor_id, NULL, 'asesor',
                           'wizard_completado', 'CLIENT_COMPLETED',
                           JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED)), v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
