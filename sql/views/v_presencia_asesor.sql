-- v_presencia_asesor: presence time per asesor and UTC day, from the presence history: for
-- each presence (disponible, en_pausa per motivo_pausa, desconectado), segundos spent in it
-- and veces it was entered. A stretch runs from one change to the next (the current one up
-- to now) and counts on the day it started, whole, even when it crosses midnight.
-- Time before an asesor's first recorded change is not counted.
CREATE OR REPLACE VIEW v_presencia_asesor AS
WITH tramos AS (
    SELECT p.asesor_id, p.estado_nuevo AS presencia, p.motivo_pausa, p.created_at AS desde,
           COALESCE(LEAD(p.created_at) OVER (PARTITION BY p.asesor_id ORDER BY p.id), UTC_TIMESTAMP(6)) AS hasta
      FROM asesores_presencia p
)
SELECT t.asesor_id, a.nombre AS asesor_nombre, DATE(t.desde) AS dia, t.presencia, t.motivo_pausa,
       SUM(TIMESTAMPDIFF(MICROSECOND, t.desde, t.hasta)) / 1000000 AS segundos,
       COUNT(*) AS veces
  FROM tramos t
  JOIN asesores a ON a.id = t.asesor_id
 GROUP BY t.asesor_id, a.nombre, DATE(t.desde), t.presencia, t.motivo_pausa;
