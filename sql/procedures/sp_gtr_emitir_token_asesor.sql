-- sp_gtr_emitir_token_asesor(emisor_token_id, asesor_id, token_sha256, descripcion,
-- vigencia_segundos): GTR hands an asesor a login token from the desk, without a DBA. The
-- gateway makes the token, passes its SHA-256 and the id of the caller's GTR token
-- (emisor_token_id), and shows the token once. In one transaction: the emisor is checked
-- (a live GTR token, else 45015), the token is recorded as sp_crear_token_con_vigencia does
-- (asesor role; same checks, lifetime rules and refusals: 45007, 45002 for an inactive
-- asesor), then event ASESOR_TOKEN_ISSUED {asesorId, tokenId, emisorTokenId, expiresAt,
-- timestamp} and its auditoria_admin row (no secret in either).
-- Result set: token_id, expires_at (NULL: never).
DROP PROCEDURE IF EXISTS sp_gtr_emitir_token_asesor;
DELIMITER //
CREATE PROCEDURE sp_gtr_emitir_token_asesor(
    IN p_emisor_token_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_vigencia_segundos BIGINT)
BEGIN
    DECLARE v_token_id BIGINT;
    DECLARE v_expira DATETIME(6);
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'that token is already recorded';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;
    CALL _abrir_transaccion();
    CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    CALL _crear_token(p_token_sha256, 'asesor', p_asesor_id, p_descripcion, p_vigencia_segundos, v_ahora,
                      v_token_id, v_expira);
    CALL _registrar_admin('ASESOR_TOKEN_ISSUED', p_asesor_id, v_token_id, p_emisor_token_id, 'gtr',
                          JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED), 'tokenId', CAST(v_token_id AS SIGNED),
                                      'emisorTokenId', CAST(p_emisor_token_id AS SIGNED),
                                      'expiresAt', DATE_FORMAT(v_expira, '%Y-%m-%dT%H:%i:%s.%fZ')),
                          v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_token_id AS SIGNED) AS token_id, v_expira AS expires_at;
END//
DELIMITER ;
