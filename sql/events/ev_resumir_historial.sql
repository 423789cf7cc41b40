-- ev_resumir_historial: keeps the report summaries (reporte_asesor_hora, reporte_tiempos)
-- within 10 s of the history, so a report's own catch-up has little left to do. Runs only
-- where the event scheduler is ON; the body is one CALL so the logic stays testable.
DROP EVENT IF EXISTS ev_resumir_historial;
DELIMITER //
CREATE EVENT ev_resumir_historial
    ON SCHEDULE EVERY 10 SECOND
    ON COMPLETION PRESERVE
    ENABLE
    COMMENT 'Folds new history rows into the report summaries'
    DO CALL sp_resumir_historial()//
DELIMITER ;
