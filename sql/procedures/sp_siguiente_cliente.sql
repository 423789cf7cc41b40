-- sp_siguiente_cliente(asesor_id): the pull ("Siguiente cliente"). Gives the asesor, at once,
-- the best waiting customer of the active auto campaigns it has the skill for: the first
-- campaign in serving order (prioridad DESC, id) with a customer ready, and in it the first
-- by prioridad DESC, created_at, id: the order _repartir serves. One transaction; writes what
-- an automatic assignment writes (history motivo asignado, actor asesor; CLIENT_REASSIGNED).
-- It is _repartir for one place of one asesor, written out without its working tables: one
-- probe of idx_cola per campaign until one has a customer ready, so a pull costs a handful
-- of index reads whatever the queue's length.
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
    DECLARE v_cliente BIGINT DEFAULT NULL;
    DECLARE v_campana BIGINT DEFAULT NULL;
    DECLARE v_prioridad INT DEFAULT NULL;
    DECLARE v_siguiente BIGINT;
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

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

    -- Campaign by campaign in serving order, until one has a customer ready for it.
    campanas: LOOP
        SET v_siguiente = NULL;
        SELECT k.id, k.prioridad INTO v_siguiente, v_prioridad
          FROM asesor_campanas h JOIN campanas k ON k.id = h.campana_id
         WHERE h.asesor_id = p_asesor_id AND k.activa = 1 AND k.modo = 'auto'
           AND (v_campana IS NULL OR k.prioridad < v_prioridad OR (k.prioridad = v_prioridad AND k.id > v_campana))
         ORDER BY k.prioridad DESC, k.id
         LIMIT 1;
        IF v_siguiente IS NULL THEN
            SET v_campana = NULL;
            LEAVE campanas;
        END IF;
        SET v_campana = v_siguiente;
        SELECT id, seguimiento_status INTO v_cliente, v_estado
          FROM clientes
         WHERE campana_id = v_campana AND en_cola = 1 AND cola_desde <= v_ahora
         ORDER BY prioridad DESC, created_at, id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        IF v_cliente IS NOT NULL THEN
            LEAVE campanas;
        END IF;
    END LOOP;

    IF v_cliente IS NOT NULL THEN
        CALL _asignar_cliente(v_cliente, p_asesor_id, v_estado, NULL, 'asesor', v_ahora);
    END IF;
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_cliente AS SIGNED) AS cliente_id, CAST(v_campana AS SIGNED) AS campana_id;
END//
DELIMITER ;
