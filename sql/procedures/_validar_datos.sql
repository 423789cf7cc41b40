-- _validar_datos: internal. Customer data and wizard answers arrive as JSON text: NULL, or
-- a JSON object of at most 64 KiB. Anything else is refused with 45007 (invalid input).
DROP PROCEDURE IF EXISTS _validar_datos;
DELIMITER //
CREATE PROCEDURE _validar_datos(IN p_datos LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    IF p_datos IS NOT NULL THEN
        IF LENGTH(p_datos) > 65536 THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'datos_json is larger than 64 KiB';
        END IF;
        IF NOT JSON_VALID(p_datos) THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'datos_json is not valid JSON';
        END IF;
        IF JSON_TYPE(p_datos) <> 'OBJECT' THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'datos_json must be a JSON object';
        END IF;
    END IF;
END//
DELIMITER ;
