-- sp_crear_token(token_sha256, rol, asesor_id, descripcion): records a gateway bearer token
-- by its SHA-256 (64 hex characters; the token itself is never stored). rol 'gtr' takes no
-- asesor; rol 'asesor' needs an active asesor. Result set: token_id.
-- A hash already recorded is refused (45007) rather than failing as a duplicate key.
DROP PROCEDURE IF EXISTS sp_crear_token;
DELIMITER //
CREATE PROCEDURE sp_crear_token(
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_rol LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR 1062
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'that token is already recorded';

    IF p_token_sha256 IS NULL OR NOT p_token_sha256 REGEXP '^[0-9a-f]{64}$' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'token_sha256 must be 64 lowercase hex characters';
    END IF;
    IF p_rol IS NULL OR CAST(LOWER(p_rol) AS BINARY) NOT IN ('gtr', 'asesor') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'rol must be gtr or asesor';
    END IF;
    IF p_rol = 'gtr' AND p_asesor_id IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'a gtr token belongs to no asesor';
    END IF;
    IF CHAR_LENGTH(p_descripcion) > 200 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'descripcion is longer than 200 characters';
    END IF;
    IF p_rol = 'asesor' THEN
        SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id;
        IF v_activo IS NULL OR v_activo = 0 THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = 'an asesor token needs an active asesor';
        END IF;
    END IF;
    -- Leave any transaction an interrupted call left open (see sp_derivar_cliente), so this
    -- write commits on its own rather than with that half-done work.
    ROLLBACK;
    INSERT INTO api_tokens (token_sha256, rol, asesor_id, descripcion, created_at)
    VALUES (p_token_sha256, LOWER(p_rol), p_asesor_id, p_descripcion, UTC_TIMESTAMP(6));
    SELECT CAST(LAST_INSERT_ID() AS SIGNED) AS token_id;
END//
DELIMITER ;
