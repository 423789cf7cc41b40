-- sp_validar_token(token_sha256): who a bearer token is. Result set: one row (token_id, rol,
-- asesor_id, expires_at) for a live token; no row for an unknown, revoked or expired one,
-- or one whose asesor is no longer active. expires_at (NULL: never) lets a gateway end the
-- token's sessions on time without asking again.
DROP PROCEDURE IF EXISTS sp_validar_token;
DELIMITER //
CREATE PROCEDURE sp_validar_token(IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    SELECT t.id AS token_id, t.rol, t.asesor_id, t.expires_at
      FROM api_tokens t
      LEFT JOIN asesores a ON a.id = t.asesor_id
     WHERE t.token_sha256 = p_token_sha256
       AND t.revoked_at IS NULL
       AND (t.expires_at IS NULL OR t.expires_at > UTC_TIMESTAMP(6))
       AND (t.rol = 'gtr' OR a.activo = 1);
END//
DELIMITER ;
