-- v_asesor_diario: per asesor and UTC day, from the history: customers assigned to them,
-- wizards opened, completed, returned to GTR by timeout, the median seconds from assignment
-- to opening the wizard and the median seconds from opening to completing it.
-- Medians are computed by hand (ROW_NUMBER over the day's values) because MySQL has no
-- MEDIAN/PERCENTILE_CONT and the view must work on both engines.
CREATE OR REPLACE VIEW v_asesor_diario AS
WITH marcado AS (
    SELECT h.motivo, h.created_at,
           CASE WHEN h.motivo = 'timeout_no_gestionado' THEN h.asesor_anterior_id ELSE h.asesor_id END AS asesor_id,
           MAX(CASE WHEN h.motivo IN ('asignado', 'reasignado') THEN h.created_at END)
               OVER (PARTITION BY h.cliente_id ORDER BY h.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS derivado_at,
           MAX(CASE WHEN h.motivo = 'wizard_abierto' THEN h.created_at END)
               OVER (PARTITION BY h.cliente_id ORDER BY h.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS abierto_at
      FROM clientes_historial h
),
medidas AS (
    SELECT asesor_id, DATE(created_at) AS dia, motivo,
           CASE motivo
               WHEN 'wizard_abierto' THEN TIMESTAMPDIFF(MICROSECOND, derivado_at, created_at) / 1000000
               WHEN 'wizard_completado' THEN TIMESTAMPDIFF(MICROSECOND, abierto_at, created_at) / 1000000
           END AS segundos
      FROM marcado
     WHERE asesor_id IS NOT NULL
       AND motivo IN ('asignado', 'reasignado', 'wizard_abierto', 'wizard_completado', 'timeout_no_gestionado')
),
ordenadas AS (
    SELECT asesor_id, dia, motivo, segundos,
           ROW_NUMBER() OVER (PARTITION BY asesor_id, dia, motivo ORDER BY segundos) AS rn,
           COUNT(*) OVER (PARTITION BY asesor_id, dia, motivo) AS n
      FROM medidas
)
SELECT o.asesor_id, a.nombre AS asesor_nombre, o.dia,
       SUM(o.motivo IN ('asignado', 'reasignado')) AS asignados,
       SUM(o.motivo = 'wizard_abierto') AS abiertos,
       SUM(o.motivo = 'wizard_completado') AS completados,
       SUM(o.motivo = 'timeout_no_gestionado') AS devueltos_timeout,
       AVG(CASE WHEN o.motivo = 'wizard_abierto' AND o.rn IN (FLOOR((o.n + 1) / 2), CEIL((o.n + 1) / 2))
                THEN o.segundos END) AS mediana_segundos_hasta_abrir,
       AVG(CASE WHEN o.motivo = 'wizard_completado' AND o.rn IN (FLOOR((o.n + 1) / 2), CEIL((o.n + 1) / 2))
                THEN o.segundos END) AS mediana_segundos_gestion
  FROM ordenadas o
  JOIN asesores a ON a.id = o.asesor_id
 GROUP BY o.asesor_id, a.nombre, o.dia;
