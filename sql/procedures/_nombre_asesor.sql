-- _nombre_asesor(nombre, OUT limpio): internal. An asesor's name as it is stored: blanks
-- trimmed; refused (45007) when empty or longer than 120 characters.
DROP PROCEDURE IF EXISTS _nombre_asesor;
DELIMITER //
CREATE PROCEDURE _nombre_asesor(
    IN  p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    SET o_nombre = REGEXP_REPLACE(p_nombre, '^[[:space:]]+|[[:space:]]+$', '');
    IF o_nombre IS NULL OR o_nombre = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is required';
    END IF;
    IF CHAR_LENGTH(o_nombre) > 120 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is longer than 120 characters';
    END IF;
END//
DELIMITER ;
