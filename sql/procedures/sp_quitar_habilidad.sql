-- sp_quitar_habilidad(asesor_id, campana_id): GTR or a DBA takes a campaign's skill from an
-- asesor: no more customers of it by distribution or pull (those it holds stay). Not so:
-- nothing changes (cambiado 0). Event ASESOR_SKILLS_CHANGED. See _habilidad.
-- Refused: unknown asesor (45002) or campaign (45010). Result set: asesor_id, campana_id, cambiado.
DROP PROCEDURE IF EXISTS sp_quitar_habilidad;
DELIMITER //
CREATE PROCEDURE sp_quitar_habilidad(IN p_asesor_id BIGINT, IN p_campana_id BIGINT)
BEGIN
    CALL _habilidad(p_asesor_id, p_campana_id, 0);
END//
DELIMITER ;
