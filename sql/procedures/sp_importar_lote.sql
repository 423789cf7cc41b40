-- sp_importar_lote(clave, origen, filas_json, omitir_duplicados): loads one batch of leads as
-- nuevo customers, set-based and in ONE transaction.
--   clave: 64 hex characters identifying the batch (the importer uses the SHA-256 of the
--          batch's rows); a batch whose clave was already loaded is not loaded again.
--   origen: free text, e.g. the file name.
--   filas_json: a JSON array of {"linea": n, "nombre": "...", "telefono": "...",
--               "datos": "<a JSON object, as text>"}; at most 10,000 rows.
--   omitir_duplicados: 1 rejects rows whose telefono a customer already has, or an earlier
--               row of the batch has.
-- Rules per row are those of sp_cargar_cliente (see _validar_contacto, _validar_datos).
-- Writes a history row per customer (motivo importado) and ONE summarising outbox event,
-- CLIENTS_IMPORTED {importacionId, cargados, rechazados, timestamp}.
-- Result sets: 1. importacion_id, cargados, rechazados, ya_importado (1 when the clave was
-- already loaded: nothing done); 2. the rejected rows: linea, motivo.
-- The customers go into the default campaign ('general') with priority 0;
-- sp_importar_lote_en_campana chooses both.
DROP PROCEDURE IF EXISTS sp_importar_lote;
DELIMITER //
CREATE PROCEDURE sp_importar_lote(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_origen LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_filas LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_omitir_duplicados TINYINT)
BEGIN
    CALL _importar_lote(p_clave, p_origen, p_filas, p_omitir_duplicados, NULL, NULL);
END//
DELIMITER ;
