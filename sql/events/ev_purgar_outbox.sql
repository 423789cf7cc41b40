-- ev_purgar_outbox: hourly outbox retention purge.
DROP EVENT IF EXISTS ev_purgar_outbox;
DELIMITER //
CREATE EVENT ev_purgar_outbox
    ON SCHEDULE EVERY 1 HOUR
    ON COMPLETION PRESERVE
    ENABLE
    COMMENT 'Deletes outbox events older than outbox_retencion_horas'
    DO CALL sp_purgar_outbox()//
DELIMITER ;
