-- sp_resumir_historial(): brings the report summaries up to date with the history (see
-- _resumir_historial), at most 50 batches of 20,000 outbox ids per run. Run every 10 s by
-- ev_resumir_historial; every report procedure also catches up first, so reports are exact
-- even where the event scheduler is off.
-- Result set: resumidos (history rows read), omitido (1 when another run was going),
-- ultimo_outbox_id (summarised up to), pendientes (outbox ids still to summarise).
DROP PROCEDURE IF EXISTS sp_resumir_historial;
DELIMITER //
CREATE PROCEDURE sp_resumir_historial()
BEGIN
    DECLARE v_resumidos BIGINT;
    DECLARE v_omitido TINYINT;

    CALL _resumir_historial(50, v_resumidos, v_omitido);
    SELECT CAST(v_resumidos AS SIGNED) AS resumidos, CAST(v_omitido AS SIGNED) AS omitido,
           p.ultimo_outbox_id, CAST(GREATEST(s.ultimo_id - p.ultimo_outbox_id, 0) AS SIGNED) AS pendientes
      FROM reporte_progreso p JOIN outbox_secuencia s ON s.id = 1
     WHERE p.id = 1;
END//
DELIMITER ;
