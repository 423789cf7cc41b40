-- sp_outbox_limites(): primer_id, the oldest event still kept (NULL when the retention purge
-- left none), and ultimo_id, the newest event ever committed. A reader resuming from
-- since < primer_id - 1 (or since < ultimo_id with no event kept) has lost events to the
-- purge and must reload (RESYNC_REQUIRED).
DROP PROCEDURE IF EXISTS sp_outbox_limites;
DELIMITER //
CREATE PROCEDURE sp_outbox_limites()
BEGIN
    SELECT (SELECT MIN(id) FROM outbox) AS primer_id, s.ultimo_id
      FROM outbox_secuencia s WHERE s.id = 1;
END//
DELIMITER ;
