-- sp_crear_campana(nombre, timeout_segundos, prioridad, modo, reciclaje_segundos,
-- max_devoluciones): GTR or a DBA creates a campaign. NULL takes the default:
--   nombre              required, 1-120 characters, unique (45011 when taken);
--   timeout_segundos    1-86400; NULL: the global timeout_segundos applies;
--   prioridad           -1000..1000, higher served first (0);
--   modo                'manual' (GTR assigns) or 'auto' (the database assigns) ('manual');
--   reciclaje_segundos  0-604800, how long a returned customer waits before it is offered
--                       again (0);
--   max_devoluciones    0-1000, returns after which a customer stays with GTR (3).
-- It starts active, with the global auto-pause threshold (sp_configurar_campana changes any
-- of these, and pausa_tras_timeouts). Event CAMPAIGN_CHANGED. Result set: campana_id.
-- Bad values are refused with 45007.
DROP PROCEDURE IF EXISTS sp_crear_campana;
DELIMITER //
CREATE PROCEDURE sp_crear_campana(
    IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_timeout_segundos BIGINT,
    IN p_prioridad BIGINT,
    IN p_modo LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_reciclaje_segundos BIGINT,
    IN p_max_devoluciones BIGINT)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT REGEXP_REPLACE(p_nombre, '^[[:space:]]+|[[:space:]]+$', '');
    DECLARE v_id BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;
    -- Two creators of one name at once: the unique key refuses the second.
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45011, MESSAGE_TEXT = 'a campana with that nombre exists';
    END;

    IF v_nombre IS NULL OR v_nombre = '' OR CHAR_LENGTH(v_nombre) > 120 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is required (at most 120 characters)';
    END IF;
    IF p_timeout_segundos < 1 OR p_timeout_segundos > 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'timeout_segundos must be between 1 and 86400, or NULL';
    END IF;
    IF p_prioridad < -1000 OR p_prioridad > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'prioridad must be between -1000 and 1000';
    END IF;
    IF p_modo IS NOT NULL AND CAST(LOWER(p_modo) AS BINARY) NOT IN ('manual', 'auto') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'modo must be manual or auto';
    END IF;
    IF p_reciclaje_segundos < 0 OR p_reciclaje_segundos > 604800 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'reciclaje_segundos must be between 0 and 604800';
    END IF;
    IF p_max_devoluciones < 0 OR p_max_devoluciones > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'max_devoluciones must be between 0 and 1000';
    END IF;

    CALL _abrir_transaccion();
    INSERT INTO campanas (nombre, timeout_segundos, prioridad, modo, reciclaje_segundos, max_devoluciones,
                          pausa_tras_timeouts, activa, created_at, updated_at)
    VALUES (v_nombre, p_timeout_segundos, COALESCE(p_prioridad, 0), COALESCE(LOWER(p_modo), 'manual'),
            COALESCE(p_reciclaje_segundos, 0), COALESCE(p_max_devoluciones, 3), NULL, 1, v_ahora, v_ahora);
    SET v_id = LAST_INSERT_ID();
    CALL _registrar_campana(v_id, v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_id AS SIGNED) AS campana_id;
END//
DELIMITER ;
