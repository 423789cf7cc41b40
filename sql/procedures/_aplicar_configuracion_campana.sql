-- _aplicar_configuracion_campana(campana_id, clave, texto, numero, ahora): internal. Writes one
-- setting that _validar_configuracion_campana checked into a campaign the caller has locked
-- (FOR UPDATE), inside the caller's transaction, with what the setting takes along:
--   timeout_segundos  the stored deadline of the campaign's customers being worked is
--                     recomputed, so the sweep (which scans vence_en) applies it at once;
--   max_devoluciones  the campaign's no_gestionado customers returned fewer times are (back)
--                     in the queue, the others stay with GTR.
-- Writes no event: the caller writes one CAMPAIGN_CHANGED (_registrar_campana) as its last
-- step. A nombre another campaign has fails with 1062 (the unique key), which the caller turns
-- into 45011. Shared by sp_configurar_campana (one setting) and sp_configurar_campana_varios
-- (several in one transaction), so a setting does the same whichever is called.
DROP PROCEDURE IF EXISTS _aplicar_configuracion_campana;
DELIMITER //
CREATE PROCEDURE _aplicar_configuracion_campana(
    IN p_campana_id BIGINT,
    IN p_clave      VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_texto      LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_numero     BIGINT,
    IN p_ahora      DATETIME(6))
BEGIN
    UPDATE campanas
       SET nombre = IF(p_clave = 'nombre', p_texto, nombre),
           timeout_segundos = IF(p_clave = 'timeout_segundos', p_numero, timeout_segundos),
           prioridad = IF(p_clave = 'prioridad', p_numero, prioridad),
           modo = IF(p_clave = 'modo', LOWER(p_texto), modo),
           reciclaje_segundos = IF(p_clave = 'reciclaje_segundos', p_numero, reciclaje_segundos),
           max_devoluciones = IF(p_clave = 'max_devoluciones', p_numero, max_devoluciones),
           pausa_tras_timeouts = IF(p_clave = 'pausa_tras_timeouts', p_numero, pausa_tras_timeouts),
           activa = IF(p_clave = 'activa', p_numero, activa),
           updated_at = p_ahora
     WHERE id = p_campana_id;
    IF p_clave = 'timeout_segundos' THEN
        UPDATE clientes c JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos'
           SET c.plazo_segundos = COALESCE(p_numero, cfg.valor)
         WHERE c.campana_id = p_campana_id AND c.vence_en IS NOT NULL;
    ELSEIF p_clave = 'max_devoluciones' THEN
        UPDATE clientes
           SET en_cola = (devoluciones < p_numero), cola_desde = COALESCE(cola_desde, updated_at)
         WHERE campana_id = p_campana_id AND seguimiento_status = 'no_gestionado';
    END IF;
END//
DELIMITER ;
