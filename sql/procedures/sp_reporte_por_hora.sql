-- sp_reporte_por_hora(desde, hasta, asesor_id): the desk's chart of completions per hour, for
-- the UTC hours [desde, hasta) and one asesor or all (asesor_id NULL); range rules and
-- refusals as sp_reporte_asesores. Result set, one row per hour WITH activity (a chart fills
-- the empty hours itself), oldest first: hora (start of the UTC hour), asignados, abiertos,
-- completados, devueltos_timeout.
DROP PROCEDURE IF EXISTS sp_reporte_por_hora;
DELIMITER //
CREATE PROCEDURE sp_reporte_por_hora(IN p_desde DATETIME(6), IN p_hasta DATETIME(6), IN p_asesor_id BIGINT)
BEGIN
    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);
    SELECT hora, CAST(SUM(asignados) AS SIGNED) AS asignados, CAST(SUM(abiertos) AS SIGNED) AS abiertos,
           CAST(SUM(completados) AS SIGNED) AS completados,
           CAST(SUM(devueltos_timeout) AS SIGNED) AS devueltos_timeout
      FROM reporte_asesor_hora
     WHERE hora >= p_desde AND hora < p_hasta AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)
     GROUP BY hora
     ORDER BY hora;
END//
DELIMITER ;
