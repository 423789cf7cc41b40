-- _aplicar_configuracion(clave, valor): internal. Writes a checked setting inside the
-- caller's transaction, with what the setting takes along: a new timeout_segundos also
-- recomputes the stored deadline of every customer being worked in a campaign without a
-- timeout of its own, so the sweep (which scans vence_en) applies it at once. Shared by
-- sp_configurar (a DBA's) and sp_gtr_configurar (the desk's), so both do the same.
DROP PROCEDURE IF EXISTS _aplicar_configuracion;
DELIMITER //
CREATE PROCEDURE _aplicar_configuracion(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor BIGINT)
BEGIN
    UPDATE seguimiento_config SET valor = p_valor WHERE clave = p_clave;
    IF p_clave = 'timeout_segundos' THEN
        UPDATE clientes c JOIN campanas k ON k.id = c.campana_id
           SET c.plazo_segundos = p_valor
         WHERE c.vence_en IS NOT NULL AND k.timeout_segundos IS NULL;  -- vence_en: the active ones, by index
    END IF;
END//
DELIMITER ;
