-- sp_panel_asesores(): the GTR asesor panel: every active asesor with its presence
-- (presencia, motivo_pausa, presencia_desde), its load (carga: derivado + en_gestion) against
-- capacidad, timeouts_consecutivos, visto_at (last live dashboard reported by a gateway;
-- NULL: never) and campanas (its skills, a JSON array of campaign ids ascending).
DROP PROCEDURE IF EXISTS sp_panel_asesores;
DELIMITER //
CREATE PROCEDURE sp_panel_asesores()
BEGIN
    SELECT a.id AS asesor_id, a.nombre, a.presencia, a.motivo_pausa, a.presencia_desde,
           (SELECT COUNT(*) FROM clientes c WHERE c.asesor_asignado = a.id
                                              AND c.seguimiento_status IN ('derivado', 'en_gestion')) AS carga,
           a.capacidad, a.timeouts_consecutivos, v.visto_at,
           (SELECT CONCAT('[', COALESCE(GROUP_CONCAT(h.campana_id ORDER BY h.campana_id), ''), ']')
              FROM asesor_campanas h WHERE h.asesor_id = a.id) AS campanas
      FROM asesores a
      LEFT JOIN asesores_conexion v ON v.asesor_id = a.id
     WHERE a.activo = 1
     ORDER BY a.id;
END//
DELIMITER ;
