-- sp_crear_token(token_sha256, rol, asesor_id, descripcion): sp_crear_token_con_vigencia with
-- the default lifetime (asesor tokens: token_asesor_vigencia_segundos, 12 h; gtr tokens: no
-- expiry). Kept for callers written before tokens expired. Result set: token_id, expires_at.
DROP PROCEDURE IF EXISTS sp_crear_token;
DELIMITER //
CREATE PROCEDURE sp_crear_token(
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_rol LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    CALL sp_crear_token_con_vigencia(p_token_sha256, p_rol, p_asesor_id, p_descripcion, NULL);
END//
DELIMITER ;
