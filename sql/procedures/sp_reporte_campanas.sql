-- sp_reporte_campanas(desde, hasta, asesor_id, campana_id, umbral_segundos): speed to lead and
-- service level per campaign, for the customers first opened in the UTC hours [desde, hasta)
-- (by one asesor, or any with asesor_id NULL; in one campaign, or every campaign with
-- activity with campana_id NULL). Range rules and refusals as sp_reporte_asesores; an
-- unknown campana_id is 45010; umbral_segundos (NULL: 300) must be 1 to 86400 (45007).
-- Figures as sp_reporte_velocidad's, split by campaign: it reads the same summary
-- (reporte_tiempos, medida 'velocidad') and finds each measure's campaign through its history
-- row and customer (two primary-key lookups per measure), so it costs what the range holds.
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

    IF v_umbral < 1 OR v_umbral > 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'umbral_segundos must be 1 to 86400';
    END IF;
    IF p_campana_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM campanas WHERE id = p_campana_id) THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _reporte_preparar(p_desde, p_hasta, p_asesor_id);

    WITH medidas AS (
        SELECT c.campana_id, t.segundos
          FROM reporte_tiempos t
          JOIN clientes_historial h ON h.id = t.historial_id
          JOIN clientes c ON c.id = h.cliente_id
         WHERE t.medida = 'velocidad' AND t.created_at >= p_desde AND t.created_at < p_hasta
           AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)
           AND (p_campana_id IS NULL OR c.campana_id = p_campana_id)
    ),
    ordenadas AS (
        SELECT campana_id, segundos,
               ROW_NUMBER() OVER (PARTITION BY campana_id ORDER BY segundos) AS rn,
               COUNT(*) OVER (PARTITION BY campana_id) AS n
          FROM medidas
    )
    SELECT o.campana_id, k.nombre AS campana_nombre, CAST(COUNT(*) AS SIGNED) AS clientes,
           AVG(CASE WHEN o.rn IN (FLOOR((o.n + 1) / 2), CEIL((o.n + 1) / 2)) THEN o.segundos END) AS mediana_segundos,
           MAX(CASE WHEN o.rn = CEIL(0.9 * o.n) THEN o.segundos END) AS p90_segundos,
           CAST(v_umbral AS SIGNED) AS umbral_segundos,
           CAST(SUM(o.segundos <= v_umbral) AS SIGNED) AS dentro_del_umbral,
           SUM(o.segundos <= v_umbral) / COUNT(*) AS nivel_servicio
      FROM ordenadas o
      JOIN campanas k ON k.id = o.campana_id
     GROUP BY o.campana_id, k.nombre
     ORDER BY o.campana_id;
END//
DELIMITER ;
