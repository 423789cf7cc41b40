-- sp_crear_asesor(nombre): adds an asesor (blanks trimmed; 45007 when empty or over 120
-- characters). Result set: asesor_id. No event: a DBA's tool. From the desk, GTR uses
-- sp_gtr_crear_asesor, which also writes ASESOR_CREATED and its audit row.
DROP PROCEDURE IF EXISTS sp_crear_asesor;
DELIMITER //
CREATE PROCEDURE sp_crear_asesor(IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    CALL _nombre_asesor(p_nombre, v_nombre);
    -- Leave any transaction an interrupted call left open (see sp_derivar_cliente), so this
    -- write commits on its own rather than with that half-done work.
    ROLLBACK;
    INSERT INTO asesores (nombre, activo, created_at) VALUES (v_nombre, 1, UTC_TIMESTAMP(6));
    SELECT CAST(LAST_INSERT_ID() AS SIGNED) AS asesor_id;
END//
DELIMITER ;
