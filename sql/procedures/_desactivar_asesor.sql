-- _desactivar_asesor(asesor_id, actor, emisor_token_id): internal. The body of
-- sp_desactivar_asesor (see there) and of sp_gtr_desactivar_asesor: with emisor_token_id it
-- first checks that it is a live GTR token (_emisor_gtr, 45015). Both write the change's
-- auditoria_admin row (emisor_token_id NULL for a DBA's call) with ASESOR_DEACTIVATED.
DROP PROCEDURE IF EXISTS _desactivar_asesor;
DELIMITER //
CREATE PROCEDURE _desactivar_asesor(
    IN p_asesor_id BIGINT,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_emisor_token_id BIGINT)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_n BIGINT DEFAULT 0;
    DECLARE v_tokens BIGINT DEFAULT 0;
    DECLARE v_primero BIGINT;
    DECLARE v_actor VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        -- A refusal changes nothing, not even the session's temporary tables (MariaDB 11.8
        -- lists them in information_schema.TABLES).
        DROP TEMPORARY TABLE IF EXISTS tmp_desactivar;
        RESIGNAL;
    END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;
    IF p_actor IS NULL OR CAST(LOWER(p_actor) AS BINARY) NOT IN ('gtr', 'dba') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'actor must be gtr or dba';
    END IF;
    SET v_actor = LOWER(p_actor);

    DROP TEMPORARY TABLE IF EXISTS tmp_desactivar;
    CREATE TEMPORARY TABLE tmp_desactivar (
        cliente_id       BIGINT      NOT NULL PRIMARY KEY,
        estado_anterior  VARCHAR(20) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

    CALL _abrir_transaccion();
    IF p_emisor_token_id IS NOT NULL THEN
        CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    END IF;
    -- The asesor row first: sp_derivar_cliente and token creation read it in share mode, so
    -- none can give this asesor a customer or a token while it is being deactivated.
    SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_activo = 0 THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' is already inactive');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45009, MESSAGE_TEXT = v_msg;
    END IF;

    UPDATE asesores SET activo = 0 WHERE id = p_asesor_id;
    UPDATE api_tokens SET revoked_at = v_ahora
     WHERE asesor_id = p_asesor_id AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > v_ahora);
    SET v_tokens = ROW_COUNT();

    -- Not SKIP LOCKED: every customer it holds must go, so wait for a heartbeat in flight.
    INSERT INTO tmp_desactivar (cliente_id, estado_anterior)
        SELECT id, seguimiento_status FROM clientes
         WHERE asesor_asignado = p_asesor_id AND seguimiento_status IN ('derivado', 'en_gestion')
           FOR UPDATE;
    SET v_n = ROW_COUNT();
    UPDATE clientes c JOIN tmp_desactivar t ON t.cliente_id = c.id
       SET c.seguimiento_status = 'no_gestionado', c.asesor_asignado = NULL,
           c.last_activity = NULL, c.lock_token = NULL, c.lock_asesor_id = NULL,
           c.en_cola = 1, c.cola_desde = v_ahora,
           c.updated_at = v_ahora;

    -- The outbox ids last (see _reservar_outbox_ids): one per customer, then the asesor's.
    CALL _reservar_outbox_ids(v_n + 1, v_primero);
    INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
        SELECT v_primero - 1 + ROW_NUMBER() OVER (ORDER BY t.cliente_id), 'CLIENT_RETURNED_TO_GTR',
               t.cliente_id, NULL, p_asesor_id,
               JSON_OBJECT('clienteId', t.cliente_id,
                           'reason', 'asesor_desactivado',
                           'previousAsesor', CAST(p_asesor_id AS SIGNED),
                           'seguimiento_status', 'no_gestionado',
                           'timestamp', DATE_FORMAT(v_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
               v_ahora
          FROM tmp_desactivar t;
    INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                    asesor_anterior_id, actor, motivo, outbox_id, created_at)
        SELECT o.cliente_id, t.estado_anterior, 'no_gestionado', NULL, p_asesor_id,
               v_actor, 'asesor_desactivado', o.id, v_ahora
          FROM tmp_desactivar t JOIN outbox o ON o.id >= v_primero AND o.id < v_primero + v_n
                                          AND o.cliente_id = t.cliente_id;
    INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
    VALUES (v_primero + v_n, 'ASESOR_DEACTIVATED', NULL, p_asesor_id, NULL,
            JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED), 'actor', v_actor,
                        'clientesDevueltos', CAST(v_n AS SIGNED), 'tokensRevocados', CAST(v_tokens AS SIGNED),
                        'timestamp', DATE_FORMAT(v_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
            v_ahora);
    INSERT INTO auditoria_admin (event_type, asesor_id, token_id, emisor_token_id, actor, detalle, outbox_id, created_at)
        SELECT 'ASESOR_DEACTIVATED', p_asesor_id, NULL, p_emisor_token_id, v_actor, payload, id, v_ahora
          FROM outbox WHERE id = v_primero + v_n;
    CALL _cerrar_transaccion(TRUE);
    DROP TEMPORARY TABLE IF EXISTS tmp_desactivar;
    SELECT CAST(v_n AS SIGNED) AS clientes_devueltos, CAST(v_tokens AS SIGNED) AS tokens_revocados;
END//
DELIMITER ;
