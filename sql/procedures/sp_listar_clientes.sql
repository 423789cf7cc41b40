-- sp_listar_clientes(estado, asesor_id, limite, desplazamiento): the board. NULL estado or
-- asesor_id means any. limite 1-1000. Two result sets read from ONE consistent snapshot:
--   1. snapshot_outbox_id, total, timeout_segundos: the last outbox event the page already
--      reflects, how many customers match, and the inactivity timeout in force. A dashboard
--      subscribes with since=snapshot_outbox_id and misses nothing: every later change comes
--      as an event.
--   2. the page of customers (v_clientes columns, newest first).
-- estado is LONGTEXT so an oversized value is refused as 45007, not failed as 1406.
DROP PROCEDURE IF EXISTS sp_listar_clientes;
DELIMITER //
CREATE PROCEDURE sp_listar_clientes(
    IN p_estado LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_limite BIGINT,
    IN p_desplazamiento BIGINT)
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;

    IF p_estado IS NOT NULL
       AND p_estado NOT IN ('nuevo', 'derivado', 'en_gestion', 'terminado', 'no_gestionado') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'unknown estado';
    END IF;
    IF p_limite IS NULL OR p_limite < 1 OR p_limite > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'limite must be 1 to 1000';
    END IF;
    IF p_desplazamiento IS NULL OR p_desplazamiento < 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'desplazamiento must be 0 or more';
    END IF;

    -- Both reads must see the same committed state; READ COMMITTED would give each its own.
    -- A call interrupted by KILL QUERY between statements leaves its transaction open (exit
    -- handlers do not run for a kill): roll that back rather than commit it with ours.
    ROLLBACK;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION WITH CONSISTENT SNAPSHOT;
    SELECT s.ultimo_id AS snapshot_outbox_id,
           (SELECT COUNT(*) FROM clientes c
             WHERE (p_estado IS NULL OR c.seguimiento_status = p_estado)
               AND (p_asesor_id IS NULL OR c.asesor_asignado = p_asesor_id)) AS total,
           (SELECT valor FROM seguimiento_config WHERE clave = 'timeout_segundos') AS timeout_segundos
      FROM outbox_secuencia s WHERE s.id = 1;
    SELECT v.*
      FROM v_clientes v
     WHERE (p_estado IS NULL OR v.seguimiento_status = p_estado)
       AND (p_asesor_id IS NULL OR v.asesor_asignado = p_asesor_id)
     ORDER BY v.cliente_id DESC
     LIMIT p_limite OFFSET p_desplazamiento;
    COMMIT;
END//
DELIMITER ;
