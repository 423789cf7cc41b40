-- v_campana_diaria: per campaign and UTC day, from the history:
--   cargados             leads loaded (sp_cargar_cliente*, imports);
--   asignados            assignments (GTR, distribution or pull; reassignments too);
--   completados          wizards completed;
--   devueltos_timeout    customers the sweep returned;
--   reciclados           assignments of customers that had been returned (no_gestionado);
-- and speed to lead over the leads LOADED that day (load -> first wizard opened):
--   abiertos, mediana_segundos_hasta_abrir, p90_segundos_hasta_abrir (of the opened ones;
--   nearest rank), nivel_servicio (share of that day's leads opened within
--   nivel_servicio_segundos; a lead not opened yet counts as not served),
--   nivel_servicio_segundos (the target it was computed with).
-- Medians and p90 are computed by hand with ROW_NUMBER/COUNT windows: MySQL has no
-- PERCENTILE_CONT/MEDIAN, and the view must read the same on MySQL and MariaDB.
CREATE OR REPLACE VIEW v_campana_diaria AS
WITH eventos AS (
    SELECT c.campana_id, DATE(h.created_at) AS dia,
           SUM(h.motivo IN ('cargado', 'importado')) AS cargados,
           SUM(h.motivo IN ('asignado', 'reasignado')) AS asignados,
           SUM(h.motivo = 'wizard_completado') AS completados,
           SUM(h.motivo = 'timeout_no_gestionado') AS devueltos_timeout,
           SUM(h.motivo IN ('asignado', 'reasignado') AND h.estado_anterior = 'no_gestionado') AS reciclados
      FROM clientes_historial h
      JOIN clientes c ON c.id = h.cliente_id
     GROUP BY c.campana_id, DATE(h.created_at)
),
leads AS (
    SELECT h.cliente_id,
           MIN(CASE WHEN h.motivo IN ('cargado', 'importado') THEN h.created_at END) AS cargado_at,
           MIN(CASE WHEN h.motivo = 'wizard_abierto' THEN h.created_at END) AS abierto_at
      FROM clientes_historial h
     GROUP BY h.cliente_id
),
velocidades AS (
    SELECT c.campana_id, DATE(l.cargado_at) AS dia,
           TIMESTAMPDIFF(MICROSECOND, l.cargado_at, l.abierto_at) / 1000000 AS segundos
      FROM leads l
      JOIN clientes c ON c.id = l.cliente_id
     WHERE l.cargado_at IS NOT NULL
),
ordenadas AS (
    SELECT campana_id, dia, segundos,
           ROW_NUMBER() OVER (PARTITION BY campana_id, dia, segundos IS NULL ORDER BY segundos) AS rn,
           COUNT(*) OVER (PARTITION BY campana_id, dia, segundos IS NULL) AS n
      FROM velocidades
),
velocidad AS (
    SELECT o.campana_id, o.dia,
           SUM(o.segundos IS NOT NULL) AS abiertos,
           AVG(CASE WHEN o.segundos IS NOT NULL AND o.rn IN (FLOOR((o.n + 1) / 2), CEIL((o.n + 1) / 2))
                    THEN o.segundos END) AS mediana_segundos_hasta_abrir,
           MAX(CASE WHEN o.segundos IS NOT NULL AND o.rn = CEIL(0.9 * o.n) THEN o.segundos END)
               AS p90_segundos_hasta_abrir,
           SUM(o.segundos IS NOT NULL AND o.segundos <= cfg.valor) / COUNT(*) AS nivel_servicio,
           MAX(cfg.valor) AS nivel_servicio_segundos
      FROM ordenadas o
      JOIN seguimiento_config cfg ON cfg.clave = 'nivel_servicio_segundos'
     GROUP BY o.campana_id, o.dia
)
SELECT e.campana_id, k.nombre AS campana_nombre, e.dia,
       e.cargados, e.asignados, e.completados, e.devueltos_timeout, e.reciclados,
       COALESCE(v.abiertos, 0) AS abiertos, v.mediana_segundos_hasta_abrir, v.p90_segundos_hasta_abrir,
       v.nivel_servicio, v.nivel_servicio_segundos
  FROM eventos e
  JOIN campanas k ON k.id = e.campana_id
  LEFT JOIN velocidad v ON v.campana_id = e.campana_id AND v.dia = e.dia;
