-- sp_crear_asesor(nombre): adds an asesor. Result set: asesor_id.
DROP PROCEDURE IF EXISTS sp_crear_asesor;
DELIMITER //
CREATE PROCEDURE sp_crear_asesor(IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT REGEXP_REPLACE(p_nombre, '^[[:space:]]+|[[:space:]]+$', '');

    IF v_nombre IS NULL OR v_nombre = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is required';
    END IF;
    IF CHAR_LENGTH(v_nombre) > 120 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'nombre is longer than 120 characters';
    END IF;
    -- Leave any transaction an interrupted call left open (see sp_derivar_cliente), so this
    -- write commits on its own rather than with that half-done work.
    ROLLBACK;
    INSERT INTO asesores (nombre, activo, created_at) VALUES (v_nombre, 1, UTC_TIMESTAMP(6));
    SELECT CAST(LAST_INSERT_ID() AS SIGNED) AS asesor_id;
END//
DELIMITER ;
