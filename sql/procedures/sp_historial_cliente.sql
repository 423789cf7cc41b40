-- sp_historial_cliente(cliente_id): a customer's history, oldest first. 45001 if unknown.
DROP PROCEDURE IF EXISTS sp_historial_cliente;
DELIMITER //
CREATE PROCEDURE sp_historial_cliente(IN p_cliente_id BIGINT)
BEGIN
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    IF NOT EXISTS (SELECT 1 FROM clientes WHERE id = p_cliente_id) THEN
        SET v_msg = CONCAT('cliente ', COALESCE(p_cliente_id, 'NULL'), ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45001, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT id AS historial_id, cliente_id, estado_anterior, estado_nuevo, asesor_id,
           asesor_anterior_id, actor, motivo, outbox_id, created_at
      FROM clientes_historial WHERE cliente_id = p_cliente_id ORDER BY id;
END//
DELIMITER ;
