-- sp_listar_motivos_pausa_todos(): every pause reason, those out of use too, for the desk's
-- administration (sp_listar_motivos_pausa lists only the ones that may be chosen now):
-- codigo, descripcion, activo.
DROP PROCEDURE IF EXISTS sp_listar_motivos_pausa_todos;
DELIMITER //
CREATE PROCEDURE sp_listar_motivos_pausa_todos()
BEGIN
    SELECT codigo, descripcion, activo FROM motivos_pausa ORDER BY codigo;
END//
DELIMITER ;
