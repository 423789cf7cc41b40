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
    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);
    -- Medians by hand (ROW_NUMBER over the range's values), as in v_asesor_diario: MySQL has
    -- no MEDIAN or PERCENTILE_CONT.
    WITH cuentas AS (
        SELECT asesor_id, SUM(asignados) AS asignados, SUM(abiertos) AS abiertos,
               SUM(completados) AS completados, SUM(devueltos_timeout) AS devueltos_timeout
          FROM reporte_asesor_hora
         WHERE hora >= p_desde AND hora < p_hasta AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
         GROUP BY asesor_id
    ),
    ordenadas AS (
        SELECT asesor_id, medida, segundos,
               ROW_NUMBER() OVER (PARTITION BY asesor_id, medida ORDER BY segundos) AS rn,
               COUNT(*) OVER (PARTITION BY asesor_id, medida) AS n
          FROM reporte_tiempos
         WHERE medida IN ('hasta_abrir', 'gestion') AND created_at >= p_desde AND created_at < p_hasta
           AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
    ),
    medianas AS (
        SELECT asesor_id,
               AVG(CASE WHEN medida = 'hasta_abrir' THEN segundos END) AS hasta_abrir,
               AVG(CASE WHEN medida = 'gestion' THEN segundos END) AS gestion
          FROM ordenadas
         WHERE rn IN (FLOOR((n + 1) / 2), CEIL((n + 1) / 2))
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
