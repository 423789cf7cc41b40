-- _aplicar_motivo_pausa(codigo, descripcion, activo): internal. The one place the rules for a
-- pause reason live, shared by sp_configurar_motivo_pausa (a DBA) and
-- sp_gtr_configurar_motivo_pausa (GTR from the desk). Checks, then adds the reason or
-- changes it, inside the caller's transaction (or autocommit): codigo 1-40 lowercase
-- letters, digits or _; descripcion 1-200 characters once trimmed; activo 0/1 (NULL: 1).
-- 'timeouts' cannot be switched off: sp_barrido_seguimiento pauses an asesor with it.
-- Refused with 45007, before anything is written.
DROP PROCEDURE IF EXISTS _aplicar_motivo_pausa;
DELIMITER //
CREATE PROCEDURE _aplicar_motivo_pausa(
    IN p_codigo LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_activo TINYINT)
BEGIN
    DECLARE v_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT REGEXP_REPLACE(p_descripcion, '^[[:space:]]+|[[:space:]]+$', '');

    IF p_codigo IS NULL OR NOT (p_codigo COLLATE utf8mb4_bin) REGEXP '^[a-z0-9_]{1,40}$' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'codigo must be 1-40 lowercase letters, digits or _';
    END IF;
    IF v_descripcion IS NULL OR v_descripcion = '' OR CHAR_LENGTH(v_descripcion) > 200 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'descripcion is required (at most 200 characters)';
    END IF;
    IF p_activo NOT IN (0, 1) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'activo must be 0 or 1';
    END IF;
    IF p_codigo = 'timeouts' AND p_activo = 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007,
            MESSAGE_TEXT = 'timeouts stays active: the database pauses an asesor with it after repeated timeouts';
    END IF;
    INSERT INTO motivos_pausa (codigo, descripcion, activo) VALUES (p_codigo, v_descripcion, COALESCE(p_activo, 1))
        ON DUPLICATE KEY UPDATE descripcion = v_descripcion, activo = COALESCE(p_activo, 1);
END//
DELIMITER ;
