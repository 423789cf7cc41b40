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
    -- Medians by _calcular_medianas (exact, without sorting the range: MySQL has no MEDIAN or
    -- PERCENTILE_CONT, and ROW_NUMBER over a month of values was too slow).
    DROP TEMPORARY TABLE IF EXISTS tmp_mediana_abrir;
    CREATE TEMPORARY TABLE tmp_mediana_abrir (asesor_id BIGINT NOT NULL PRIMARY KEY, mediana DECIMAL(16,6) NULL)
        ENGINE=InnoDB;
    CALL _calcular_medianas('hasta_abrir', p_desde, p_hasta, p_asesor_id, 1);
    INSERT INTO tmp_mediana_abrir (asesor_id, mediana) SELECT asesor_id, mediana FROM tmp_medianas;
    CALL _calcular_medianas('gestion', p_desde, p_hasta, p_asesor_id, 1);

    SELECT c.asesor_id, a.nombre AS asesor_nombre, a.activo,
           CAST(c.asignados AS SIGNED) AS asignados, CAST(c.abiertos AS SIGNED) AS abiertos,
           CAST(c.completados AS SIGNED) AS completados, CAST(c.devueltos_timeout AS SIGNED) AS devueltos_timeout,
           ma.mediana AS mediana_segundos_hasta_abrir, mg.mediana AS mediana_segundos_gestion
      FROM (SELECT asesor_id, SUM(asignados) AS asignados, SUM(abiertos) AS abiertos,
                   SUM(completados) AS completados, SUM(devueltos_timeout) AS devueltos_timeout
              FROM reporte_asesor_hora
             WHERE hora >= p_desde AND hora < p_hasta AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
             GROUP BY asesor_id) c
      JOIN asesores a ON a.id = c.asesor_id
      LEFT JOIN tmp_mediana_abrir ma ON ma.asesor_id = c.asesor_id
      LEFT JOIN tmp_medianas mg ON mg.asesor_id = c.asesor_id
     ORDER BY c.asesor_id;
    DROP TEMPORARY TABLE IF EXISTS tmp_mediana_abrir;
    DROP TEMPORARY TABLE IF EXISTS tmp_medianas;
    DROP TEMPORARY TABLE IF EXISTS tmp_minutos;
END//
DELIMITER ;
