-- ev_distribuir: the automatic distribution (and the stale-socket presence step), every 5 s.
-- Loads into auto campaigns and asesores becoming available trigger it at once for what
-- they concern; this catches everything else (recycling delays that ran out, places freed
-- by completions and timeouts, runs that were skipped). Runs only where the event scheduler
-- is ON; the body is one CALL so the logic stays testable.
DROP EVENT IF EXISTS ev_distribuir;
DELIMITER //
CREATE EVENT ev_distribuir
    ON SCHEDULE EVERY 5 SECOND
    ON COMPLETION PRESERVE
    ENABLE
    COMMENT 'Assigns waiting customers of auto campaigns to available asesores'
    DO CALL sp_distribuir()//
DELIMITER ;
