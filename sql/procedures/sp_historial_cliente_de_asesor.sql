-- sp_historial_cliente_de_asesor(asesor_id, cliente_id): a customer's history, oldest first
-- (the columns of sp_historial_cliente), for the asesor it is assigned to now; the check and
-- the read see one snapshot, so a reassignment can never slip between them (the gateway used
-- to check with sp_obtener_cliente, then read with sp_historial_cliente: two calls).
-- Refusals: 45007 (an id missing), 45001 (no such customer), 45004 (not assigned to that
-- asesor: the gateway's "not yours"). Contact data and wizard answers (datos): sp_obtener_cliente.
DROP PROCEDURE IF EXISTS sp_historial_cliente_de_asesor;
DELIMITER //
CREATE PROCEDURE sp_historial_cliente_de_asesor(IN p_asesor_id BIGINT, IN p_cliente_id BIGINT)
BEGIN
    DECLARE v_existe TINYINT DEFAULT 0;
    DECLARE v_asesor BIGINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;

    IF p_asesor_id IS NULL OR p_cliente_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id and cliente_id are required';
    END IF;
    -- ROLLBACK first, as writers do: an interrupted call's transaction is not ours to commit.
    -- Then one consistent snapshot, read-only, for the check and the read.
    ROLLBACK;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;
    SELECT 1, asesor_asignado INTO v_existe, v_asesor FROM clientes WHERE id = p_cliente_id;
    IF v_existe = 0 THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45001, MESSAGE_TEXT = v_msg;
    END IF;
    IF NOT (v_asesor <=> p_asesor_id) THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' is not assigned to asesor ', p_asesor_id);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45004, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT id AS historial_id, cliente_id, estado_anterior, estado_nuevo, asesor_id,
           asesor_anterior_id, actor, motivo, outbox_id, created_at
      FROM clientes_historial WHERE cliente_id = p_cliente_id ORDER BY id;
    COMMIT;
END//
DELIMITER ;
