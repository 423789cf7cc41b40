-- sp_crear_token_con_vigencia(token_sha256, rol, asesor_id, descripcion, vigencia_segundos):
-- records a gateway bearer token by its SHA-256 (64 hex characters; the token itself is
-- never stored), with a lifetime. rol 'gtr' takes no asesor; rol 'asesor' needs an active
-- asesor. vigencia_segundos: NULL takes the default (asesor tokens:
-- token_asesor_vigencia_segundos, 12 h; gtr tokens: no expiry), 0 means no expiry, 1 to
-- 315360000 (ten years) that many seconds from now. From expires_at on, sp_validar_token
-- refuses the token, and sp_caducar_tokens records its expiry (event TOKEN_EXPIRED).
-- Result set: token_id, expires_at (NULL: never).
-- A hash already recorded is refused (45007) rather than failing as a duplicate key.
DROP PROCEDURE IF EXISTS sp_crear_token_con_vigencia;
DELIMITER //
CREATE PROCEDURE sp_crear_token_con_vigencia(
    IN p_token_sha256 LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_rol LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_vigencia_segundos BIGINT)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_vigencia BIGINT DEFAULT p_vigencia_segundos;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE v_expira DATETIME(6) DEFAULT NULL;
    DECLARE v_token_id BIGINT;
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'that token is already recorded';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

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

    CALL _abrir_transaccion();
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
        SET v_expira = v_ahora + INTERVAL v_vigencia SECOND;
    END IF;
    INSERT INTO api_tokens (token_sha256, rol, asesor_id, descripcion, created_at, expires_at)
    VALUES (p_token_sha256, LOWER(p_rol), p_asesor_id, p_descripcion, v_ahora, v_expira);
    SET v_token_id = LAST_INSERT_ID();
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_token_id AS SIGNED) AS token_id, v_expira AS expires_at;
END//
DELIMITER ;
