-- _validar_contacto: internal. Checks and normalises a customer's contact fields, refusing
-- with 45007 (invalid input). nombre: 1-200 characters once trimmed of white space (tabs and
-- line breaks too, not only spaces). telefono: optional;
-- spaces, dashes, dots and parentheses are dropped, leaving an optional leading + and 6-15
-- digits (E.164), so the same number is stored the same way however it was typed.
DROP PROCEDURE IF EXISTS _validar_contacto;
DELIMITER //
CREATE PROCEDURE _validar_contacto(
    IN  p_nombre   LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_nombre   VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_telefono VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT REGEXP_REPLACE(p_nombre, '^[[:space:]]+|[[:space:]]+$', '');
    DECLARE v_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;

    IF v_nombre IS NULL OR v_nombre = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is required';
    END IF;
    IF CHAR_LENGTH(v_nombre) > 200 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is longer than 200 characters';
    END IF;
    IF p_telefono IS NOT NULL AND TRIM(p_telefono) <> '' THEN
        IF CHAR_LENGTH(p_telefono) > 40 THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'telefono is not a phone number';
        END IF;
        SET v_telefono = REGEXP_REPLACE(TRIM(p_telefono), '[-. ()]', '');
        IF NOT v_telefono REGEXP '^[+]?[0-9]{6,15}$' THEN
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007,
                MESSAGE_TEXT = 'telefono must be 6 to 15 digits, optionally with a leading +';
        END IF;
    END IF;
    SET o_nombre = v_nombre;
    SET o_telefono = v_telefono;
END//
DELIMITER ;
