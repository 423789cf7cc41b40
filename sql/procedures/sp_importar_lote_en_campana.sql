-- sp_importar_lote_en_campana(clave, origen, filas_json, omitir_duplicados, campana_id,
-- prioridad): sp_importar_lote into a campaign (NULL: 'general') with a priority for every
-- row (NULL: 0; -1000..1000). Same rules, result sets and event (CLIENTS_IMPORTED). In an
-- auto campaign the distribution runs for the campaign right after the batch commits.
-- Refuses an unknown campaign (45010) and a priority out of range (45007). The clave alone
-- identifies a batch: the same rows loaded again into another campaign are not loaded twice.
DROP PROCEDURE IF EXISTS sp_importar_lote_en_campana;
DELIMITER //
CREATE PROCEDURE sp_importar_lote_en_campana(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_origen LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_filas LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_omitir_duplicados TINYINT,
    IN p_campana_id BIGINT,
    IN p_prioridad BIGINT)
BEGIN
    CALL _importar_lote(p_clave, p_origen, p_filas, p_omitir_duplicados, p_campana_id, p_prioridad);
END//
DELIMITER ;
