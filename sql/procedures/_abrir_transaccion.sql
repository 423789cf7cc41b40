-- _abrir_transaccion(): internal. Starts the transaction of a writing procedure; every one
-- starts its transaction here and ends it with _cerrar_transaccion, so these rules hold for
-- all of them on every engine:
--
-- * ROLLBACK first. A KILL QUERY landing between two statements of a CALL skips the exit
--   handler, so the session can still be inside that call's transaction; roll it back
--   rather than commit that half-done work with ours.
-- * A short wait_timeout while the transaction is open. On MySQL a killed CALL (a DBA's
--   Ctrl-C in the mysql client sends KILL QUERY) leaves its transaction open, with its row
--   locks, until the session runs another statement or disconnects; if it holds the outbox
--   sequence row, every writer in the system waits behind it. wait_timeout only counts while
--   the server waits for the client's next command, never during a CALL, so a session left
--   idle inside one of our transactions is disconnected (and rolled back) after
--   transaccion_interrumpida_segundos, whatever its client does. _cerrar_transaccion puts
--   the session's own wait_timeout back.
-- * READ COMMITTED. MariaDB 11.6+ (innodb_snapshot_isolation ON by default) fails a
--   REPEATABLE READ transaction with 1020 when it locks a row changed after its snapshot,
--   and every event-writing transaction locks the outbox sequence row others just changed.
--   Our transactions read what they change with locking reads, so they need no snapshot.
DROP PROCEDURE IF EXISTS _abrir_transaccion;
DELIMITER //
CREATE PROCEDURE _abrir_transaccion()
BEGIN
    DECLARE v_segundos BIGINT;

    ROLLBACK;
    SELECT valor INTO v_segundos FROM seguimiento_config WHERE clave = 'transaccion_interrumpida_segundos';
    -- With autocommit off that read opened a transaction, and SET TRANSACTION is refused
    -- inside one.
    COMMIT;
    IF @seguimiento_wait_timeout IS NULL THEN
        SET @seguimiento_wait_timeout = @@SESSION.wait_timeout;
    END IF;
    SET SESSION wait_timeout = COALESCE(v_segundos, 5);
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
END//
DELIMITER ;
