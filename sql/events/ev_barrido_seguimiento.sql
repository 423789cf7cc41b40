-- ev_barrido_seguimiento: the timeout sweep, every 30 s. Runs only where the event scheduler
-- is ON (see README, "Event scheduler"); the body is one CALL so the logic stays testable.
DROP EVENT IF EXISTS ev_barrido_seguimiento;
DELIMITER //
CREATE EVENT ev_barrido_seguimiento
    ON SCHEDULE EVERY 30 SECOND
    ON COMPLETION PRESERVE
    ENABLE
    COMMENT 'Returns idle customers to GTR as no_gestionado'
    DO CALL sp_barrido_seguimiento()//
DELIMITER ;
