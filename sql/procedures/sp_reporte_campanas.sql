-- sp_reporte_campanas(desde, hasta, asesor_id, campana_id, umbral_segundos): speed to lead and
-- service level per campaign, for the customers first opened in the UTC hours [desde, hasta)
-- (by one asesor, or any with asesor_id NULL; in one campaign, or every campaign with
-- activity with campana_id NULL). Range rules and refusals as sp_reporte_asesores; an
-- unknown campana_id is 45010; umbral_segundos (NULL: 300) must be 1 to 86400 (45007).
-- Figures as sp_reporte_velocidad's, split by campaign: whole days from reporte_tiempos_dia
-- (which keeps each duration's campaign), the partial first and last days from reporte_tiempos
-- (medida 'velocidad'), whose campaign is found through its history row and customer.
-- The share counts the customers reached (opened), as sp_reporte_velocidad; v_campana_diaria
-- counts by day of load and a lead never opened as not served.
-- Result set, one row per campaign, by campana_id: campana_id, campana_nombre, clientes
-- (customers reached), mediana_segundos, p90_segundos (nearest rank), umbral_segundos,
-- dentro_del_umbral, nivel_servicio (0 to 1).
DROP PROCEDURE IF EXISTS sp_reporte_campanas;
DELIMITER //
CREATE PROCEDURE sp_reporte_campanas(IN p_desde DATETIME(6), IN p_hasta DATETIME(6), IN p_asesor_id BIGINT,
                                     IN p_campana_id BIGINT, IN p_umbral_segundos BIGINT)
BEGIN
    DECLARE v_umbral BIGINT DEFAULT COALESCE(p_umbral_segundos, 300);
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_dia_desde DATE;
    DECLARE v_dia_hasta DATE;
    DECLARE v_corte_desde DATETIME(6);
    DECLARE v_corte_hasta DATETIME(6);

    IF v_umbral < 1 OR v_umbral > 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'umbral_segundos must be 1 to 86400';
    END IF;
    IF p_campana_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM campanas WHERE id = p_campana_id) THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);
    -- Whole UTC days [v_dia_desde, v_dia_hasta) come from reporte_tiempos_dia; the partial
    -- days [desde, v_corte_desde) and [v_corte_hasta, hasta) from reporte_tiempos.
    SET v_dia_desde = IF(TIME(p_desde) = '00:00:00', DATE(p_desde), DATE(p_desde) + INTERVAL 1 DAY);
    SET v_dia_hasta = GREATEST(DATE(p_hasta), v_dia_desde);
    SET v_corte_desde = LEAST(p_hasta, CAST(v_dia_desde AS DATETIME(6)));
    SET v_corte_hasta = GREATEST(p_desde, CAST(v_dia_hasta AS DATETIME(6)));

    -- Median and p90 (nearest rank: the value at rank CEIL(0.9 n)) from cumulative counts,
    -- as sp_reporte_asesores finds medians.
    WITH valores AS (
        SELECT campana_id, segundos, SUM(n) AS n
          FROM (SELECT campana_id, segundos, n FROM reporte_tiempos_dia
                 WHERE medida = 'velocidad' AND dia >= v_dia_desde AND dia < v_dia_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                   AND (p_campana_id IS NULL OR campana_id = p_campana_id)
                UNION ALL
                SELECT c.campana_id, t.segundos, 1
                  FROM reporte_tiempos t
                  JOIN clientes_historial h ON h.id = t.historial_id
                  JOIN clientes c ON c.id = h.cliente_id
                 WHERE t.medida = 'velocidad' AND t.created_at >= p_desde AND t.created_at < v_corte_desde
                   AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)
                   AND (p_campana_id IS NULL OR c.campana_id = p_campana_id)
                UNION ALL
                SELECT c.campana_id, t.segundos, 1
                  FROM reporte_tiempos t
                  JOIN clientes_historial h ON h.id = t.historial_id
                  JOIN clientes c ON c.id = h.cliente_id
                 WHERE t.medida = 'velocidad' AND t.created_at >= v_corte_hasta AND t.created_at < p_hasta
                   AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)
                   AND (p_campana_id IS NULL OR c.campana_id = p_campana_id)) u
         GROUP BY campana_id, segundos
    ),
    acumuladas AS (
        SELECT campana_id, segundos, n,
               SUM(n) OVER (PARTITION BY campana_id ORDER BY segundos ROWS UNBOUNDED PRECEDING) AS hasta,
               SUM(n) OVER (PARTITION BY campana_id) AS total
          FROM valores
    )
    SELECT o.campana_id, k.nombre AS campana_nombre, CAST(SUM(o.n) AS SIGNED) AS clientes,
           AVG(CASE WHEN (o.hasta - o.n < FLOOR((o.total + 1) / 2) AND o.hasta >= FLOOR((o.total + 1) / 2))
                      OR (o.hasta - o.n < CEIL((o.total + 1) / 2) AND o.hasta >= CEIL((o.total + 1) / 2))
                    THEN o.segundos END) AS mediana_segundos,
           MAX(CASE WHEN o.hasta - o.n < CEIL(0.9 * o.total) AND o.hasta >= CEIL(0.9 * o.total)
                    THEN o.segundos END) AS p90_segundos,
           CAST(v_umbral AS SIGNED) AS umbral_segundos,
           CAST(SUM(CASE WHEN o.segundos <= v_umbral THEN o.n ELSE 0 END) AS SIGNED) AS dentro_del_umbral,
           SUM(CASE WHEN o.segundos <= v_umbral THEN o.n ELSE 0 END) / SUM(o.n) AS nivel_servicio
      FROM acumuladas o
      JOIN campanas k ON k.id = o.campana_id
     GROUP BY o.campana_id, k.nombre
     ORDER BY o.campana_id;
END//
DELIMITER ;
