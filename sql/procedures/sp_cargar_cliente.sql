-- sp_cargar_cliente(nombre, telefono, datos_json): GTR loads a customer as nuevo, into the
-- default campaign ('general') with priority 0 (sp_cargar_cliente_en_campana chooses both).
-- Result set: cliente_id. Event CLIENT_CREATED. When 'general' is in auto mode the customer
-- may be assigned at once (see _cargar_cliente).
DROP PROCEDURE IF EXISTS sp_cargar_cliente;
DELIMITER //
CREATE PROCEDURE sp_cargar_cliente(
    IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_datos_json LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_id BIGINT;

    CALL _cargar_cliente(p_nombre, p_telefono, p_datos_json, NULL, NULL, v_id);
    SELECT CAST(v_id AS SIGNED) AS cliente_id;
END//
DELIMITER ;
