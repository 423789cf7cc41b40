-- v_clientes_activos: the live monitor. Every customer an asesor is working (derivado or
-- en_gestion), how long it has been idle, its timeout (timeout_segundos: its campaign's, or
-- the global one), how long it has left before the sweep returns it to GTR, and
-- timeout_inminente = 1 when 60 s or less remain. Times are UTC.
CREATE OR REPLACE VIEW v_clientes_activos AS
SELECT c.id AS cliente_id, c.nombre, c.telefono, c.seguimiento_status,
       c.asesor_asignado, a.nombre AS asesor_nombre,
       c.derivado_at, c.opened_at, c.last_activity,
       TIMESTAMPDIFF(SECOND, c.last_activity, UTC_TIMESTAMP(6)) AS inactive_seconds,
       c.plazo_segundos AS timeout_segundos,
       GREATEST(c.plazo_segundos - TIMESTAMPDIFF(SECOND, c.last_activity, UTC_TIMESTAMP(6)), 0) AS segundos_restantes,
       (c.plazo_segundos - TIMESTAMPDIFF(SECOND, c.last_activity, UTC_TIMESTAMP(6)) <= 60) AS timeout_inminente,
       c.campana_id
  FROM clientes c
  LEFT JOIN asesores a ON a.id = c.asesor_asignado
 WHERE c.seguimiento_status IN ('derivado', 'en_gestion');
