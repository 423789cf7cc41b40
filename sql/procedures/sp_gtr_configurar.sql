-- sp_gtr_configurar(emisor_token_id, clave, valor): GTR changes a setting of the floor from
-- the desk: timeout_segundos or token_asesor_vigencia_segundos (the others tune the server
-- and stay with DBAs and sp_configurar: 45015, as for an emisor that is not a live GTR
-- token). Ranges as sp_configurar (45007). In one transaction: the change, then event
-- CONFIG_CHANGED {clave, valorAnterior, valor, actor: "gtr", timestamp} and its
-- auditoria_admin row naming the emisor.
-- Result set: clave, valor_anterior, valor.
DROP PROCEDURE IF EXISTS sp_gtr_configurar;
DELIMITER //
CREATE PROCEDURE sp_gtr_configurar(
    IN p_emisor_token_id BIGINT,
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor BIGINT)
BEGIN
    DECLARE v_anterior BIGINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    SELECT valor INTO v_anterior FROM seguimiento_config WHERE clave = p_clave FOR UPDATE;
    IF v_anterior IS NULL THEN
        SET v_msg = CONCAT('unknown setting ', COALESCE(LEFT(p_clave, 64), 'NULL'));
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
    IF CAST(p_clave AS BINARY) NOT IN ('timeout_segundos', 'token_asesor_vigencia_segundos') THEN
        SET v_msg = CONCAT(p_clave, ' is a server setting: a DBA changes it with sp_configurar');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45015, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _validar_configuracion(p_clave, p_valor);
    CALL _aplicar_configuracion(p_clave, p_valor);
    CALL _registrar_admin('CONFIG_CHANGED', NULL, NULL, p_emisor_token_id, 'gtr',
                          JSON_OBJECT('clave', p_clave, 'valorAnterior', CAST(v_anterior AS SIGNED),
                                      'valor', CAST(p_valor AS SIGNED), 'actor', 'gtr'),
                          v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT p_clave AS clave, v_anterior AS valor_anterior, p_valor AS valor;
END//
DELIMITER ;
