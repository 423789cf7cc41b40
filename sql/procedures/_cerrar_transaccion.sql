-- _cerrar_transaccion(confirmar): internal. Ends a transaction _abrir_transaccion started:
-- COMMIT when confirmar is true, ROLLBACK otherwise (the exit handlers), and gives the
-- session its own wait_timeout back.
DROP PROCEDURE IF EXISTS _cerrar_transaccion;
DELIMITER //
CREATE PROCEDURE _cerrar_transaccion(IN p_confirmar BOOLEAN)
BEGIN
    IF p_confirmar THEN
        COMMIT;
    ELSE
        ROLLBACK;
    END IF;
    IF @seguimiento_wait_timeout IS NOT NULL THEN
        -- CAST: MariaDB refuses a user variable of string type for wait_timeout.
        SET SESSION wait_timeout = CAST(@seguimiento_wait_timeout AS UNSIGNED);
        SET @seguimiento_wait_timeout = NULL;
    END IF;
END//
DELIMITER ;
