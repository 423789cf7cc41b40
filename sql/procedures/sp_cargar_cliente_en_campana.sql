-- sp_cargar_cliente_en_campana(nombre, telefono, datos_json, campana_id, prioridad): GTR loads
-- a customer as nuevo into a campaign (NULL: 'general') with a priority (NULL: 0; -1000..1000,
-- higher served first inside its campaign). Same rules and event as sp_cargar_cliente
-- (CLIENT_CREATED). In an auto campaign the distribution runs for the campaign right after
-- the load commits, so an available asesor with the skill gets it in the same call.
-- Result set: cliente_id, asesor_asignado (NULL while it waits). Refuses an unknown campaign
-- (45010) and a priority out of range (45007).
DROP PROCEDURE IF EXISTS sp_cargar_cliente_en_campana;
DELIMITER //
CREATE PROCEDURE sp_cargar_cliente_en_campana(
    IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_datos_json LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_campana_id BIGINT,
    IN p_prioridad BIGINT)
BEGIN
    DECLARE v_id BIGINT;

    CALL _cargar_cliente(p_nombre, p_telefono, p_datos_json, p_campana_id, p_prioridad, v_id);
    SELECT CAST(v_id AS SIGNED) AS cliente_id, asesor_asignado FROM clientes WHERE id = v_id;
END//
DELIMITER ;
