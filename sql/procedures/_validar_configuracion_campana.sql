-- _validar_configuracion_campana(clave, valor, OUT clave, OUT texto, OUT numero): internal.
-- Checks one campaign setting as sp_configurar_campana takes it (the clave in any case, the
-- value as text, NULL where allowed; the rules are listed in its header) and gives it back
-- ready for _aplicar_configuracion_campana: the clave in lower case, the value without
-- surrounding blanks, and as a number when it is a whole one. Refuses an unknown clave or a bad
-- value (45007). Each setting's rule is declared here once, for sp_configurar_campana and
-- sp_configurar_campana_varios. Reads no table: callers run it before their transaction.
DROP PROCEDURE IF EXISTS _validar_configuracion_campana;
DELIMITER //
CREATE PROCEDURE _validar_configuracion_campana(
    IN  p_clave  LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_valor  LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_clave  VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_texto  LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_numero BIGINT)
BEGIN
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    SET o_clave = NULL, o_numero = NULL;
    SET o_texto = REGEXP_REPLACE(p_valor, '^[[:space:]]+|[[:space:]]+$', '');
    IF p_clave IS NULL OR CAST(LOWER(p_clave) AS BINARY) NOT IN
       ('nombre', 'timeout_segundos', 'prioridad', 'modo', 'reciclaje_segundos', 'max_devoluciones',
        'pausa_tras_timeouts', 'activa') THEN
        SET v_msg = CONCAT('unknown campana setting ', COALESCE(LEFT(p_clave, 40), 'NULL'));
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
    SET o_clave = LOWER(p_clave);
    IF o_texto REGEXP '^-?[0-9]{1,9}$' THEN
        SET o_numero = CAST(o_texto AS SIGNED);
    END IF;
    IF CASE o_clave
           WHEN 'nombre' THEN o_texto IS NULL OR o_texto = '' OR CHAR_LENGTH(o_texto) > 120
           WHEN 'timeout_segundos' THEN o_texto IS NOT NULL AND NOT (o_numero BETWEEN 1 AND 86400)
           WHEN 'prioridad' THEN NOT (o_numero BETWEEN -1000 AND 1000)
           WHEN 'modo' THEN o_texto IS NULL OR CAST(LOWER(o_texto) AS BINARY) NOT IN ('manual', 'auto')
           WHEN 'reciclaje_segundos' THEN NOT (o_numero BETWEEN 0 AND 604800)
           WHEN 'max_devoluciones' THEN NOT (o_numero BETWEEN 0 AND 1000)
           WHEN 'pausa_tras_timeouts' THEN o_texto IS NOT NULL AND NOT (o_numero BETWEEN 0 AND 1000)
           WHEN 'activa' THEN NOT (o_numero BETWEEN 0 AND 1)
       END IS NOT FALSE THEN
        SET v_msg = CONCAT('bad value for campana setting ', o_clave);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
END//
DELIMITER ;
