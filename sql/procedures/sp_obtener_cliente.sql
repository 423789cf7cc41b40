-- sp_obtener_cliente(cliente_id): one customer (v_clientes columns). 45001 if unknown.
DROP PROCEDURE IF EXISTS sp_obtener_cliente;
DELIMITER //
CREATE PROCEDURE sp_obtener_cliente(IN p_cliente_id BIGINT)
BEGIN
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    IF NOT EXISTS (SELECT 1 FROM clientes WHERE id = p_cliente_id) THEN
        SET v_msg = CONCAT('cliente ', COALESCE(p_cliente_id, 'NULL'), ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45001, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT * FROM v_clientes WHERE cliente_id = p_cliente_id;
END//
DELIMITER ;
