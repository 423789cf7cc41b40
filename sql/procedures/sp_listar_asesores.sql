-- sp_listar_asesores(): every asesor. Result set: asesor_id, nombre, activo.
DROP PROCEDURE IF EXISTS sp_listar_asesores;
DELIMITER //
CREATE PROCEDURE sp_listar_asesores()
BEGIN
    SELECT id AS asesor_id, nombre, activo FROM asesores ORDER BY id;
END//
DELIMITER ;
