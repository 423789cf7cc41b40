-- sp_reporte_asesores(desde, hasta, asesor_id): the per-asesor report of the desk, for the
-- UTC hours [desde, hasta) (whole hours, at most 366 days) and one asesor or, with asesor_id
-- NULL, every asesor with activity in the range. Figures as v_asesor_diario defines them,
-- from the report summaries (brought up to date first, see _reporte_preparar).
-- Result set, one row per asesor, by asesor_id: asesor_id, asesor_nombre, activo, asignados,
-- abiertos, completados, devueltos_timeout, mediana_segundos_hasta_abrir (assignment to
-- wizard opened), mediana_segundos_gestion (opened to completed); a median is NULL when
-- nothing was measured. Refusals: 45007 (bad range), 45002 (unknown asesor).
-- The chart "timeouts per asesor" is devueltos_timeout of this result.
-- Campaign filter: to come with campaigns (issue 13), as a column of the summaries.
DROP PROCEDURE IF EXISTS sp_reporte_asesores;
DELIMITER //
CREATE PROCEDURE sp_reporte_asesores(IN p_desde DATETIME(6), IN p_hasta DATETIME(6), IN p_asesor_id BIGINT)
BEGIN
    DECLARE v_dia_desde DATE;
    DECLARE v_dia_hasta DATE;
    DECLARE v_corte_desde DATETIME(6);
    DECLARE v_corte_hasta DATETIME(6);

    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);
    -- Whole UTC days [v_dia_desde, v_dia_hasta) come from reporte_tiempos_dia; the partial
    -- days [desde, v_corte_desde) and [v_corte_hasta, hasta) from reporte_tiempos.
    SET v_dia_desde = IF(TIME(p_desde) = '00:00:00', DATE(p_desde), DATE(p_desde) + INTERVAL 1 DAY);
    SET v_dia_hasta = GREATEST(DATE(p_hasta), v_dia_desde);
    SET v_corte_desde = LEAST(p_hasta, CAST(v_dia_desde AS DATETIME(6)));
    SET v_corte_hasta = GREATEST(p_desde, CAST(v_dia_hasta AS DATETIME(6)));
    -- Medians by hand, as in v_asesor_diario (MySQL has no MEDIAN or PERCENTILE_CONT): the
    -- average of the values at ranks FLOOR((n+1)/2) and CEIL((n+1)/2), found from cumulative
    -- counts over each value's count.
    WITH cuentas AS (
        SELECT asesor_id, SUM(asignados) AS asignados, SUM(abiertos) AS abiertos,
               SUM(completados) AS completados, SUM(devueltos_timeout) AS devueltos_timeout
          FROM reporte_asesor_hora
         WHERE hora >= p_desde AND hora < p_hasta AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
         GROUP BY asesor_id
    ),
    valores AS (
        SELECT asesor_id, medida, segundos, SUM(n) AS n
          FROM (SELECT asesor_id, medida, segundos, n FROM reporte_tiempos_dia
                 WHERE medida IN ('hasta_abrir', 'gestion') AND dia >= v_dia_desde AND dia < v_dia_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
                UNION ALL
                SELECT t.asesor_id, t.medida, t.segundos, 1 FROM reporte_tiempos t
                 WHERE t.medida IN ('hasta_abrir', 'gestion') AND t.created_at >= p_desde AND t.created_at < v_corte_desde
                   AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)
                UNION ALL
                SELECT t.asesor_id, t.medida, t.segundos, 1 FROM reporte_tiempos t
                 WHERE t.medida IN ('hasta_abrir', 'gestion') AND t.created_at >= v_corte_hasta AND t.created_at < p_hasta
                   AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)) u
         GROUP BY asesor_id, medida, segundos
    ),
    acumuladas AS (
        SELECT asesor_id, medida, segundos, n,
               SUM(n) OVER (PARTITION BY asesor_id, medida ORDER BY segundos ROWS UNBOUNDED PRECEDING) AS hasta,
               SUM(n) OVER (PARTITION BY asesor_id, medida) AS total
          FROM valores
    ),
    medianas AS (
        SELECT asesor_id,
               AVG(CASE WHEN medida = 'hasta_abrir' THEN segundos END) AS hasta_abrir,
               AVG(CASE WHEN medida = 'gestion' THEN segundos END) AS gestion
          FROM acumuladas
         WHERE (hasta - n < FLOOR((total + 1) / 2) AND hasta >= FLOOR((total + 1) / 2))
            OR (hasta - n < CEIL((total + 1) / 2) AND hasta >= CEIL((total + 1) / 2))
         GROUP BY asesor_id
    )
    SELECT c.asesor_id, a.nombre AS asesor_nombre, a.activo,
           CAST(c.asignados AS SIGNED) AS asignados, CAST(c.abiertos AS SIGNED) AS abiertos,
           CAST(c.completados AS SIGNED) AS completados, CAST(c.devueltos_timeout AS SIGNED) AS devueltos_timeout,
           m.hasta_abrir AS mediana_segundos_hasta_abrir, m.gestion AS mediana_segundos_gestion
      FROM cuentas c
      JOIN asesores a ON a.id = c.asesor_id
      LEFT JOIN medianas m ON m.asesor_id = c.asesor_id
     ORDER BY c.asesor_id;
END//
DELIMITER ;
