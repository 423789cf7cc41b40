-- sp_cambiar_presencia(asesor_id, presencia, motivo_pausa, actor): the asesor (actor
-- 'asesor', from its dashboard), GTR ('gtr') or a DBA ('dba') sets an asesor's presence:
--   'disponible'    ready for work (motivo_pausa must be NULL); ends its streak of
--                   consecutive timeouts, and it counts as idle from now;
--   'en_pausa'      with motivo_pausa, an active code of the pause reason list
--                   (motivos_pausa; see sp_configurar_motivo_pausa), else 45012;
--   'desconectado'  (motivo_pausa NULL).
-- Writes presence history and ASESOR_STATUS_CHANGED {asesorId, presencia, motivoPausa,
-- presenciaAnterior, motivoPausaAnterior, actor, timestamp} in one transaction. When the
-- asesor acts itself, it also counts as seen by a gateway (asesores_conexion): its
-- dashboard is open. Once that has committed, an asesor made disponible is given work at
-- once: the distribution runs for it (its own transaction; if that fails the change stands
-- and ev_distribuir serves it a few seconds later).
-- Refused: unknown or inactive asesor (45002), unknown presence or actor (45007), a pause
-- reason not in the list or one given outside en_pausa (45012), no change (45009).
-- Result set: asesor_id, presencia, motivo_pausa, asignados (customers the distribution
-- gave it right away).
DROP PROCEDURE IF EXISTS sp_cambiar_presencia;
DELIMITER //
CREATE PROCEDURE sp_cambiar_presencia(
    IN p_asesor_id BIGINT,
    IN p_presencia LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_motivo_pausa LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_presencia VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_motivo VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;
    DECLARE v_actor VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_anterior VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_motivo_anterior VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_existe TINYINT DEFAULT 0;
    DECLARE v_asignados BIGINT DEFAULT 0;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        DROP TEMPORARY TABLE IF EXISTS tmp_presencia;
        RESIGNAL;
    END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;
    IF p_presencia IS NULL OR CAST(LOWER(p_presencia) AS BINARY) NOT IN ('disponible', 'en_pausa', 'desconectado') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'presencia must be disponible, en_pausa or desconectado';
    END IF;
    IF p_actor IS NULL OR CAST(LOWER(p_actor) AS BINARY) NOT IN ('asesor', 'gtr', 'dba') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'actor must be asesor, gtr or dba';
    END IF;
    SET v_presencia = LOWER(p_presencia);
    SET v_actor = LOWER(p_actor);
    IF v_presencia = 'en_pausa' THEN
        IF CHAR_LENGTH(p_motivo_pausa) <= 40 THEN
            SELECT 1 INTO v_existe FROM motivos_pausa WHERE codigo = p_motivo_pausa AND activo = 1;
        END IF;
        IF v_existe = 0 THEN
            SET v_msg = CONCAT('motivo_pausa ', COALESCE(LEFT(p_motivo_pausa, 40), 'NULL'),
                               ' is not in the pause reason list');
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45012, MESSAGE_TEXT = v_msg;
        END IF;
        SELECT codigo INTO v_motivo FROM motivos_pausa WHERE codigo = p_motivo_pausa;
    ELSEIF p_motivo_pausa IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45012, MESSAGE_TEXT = 'motivo_pausa is only given with en_pausa';
    END IF;

    CALL _abrir_transaccion();
    SELECT activo, presencia, motivo_pausa INTO v_activo, v_anterior, v_motivo_anterior
      FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL OR v_activo = 0 THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist or is not active');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_anterior = v_presencia AND v_motivo_anterior <=> v_motivo THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' is already ', v_presencia);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45009, MESSAGE_TEXT = v_msg;
    END IF;

    UPDATE asesores
       SET presencia = v_presencia, motivo_pausa = v_motivo, presencia_desde = v_ahora,
           timeouts_consecutivos = IF(v_presencia = 'disponible', 0, timeouts_consecutivos),
           libre_desde = IF(v_presencia = 'disponible', v_ahora, libre_desde)
     WHERE id = p_asesor_id;
    IF v_actor = 'asesor' THEN
        INSERT INTO asesores_conexion (asesor_id, visto_at) VALUES (p_asesor_id, v_ahora)
            ON DUPLICATE KEY UPDATE visto_at = v_ahora;
    END IF;
    CALL _crear_tmp_presencia();
    INSERT INTO tmp_presencia (asesor_id, estado_anterior, motivo_anterior, estado_nuevo, motivo_nuevo, actor)
    VALUES (p_asesor_id, v_anterior, v_motivo_anterior, v_presencia, v_motivo, v_actor);
    CALL _registrar_presencias(v_ahora);
    CALL _cerrar_transaccion(TRUE);
    DROP TEMPORARY TABLE IF EXISTS tmp_presencia;

    IF v_presencia = 'disponible' THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(NULL, p_asesor_id, v_asignados);
        END;
    END IF;
    SELECT CAST(p_asesor_id AS SIGNED) AS asesor_id, v_presencia AS presencia, v_motivo AS motivo_pausa,
           CAST(COALESCE(v_asignados, 0) AS SIGNED) AS asignados;
END//
DELIMITER ;
