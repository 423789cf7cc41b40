-- _crear_token(token_sha256, rol, asesor_id, descripcion, vigencia_segundos, ahora,
-- OUT token_id, OUT expires_at): internal. Inside the caller's transaction, checks and
-- records one bearer token as sp_crear_token_con_vigencia documents it (45007 for bad
-- input, 45002 for an asesor token of an unknown or inactive asesor). A duplicate hash
-- fails with 1062, which the caller turns into 45007.
DROP PROCEDURE IF EXISTS _crear_token;
DELIMITER //
CREATE PROCEDURE _crear_token(
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_rol LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_vigencia_segundos BIGINT,
    IN p_ahora DATETIME(6),
    OUT o_token_id BIGINT,
    OUT o_expira DATETIME(6))
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_vigencia BIGINT DEFAULT p_vigencia_segundos;

    SET o_token_id = NULL, o_expira = NULL;
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
    IF p_vigencia_segundos < 0 OR p_vigencia_segundos > 315360000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007,
            MESSAGE_TEXT = 'vigencia_segundos must be 0 (no expiry) to 315360000, or NULL for the default';
    END IF;

    IF p_rol = 'asesor' THEN
        -- Shared lock: a deactivation running now either waits for this token (and revokes
        -- it) or has committed first (and this refuses).
        SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id LOCK IN SHARE MODE;
        IF v_activo IS NULL OR v_activo = 0 THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = 'an asesor token needs an active asesor';
        END IF;
        IF v_vigencia IS NULL THEN
            SELECT valor INTO v_vigencia FROM seguimiento_config WHERE clave = 'token_asesor_vigencia_segundos';
        END IF;
    END IF;
    IF v_vigencia > 0 THEN
        SET o_expira = p_ahora + INTERVAL v_vigencia SECOND;
    END IF;
    INSERT INTO api_tokens (token_sha256, rol, asesor_id, descripcion, created_at, expires_at)
    VALUES (p_token_sha256, LOWER(p_rol), p_asesor_id, p_descripcion, p_ahora, o_expira);
    SET o_token_id = LAST_INSERT_ID();
END//
DELIMITER ;
