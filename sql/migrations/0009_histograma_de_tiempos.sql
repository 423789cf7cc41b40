-- Issue 14: the reports over 31 and 90 days for every asesor sorted every measured duration of
-- the range (reporte_tiempos, ~300,000 rows per measure per month) to find medians, and
-- sp_reporte_campanas found each duration's campaign through two primary-key lookups.
-- reporte_tiempos_dia counts the durations per UTC day, asesor, campaign and exact value
-- (segundos keeps reporte_tiempos' microseconds: medians stay exact, as the tests demand).
-- A report reads the whole days of its range here and only its partial first and last days
-- from reporte_tiempos, then finds medians and p90 from cumulative counts. What it saves
-- depends on how often values repeat within a day and asesor: whole-second durations from a
-- dialler repeat a lot, microsecond ones hardly (see docs/bench/reports.md).
-- _resumir_historial keeps it in the same transaction as reporte_tiempos and the watermark.
-- campana_id: the customer's campaign when the duration was folded (customers do not move).
CREATE TABLE reporte_tiempos_dia (
    medida      ENUM('hasta_abrir', 'gestion', 'velocidad') NOT NULL,
    dia         DATE          NOT NULL,
    asesor_id   BIGINT        NOT NULL,
    campana_id  BIGINT        NOT NULL,
    segundos    DECIMAL(16,6) NOT NULL,
    n           INT           NOT NULL,
    PRIMARY KEY (medida, dia, asesor_id, campana_id, segundos),
    KEY idx_tiempos_dia_asesor (asesor_id, medida, dia, campana_id, segundos, n)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The durations already folded: one pass over reporte_tiempos.
INSERT INTO reporte_tiempos_dia (medida, dia, asesor_id, campana_id, segundos, n)
    SELECT t.medida, DATE(t.created_at), t.asesor_id, c.campana_id, t.segundos, COUNT(*)
      FROM reporte_tiempos t
      JOIN clientes_historial h ON h.id = t.historial_id
      JOIN clientes c ON c.id = h.cliente_id
     GROUP BY t.medida, DATE(t.created_at), t.asesor_id, c.campana_id, t.segundos;
