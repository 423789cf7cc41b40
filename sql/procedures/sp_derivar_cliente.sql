-- sp_derivar_cliente(cliente_id, asesor_id, actor): GTR (actor 'gtr') or a DBA (actor 'dba')
-- assigns a customer to an active asesor, or reassigns it to another one.
-- From nuevo, no_gestionado, derivado (to another asesor) or en_gestion (to another asesor:
-- the old asesor loses the customer and its lock). Starts the inactivity clock, with the
-- timeout of the customer's campaign (or timeout_segundos), and takes the customer out of its
-- campaign's automatic queue. GTR may go beyond the asesor's capacidad (only the automatic
-- distribution and the pull respect it). The automatic assignments (sp_distribuir,
-- sp_siguiente_cliente) write the same history and event, with actor system or asesor.
-- Event CLIENT_REASSIGNED {clienteId, asesorId, previousAsesor, timestamp}.
-- actor is matched case-insensitively and recorded in lower case. Text arguments are
-- LONGTEXT so an oversized one reaches the check (45007) instead of failing as 1406.
DROP PROCEDURE IF EXISTS sp_derivar_cliente;
DELIMITER //
CREATE PROCEDURE sp_derivar_cliente(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;
    DECLARE v_anterior BIGINT DEFAULT NULL;
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_cliente_id IS NULL OR p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cliente_id and asesor_id are required';
    END IF;
    IF p_actor IS NULL OR CAST(LOWER(p_actor) AS BINARY) NOT IN ('gtr', 'dba') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'actor must be gtr or dba';
    END IF;

    CALL _abrir_transaccion();
    SELECT seguimiento_status, asesor_asignado INTO v_estado, v_anterior
      FROM clientes WHERE id = p_cliente_id FOR UPDATE;
    IF v_estado IS NULL THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45001, MESSAGE_TEXT = v_msg;
    END IF;
    -- FOR UPDATE, as the distribution and the pull lock it: a manual assignment and an automatic
    -- one to the same asesor are serialised, so capacity counts stay exact.
    SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL OR v_activo = 0 THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist or is not active');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_estado = 'terminado' THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' is terminado and cannot be assigned again');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45003, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_estado IN ('derivado', 'en_gestion') AND v_anterior <=> p_asesor_id THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' is already assigned to asesor ', p_asesor_id);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45003, MESSAGE_TEXT = v_msg;
    END IF;

    CALL _asignar_cliente(p_cliente_id, p_asesor_id, v_estado, v_anterior, LOWER(p_actor), v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
