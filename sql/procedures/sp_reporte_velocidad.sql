-- sp_reporte_velocidad(desde, hasta, asesor_id, umbral_segundos): speed to lead, for the
-- customers first opened in the UTC hours [desde, hasta) (by one asesor, or by any with
-- asesor_id NULL): the seconds from the customer's load to the first time an asesor opened
-- its wizard. Range rules and refusals as sp_reporte_asesores; umbral_segundos (the service
-- level's target, NULL: 300) must be 1 to 86400 (45007).
-- Result sets:
-- 1. the distribution, one row per bucket, always all seven, in order: orden, tramo
--    ('< 1 min', '1-5 min', '5-15 min', '15-60 min', '1-4 h', '4-24 h', '> 24 h'),
--    desde_segundos, hasta_segundos (NULL for the last), clientes;
-- 2. one row: clientes, mediana_segundos, umbral_segundos, dentro_del_umbral (customers
--    reached within it), nivel_servicio (their share, 0 to 1; NULL when no customer).
DROP PROCEDURE IF EXISTS sp_reporte_velocidad;
DELIMITER //
CREATE PROCEDURE sp_reporte_velocidad(IN p_desde DATETIME(6), IN p_hasta DATETIME(6), IN p_asesor_id BIGINT,
                                      IN p_umbral_segundos BIGINT)
BEGIN
    DECLARE v_umbral BIGINT DEFAULT COALESCE(p_umbral_segundos, 300);
    DECLARE v_dia_desde DATE;
    DECLARE v_dia_hasta DATE;
    DECLARE v_corte_desde DATETIME(6);
    DECLARE v_corte_hasta DATETIME(6);

    IF v_umbral < 1 OR v_umbral > 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'umbral_segundos must be 1 to 86400';
    END IF;
    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);
    -- Whole UTC days [v_dia_desde, v_dia_hasta) come from reporte_tiempos_dia; the partial
    -- days [desde, v_corte_desde) and [v_corte_hasta, hasta) from reporte_tiempos.
    SET v_dia_desde = IF(TIME(p_desde) = '00:00:00', DATE(p_desde), DATE(p_desde) + INTERVAL 1 DAY);
    SET v_dia_hasta = GREATEST(DATE(p_hasta), v_dia_desde);
    SET v_corte_desde = LEAST(p_hasta, CAST(v_dia_desde AS DATETIME(6)));
    SET v_corte_hasta = GREATEST(p_desde, CAST(v_dia_hasta AS DATETIME(6)));

    WITH valores AS (
        SELECT segundos, SUM(n) AS n
          FROM (SELECT segundos, n FROM reporte_tiempos_dia
                 WHERE medida = 'velocidad' AND dia >= v_dia_desde AND dia < v_dia_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                UNION ALL
                SELECT segundos, 1 FROM reporte_tiempos
                 WHERE medida = 'velocidad' AND created_at >= p_desde AND created_at < v_corte_desde
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                UNION ALL
                SELECT segundos, 1 FROM reporte_tiempos
                 WHERE medida = 'velocidad' AND created_at >= v_corte_hasta AND created_at < p_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)) u
         GROUP BY segundos
    )
    SELECT b.orden, b.tramo, b.desde_segundos, b.hasta_segundos,
           CAST(COALESCE(SUM(v.n), 0) AS SIGNED) AS clientes
      FROM (SELECT 1 AS orden, '< 1 min' AS tramo, 0 AS desde_segundos, 60 AS hasta_segundos
            UNION ALL SELECT 2, '1-5 min', 60, 300
            UNION ALL SELECT 3, '5-15 min', 300, 900
            UNION ALL SELECT 4, '15-60 min', 900, 3600
            UNION ALL SELECT 5, '1-4 h', 3600, 14400
            UNION ALL SELECT 6, '4-24 h', 14400, 86400
            UNION ALL SELECT 7, '> 24 h', 86400, NULL) b
      LEFT JOIN valores v
        ON v.segundos >= b.desde_segundos AND (b.hasta_segundos IS NULL OR v.segundos < b.hasta_segundos)
     GROUP BY b.orden, b.tramo, b.desde_segundos, b.hasta_segundos
     ORDER BY b.orden;

    -- The median as sp_reporte_asesores finds it, from cumulative counts.
    WITH valores AS (
        SELECT segundos, SUM(n) AS n
          FROM (SELECT segundos, n FROM reporte_tiempos_dia
                 WHERE medida = 'velocidad' AND dia >= v_dia_desde AND dia < v_dia_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                UNION ALL
                SELECT segundos, 1 FROM reporte_tiempos
                 WHERE medida = 'velocidad' AND created_at >= p_desde AND created_at < v_corte_desde
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                UNION ALL
                SELECT segundos, 1 FROM reporte_tiempos
                 WHERE medida = 'velocidad' AND created_at >= v_corte_hasta AND created_at < p_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)) u
         GROUP BY segundos
    ),
    acumuladas AS (
        SELECT segundos, n, SUM(n) OVER (ORDER BY segundos ROWS UNBOUNDED PRECEDING) AS hasta,
               SUM(n) OVER () AS total
          FROM valores
    )
    SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) AS clientes,
           AVG(CASE WHEN (hasta - n < FLOOR((total + 1) / 2) AND hasta >= FLOOR((total + 1) / 2))
                      OR (hasta - n < CEIL((total + 1) / 2) AND hasta >= CEIL((total + 1) / 2))
                    THEN segundos END) AS mediana_segundos,
           CAST(v_umbral AS SIGNED) AS umbral_segundos,
           CAST(COALESCE(SUM(CASE WHEN segundos <= v_umbral THEN n ELSE 0 END), 0) AS SIGNED) AS dentro_del_umbral,
           SUM(CASE WHEN segundos <= v_umbral THEN n ELSE 0 END) / SUM(n) AS nivel_servicio
      FROM acumuladas;
END//
DELIMITER ;
