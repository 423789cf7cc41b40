-- sp_listar_motivos_pausa(): the pause reasons an asesor or GTR may choose now (active ones),
-- for the presence switch: codigo, descripcion.
DROP PROCEDURE IF EXISTS sp_listar_motivos_pausa;
DELIMITER //
CREATE PROCEDURE sp_listar_motivos_pausa()
BEGIN
    SELECT codigo, descripcion FROM motivos_pausa WHERE activo = 1 ORDER BY codigo;
END//
DELIMITER ;
