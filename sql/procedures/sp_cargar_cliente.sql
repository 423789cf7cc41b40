-- sp_cargar_cliente(nombre, telefono, datos_json): GTR loads a customer as nuevo.
-- Result set: cliente_id. Event CLIENT_CREATED.
DROP PROCEDURE IF EXISTS sp_cargar_cliente;
DELIMITER //
CREATE PROCEDURE sp_cargar_cliente(
    IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_datos_json LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_nombre VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_telefono VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_id BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _validar_contacto(p_nombre, p_telefono, v_nombre, v_telefono);
    CALL _validar_datos(p_datos_json);

    CALL _abrir_transaccion();
    INSERT INTO clientes (nombre, telefono, datos, seguimiento_status, created_at, updated_at)
    VALUES (v_nombre, v_telefono, p_datos_json, 'nuevo', v_ahora, v_ahora);
    SET v_id = LAST_INSERT_ID();
    CALL _registrar_cambio(v_id, NULL, 'nuevo', NULL, NULL, 'gtr', 'cargado', 'CLIENT_CREATED',
                           JSON_OBJECT('nombre', v_nombre, 'telefono', v_telefono,
                                       'seguimiento_status', 'nuevo'),
                           v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_id AS SIGNED) AS cliente_id;
END//
DELIMITER ;
