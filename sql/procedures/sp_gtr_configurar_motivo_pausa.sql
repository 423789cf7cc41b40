-- sp_gtr_configurar_motivo_pausa(emisor_token_id, codigo, descripcion, activo): GTR adds a
-- pause reason or changes one (renames it, takes it out of use with activo 0 or back with
-- 1) from the desk. 45015 unless emisor_token_id is a live GTR token (_emisor_gtr); the
-- rules are sp_configurar_motivo_pausa's (_aplicar_motivo_pausa, 45007; 'timeouts' stays
-- active). In one transaction: the change, then event PAUSE_REASON_CHANGED {codigo,
-- descripcion, activo, actor: "gtr", timestamp} and its auditoria_admin row naming the
-- emisor. Asesores already paused with a reason taken out of use stay so.
-- Result set: codigo, descripcion, activo.
DROP PROCEDURE IF EXISTS sp_gtr_configurar_motivo_pausa;
DELIMITER //
CREATE PROCEDURE sp_gtr_configurar_motivo_pausa(
    IN p_emisor_token_id BIGINT,
    IN p_codigo LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_activo TINYINT)
BEGIN
    DECLARE v_descripcion VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_activo TINYINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    CALL _aplicar_motivo_pausa(p_codigo, p_descripcion, p_activo);
    SELECT descripcion, activo INTO v_descripcion, v_activo FROM motivos_pausa WHERE codigo = p_codigo;
    CALL _registrar_admin('PAUSE_REASON_CHANGED', NULL, NULL, p_emisor_token_id, 'gtr',
                          JSON_OBJECT('codigo', p_codigo, 'descripcion', v_descripcion,
                                      'activo', CAST(v_activo AS SIGNED), 'actor', 'gtr'),
                          v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT p_codigo AS codigo, v_descripcion AS descripcion, v_activo AS activo;
END//
DELIMITER ;
