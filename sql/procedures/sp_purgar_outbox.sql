-- sp_purgar_outbox(): deletes outbox events older than outbox_retencion_horas, in batches of
-- 10,000 so it never holds locks for long. Run hourly by ev_purgar_outbox. History rows are
-- kept forever (they are the audit trail). Result set: borrados.
DROP PROCEDURE IF EXISTS sp_purgar_outbox;
DELIMITER //
CREATE PROCEDURE sp_purgar_outbox()
BEGIN
    DECLARE v_horas BIGINT;
    DECLARE v_corte DATETIME(6);
    DECLARE v_n BIGINT DEFAULT 1;
    DECLARE v_total BIGINT DEFAULT 0;

    -- Leave any transaction an interrupted call left open (see sp_derivar_cliente), so this
    -- write commits on its own rather than with that half-done work.
    ROLLBACK;
    SELECT valor INTO v_horas FROM seguimiento_config WHERE clave = 'outbox_retencion_horas';
    SET v_corte = UTC_TIMESTAMP(6) - INTERVAL v_horas HOUR;
    WHILE v_n > 0 DO
        DELETE FROM outbox WHERE created_at < v_corte ORDER BY id LIMIT 10000;
        SET v_n = ROW_COUNT();
        SET v_total = v_total + v_n;
    END WHILE;
    SELECT CAST(v_total AS SIGNED) AS borrados;
END//
DELIMITER ;
