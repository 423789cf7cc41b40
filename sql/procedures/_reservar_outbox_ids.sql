-- _reservar_outbox_ids(n, OUT primero): internal. Reserves the next n outbox ids
-- (primero .. primero + n - 1) by bumping the one-row outbox_secuencia.
--
-- This is how outbox ordering works, and the only place it is done: the UPDATE locks the
-- sequence row until the caller's COMMIT, so transactions that write events commit one
-- after another in id order, and a rollback takes its ids back. Ids are therefore gap-free
-- and visible in order: a reader that keeps "the last id I got" never skips an event.
-- Callers reserve as the LAST step before COMMIT so the lock is held as briefly as possible;
-- transactions that write no event (a heartbeat) never take it.
DROP PROCEDURE IF EXISTS _reservar_outbox_ids;
DELIMITER //
CREATE PROCEDURE _reservar_outbox_ids(IN p_n BIGINT, OUT o_primero BIGINT)
BEGIN
    UPDATE outbox_secuencia SET ultimo_id = LAST_INSERT_ID(ultimo_id + p_n) WHERE id = 1;
    SET o_primero = LAST_INSERT_ID() - p_n + 1;
END//
DELIMITER ;
