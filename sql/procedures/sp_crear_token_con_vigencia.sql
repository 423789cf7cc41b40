-- sp_crear_token_con_vigencia(token_sha256, rol, asesor_id, descripcion, vigencia_segundos):
-- records a gateway bearer token by its SHA-256 (64 hex characters; the token itself is
-- never stored), with a lifetime. rol 'gtr' takes no asesor; rol 'asesor' needs an active
-- asesor. vigencia_segundos: NULL takes the default (asesor tokens:
-- token_asesor_vigencia_segundos, 12 h; gtr tokens: no expiry), 0 means no expiry, 1 to
-- 315360000 (ten years) that many seconds from now. From expires_at on, sp_validar_token
-- refuses the token, and sp_caducar_tokens records its expiry (event TOKEN_EXPIRED).
-- Result set: token_id, expires_at (NULL: never).
-- A hash already recorded is refused (45007) rather than failing as a duplicate key.
-- The checks and the insert are _crear_token's, shared with sp_gtr_emitir_token_asesor.
DROP PROCEDURE IF EXISTS sp_crear_token_con_vigencia;
DELIMITER //
CREATE PROCEDURE sp_crear_token_con_vigencia(
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_rol LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_vigencia_segundos BIGINT)
BEGIN
    DECLARE v_token_id BIGINT;
    DECLARE v_expira DATETIME(6);
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'that token is already recorded';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    CALL _crear_token(p_token_sha256, p_rol, p_asesor_id, p_descripcion, p_vigencia_segundos, UTC_TIMESTAMP(6),
                      v_token_id, v_expira);
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_token_id AS SIGNED) AS token_id, v_expira AS expires_at;
END//
DELIMITER ;
