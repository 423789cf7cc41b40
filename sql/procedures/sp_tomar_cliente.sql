-- sp_tomar_cliente(cliente_id, asesor_id): the assigned asesor takes the edit lock.
-- Result set: lock_token, lock_expires_at (UTC; every activity pushes it to last_activity +
-- the customer's timeout: its campaign's, or timeout_segundos). Taking it again while it is
-- live returns the SAME token,
-- so a retried request or a reloaded page keeps working; a lock left by another asesor that
-- is still live is refused (45005). Counts as activity. No event: the state does not change.
DROP PROCEDURE IF EXISTS sp_tomar_cliente;
DELIMITER //
CREATE PROCEDURE sp_tomar_cliente(IN p_cliente_id BIGINT, IN p_asesor_id BIGINT)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_token CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_dueno BIGINT;
    DECLARE v_vence DATETIME(6);
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, NULL, 0, v_ahora, v_estado);
    SELECT lock_token, lock_asesor_id INTO v_token, v_dueno FROM clientes WHERE id = p_cliente_id;
    -- The lock belongs to the assigned asesor, and reassignment drops it, so another owner
    -- can only be left by a hand edit of the table; refuse rather than steal it.
    IF v_token IS NOT NULL AND NOT (v_dueno <=> p_asesor_id) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45005, MESSAGE_TEXT = 'the lock of this customer is held by another asesor';
    END IF;
    IF v_token IS NULL THEN
        -- 144 random bits (UUID() is time- and host-based, so guessable), 36 characters.
        SET v_token = LOWER(HEX(RANDOM_BYTES(18)));
    END IF;
    UPDATE clientes
       SET lock_token = v_token, lock_asesor_id = p_asesor_id, last_activity = v_ahora, updated_at = v_ahora
     WHERE id = p_cliente_id;
    SELECT vence_en INTO v_vence FROM clientes WHERE id = p_cliente_id;
    CALL _cerrar_transaccion(TRUE);
    SELECT v_token AS lock_token, v_vence AS lock_expires_at;
END//
DELIMITER ;
