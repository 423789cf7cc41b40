-- sp_configurar_motivo_pausa(codigo, descripcion, activo): a DBA adds a pause reason to
-- the list sp_cambiar_presencia accepts, or changes one (descripcion; activo 0 takes it out
-- of use; asesores already paused with it stay so). codigo: 1-40 lowercase letters, digits
-- or _; descripcion 1-200 characters; activo 0/1 (NULL: 1). 'timeouts' (the database's own)
-- cannot be switched off. The rules are _aplicar_motivo_pausa's, shared with
-- sp_gtr_configurar_motivo_pausa (GTR from the desk, with event and audit). This one writes
-- no event: a DBA's change reaches a dashboard when it next reads the list. Refused with
-- 45007. Result set: codigo, descripcion, activo.
DROP PROCEDURE IF EXISTS sp_configurar_motivo_pausa;
DELIMITER //
CREATE PROCEDURE sp_configurar_motivo_pausa(
    IN p_codigo LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_descripcion LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_activo TINYINT)
BEGIN
    -- Leave any transaction an interrupted call left open, so this write commits on its own.
    ROLLBACK;
    CALL _aplicar_motivo_pausa(p_codigo, p_descripcion, p_activo);
    SELECT codigo, descripcion, activo FROM motivos_pausa WHERE codigo = p_codigo;
END//
DELIMITER ;
