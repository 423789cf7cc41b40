-- sp_siguiente_cliente(asesor_id): the pull ("Siguiente cliente"). Gives the asesor, at once,
-- the best waiting customer of the active auto campaigns it has the skill for: the first
-- campaign in serving order (prioridad DESC, id) with a customer ready, and in it the first
-- by prioridad DESC, created_at, id (see _repartir). One transaction; writes what an
-- automatic assignment writes (history motivo asignado, actor asesor; CLIENT_REASSIGNED).
-- The asesor must be active (45002), disponible (45013) and below its capacidad (45014).
-- Result set: cliente_id, campana_id (both NULL when nothing waits for it).
DROP PROCEDURE IF EXISTS sp_siguiente_cliente;
DELIMITER //
CREATE PROCEDURE sp_siguiente_cliente(IN p_asesor_id BIGINT)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_presencia VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_capacidad INT;
    DECLARE v_carga BIGINT;
    DECLARE v_n BIGINT;
    DECLARE v_cliente BIGINT DEFAULT NULL;
    DECLARE v_campana BIGINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        CALL _soltar_tmp_reparto();
        RESIGNAL;
    END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;

    CALL _abrir_transaccion();
    SET v_ahora = UTC_TIMESTAMP(6);
    -- The asesor row first, as every assigner takes it: its load cannot change under us.
    SELECT activo, presencia, capacidad INTO v_activo, v_presencia, v_capacidad
      FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL OR v_activo = 0 THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist or is not active');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_presencia <> 'disponible' THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' is ', v_presencia, ', not disponible');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45013, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT COUNT(*) INTO v_carga FROM clientes
     WHERE asesor_asignado = p_asesor_id AND seguimiento_status IN ('derivado', 'en_gestion');
    IF v_carga >= v_capacidad THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' holds ', v_carga, ' customers: its capacidad is ', v_capacidad);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45014, MESSAGE_TEXT = v_msg;
    END IF;

    CALL _crear_tmp_reparto();
    CALL _repartir(NULL, p_asesor_id, 'asesor', 1, v_ahora, v_n);
    SELECT cliente_id, campana_id INTO v_cliente, v_campana FROM tmp_rep_clientes LIMIT 1;
    CALL _cerrar_transaccion(TRUE);
    CALL _soltar_tmp_reparto();
    SELECT CAST(v_cliente AS SIGNED) AS cliente_id, CAST(v_campana AS SIGNED) AS campana_id;
END//
DELIMITER ;
