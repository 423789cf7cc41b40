-- sp_outbox_leer(desde_id, limite): outbox events with id > desde_id, in id order, at most
-- limite (1-10000). Ids are gap-free and become visible in order (see _registrar_cambio), so
-- a reader that keeps the last id it got never misses one. The outbox tailer's only read.
DROP PROCEDURE IF EXISTS sp_outbox_leer;
DELIMITER //
CREATE PROCEDURE sp_outbox_leer(IN p_desde_id BIGINT, IN p_limite BIGINT)
BEGIN
    IF p_desde_id IS NULL OR p_desde_id < 0 OR p_limite IS NULL OR p_limite < 1 OR p_limite > 10000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007,
            MESSAGE_TEXT = 'desde_id must be 0 or more and limite 1 to 10000';
    END IF;
    SELECT id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at
      FROM outbox WHERE id > p_desde_id ORDER BY id LIMIT p_limite;
END//
DELIMITER ;
