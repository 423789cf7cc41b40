-- sp_configurar_motivo_pausa(codigo, descripcion, activo): GTR or a DBA adds a pause reason to
-- the list sp_cambiar_presencia accepts, or changes one (descripcion; activo 0 takes it out
-- of use; asesores already paused with it stay so). codigo: 1-40 lowercase letters, digits
-- or _; descripcion 1-200 characters; activo 0/1 (NULL: 1). 'timeouts' (the database's own)
-- cannot be switched off. No event: the list is read when a dashboard asks for it
-- (sp_listar_motivos_pausa). Refused with 45007. Result set: codigo, descripcion, activo.
DROP PROCEDURE IF EXISTS sp_configurar_motivo_pausa;
DELIMITER //
CREATE PROCEDURE sp_configurar_motivo_pausa(
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
    IF p_activo NOT IN (0, 1) OR (p_codigo = 'timeouts' AND p_activo = 0) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'activo must be 0 or 1 (timeouts stays active)';
    END IF;
    -- Leave any transaction an interrupted call left open, so this write commits on its own.
    ROLLBACK;
    INSERT INTO motivos_pausa (codigo, descripcion, activo) VALUES (p_codigo, v_descripcion, COALESCE(p_activo, 1))
        ON DUPLICATE KEY UPDATE descripcion = v_descripcion, activo = COALESCE(p_activo, 1);
    SELECT codigo, descripcion, activo FROM motivos_pausa WHERE codigo = p_codigo;
END//
DELIMITER ;
