-- _habilidad(asesor_id, campana_id, dar): internal. What sp_asignar_habilidad (dar = 1) and
-- sp_quitar_habilidad (dar = 0) do: checks both exist (45002, 45010), adds or removes the
-- skill, and when that changed something writes ASESOR_SKILLS_CHANGED {asesorId, campanaId,
-- habilidad (true: added, false: removed), campanas (its skills now, ids ascending),
-- timestamp}. Adding a skill an available asesor lacked runs the distribution for it once
-- committed. Result set: asesor_id, campana_id, cambiado (0 when it already was so).
DROP PROCEDURE IF EXISTS _habilidad;
DELIMITER //
CREATE PROCEDURE _habilidad(IN p_asesor_id BIGINT, IN p_campana_id BIGINT, IN p_dar TINYINT)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_campana BIGINT DEFAULT NULL;
    DECLARE v_cambiado BIGINT DEFAULT 0;
    DECLARE v_campanas LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_asignados BIGINT;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_asesor_id IS NULL OR p_campana_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id and campana_id are required';
    END IF;

    CALL _abrir_transaccion();
    -- The asesor row first, as the distribution takes it.
    SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT id INTO v_campana FROM campanas WHERE id = p_campana_id;
    IF v_campana IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    IF p_dar = 1 THEN
        INSERT IGNORE INTO asesor_campanas (asesor_id, campana_id, created_at) VALUES (p_asesor_id, p_campana_id, v_ahora);
    ELSE
        DELETE FROM asesor_campanas WHERE asesor_id = p_asesor_id AND campana_id = p_campana_id;
    END IF;
    SET v_cambiado = ROW_COUNT();
    IF v_cambiado > 0 THEN
        SELECT CONCAT('[', COALESCE(GROUP_CONCAT(campana_id ORDER BY campana_id), ''), ']') INTO v_campanas
          FROM asesor_campanas WHERE asesor_id = p_asesor_id;
        CALL _registrar_evento('ASESOR_SKILLS_CHANGED', p_asesor_id,
                               JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED),
                                           'campanaId', CAST(p_campana_id AS SIGNED),
                                           'habilidad', p_dar = 1,
                                           'campanas', JSON_EXTRACT(v_campanas, '$')),
                               v_ahora);
    END IF;
    CALL _cerrar_transaccion(TRUE);
    IF p_dar = 1 AND v_cambiado > 0 THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(p_campana_id, p_asesor_id, v_asignados);
        END;
    END IF;
    SELECT CAST(p_asesor_id AS SIGNED) AS asesor_id, CAST(p_campana_id AS SIGNED) AS campana_id,
           CAST(v_cambiado AS SIGNED) AS cambiado;
END//
DELIMITER ;
