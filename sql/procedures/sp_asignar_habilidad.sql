-- sp_asignar_habilidad(asesor_id, campana_id): GTR or a DBA lets an asesor work a campaign
-- (a skill). Already so: nothing changes (cambiado 0). Event ASESOR_SKILLS_CHANGED. An
-- available asesor may be given customers of the campaign at once. See _habilidad.
-- Refused: unknown asesor (45002) or campaign (45010). Result set: asesor_id, campana_id, cambiado.
DROP PROCEDURE IF EXISTS sp_asignar_habilidad;
DELIMITER //
CREATE PROCEDURE sp_asignar_habilidad(IN p_asesor_id BIGINT, IN p_campana_id BIGINT)
BEGIN
    CALL _habilidad(p_asesor_id, p_campana_id, 1);
END//
DELIMITER ;
