-- sp_abrir_wizard(cliente_id, asesor_id, lock_token): the asesor opens the management wizard:
-- derivado -> en_gestion. Event CLIENT_IN_GESTION {clienteId, asesorId, timestamp}.
-- Opening a customer ends the asesor's streak of consecutive timeouts (timeouts_consecutivos).
DROP PROCEDURE IF EXISTS sp_abrir_wizard;
DELIMITER //
CREATE PROCEDURE sp_abrir_wizard(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_lock_token LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_racha BIGINT DEFAULT 0;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, p_lock_token, 1, v_ahora, v_estado);
    IF v_estado <> 'derivado' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45003, MESSAGE_TEXT = 'the wizard is already open (cliente is en_gestion)';
    END IF;
    UPDATE clientes
       SET seguimiento_status = 'en_gestion', opened_at = v_ahora, last_activity = v_ahora, updated_at = v_ahora
     WHERE id = p_cliente_id;
    -- Locks the asesor row only when there is a streak to end (almost never): a deactivation
    -- locks the asesor, then its customers, the other way round from here.
    SELECT timeouts_consecutivos INTO v_racha FROM asesores WHERE id = p_asesor_id;
    IF v_racha > 0 THEN
        UPDATE asesores SET timeouts_consecutivos = 0 WHERE id = p_asesor_id;
    END IF;
    CALL _registrar_cambio(p_cliente_id, 'derivado', 'en_gestion', p_asesor_id, NULL, 'asesor',
                           'wizard_abierto', 'CLIENT_IN_GESTION',
                           JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED)), v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
