-- sp_listar_campanas(): every campaign with its settings and its live queue, for the GTR
-- board: en_cola (customers waiting that may be offered now), en_espera (waiting out a
-- recycling delay), mas_antiguo_en_cola (created_at of the oldest one that may be offered
-- now; NULL when none), activos (derivado + en_gestion), asesores_con_habilidad.
-- Each campaign's queue figures come from its prefix of idx_cola (no table scan).
DROP PROCEDURE IF EXISTS sp_listar_campanas;
DELIMITER //
CREATE PROCEDURE sp_listar_campanas()
BEGIN
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);

    SELECT k.id AS campana_id, k.nombre, k.timeout_segundos, k.prioridad, k.modo, k.reciclaje_segundos,
           k.max_devoluciones, k.pausa_tras_timeouts, k.activa,
           (SELECT COUNT(*) FROM clientes c WHERE c.campana_id = k.id AND c.en_cola = 1
                                              AND c.cola_desde <= v_ahora) AS en_cola,
           (SELECT COUNT(*) FROM clientes c WHERE c.campana_id = k.id AND c.en_cola = 1
                                              AND c.cola_desde > v_ahora) AS en_espera,
           (SELECT MIN(c.created_at) FROM clientes c WHERE c.campana_id = k.id AND c.en_cola = 1
                                                       AND c.cola_desde <= v_ahora) AS mas_antiguo_en_cola,
           (SELECT COUNT(*) FROM clientes c WHERE c.campana_id = k.id
                                              AND c.seguimiento_status IN ('derivado', 'en_gestion')) AS activos,
           (SELECT COUNT(*) FROM asesor_campanas h WHERE h.campana_id = k.id) AS asesores_con_habilidad
      FROM campanas k
     ORDER BY k.prioridad DESC, k.id;
END//
DELIMITER ;
