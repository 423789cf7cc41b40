-- sp_fijar_capacidad(asesor_id, capacidad): GTR or a DBA sets how many customers an asesor
-- may hold at once (derivado + en_gestion), 1-100, for the automatic distribution and the
-- pull (GTR's own assignments may go beyond it; lowering it takes nothing away). Event
-- ASESOR_CAPACITY_CHANGED {asesorId, capacidad, capacidadAnterior, timestamp}. A raise
-- runs the distribution for the asesor once committed.
-- Refused: unknown asesor (45002), capacidad out of range (45007), unchanged (45009).
-- Result set: asesor_id, capacidad.
DROP PROCEDURE IF EXISTS sp_fijar_capacidad;
DELIMITER //
CREATE PROCEDURE sp_fijar_capacidad(IN p_asesor_id BIGINT, IN p_capacidad BIGINT)
BEGIN
    DECLARE v_anterior INT DEFAULT NULL;
    DECLARE v_asignados BIGINT;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;
    IF p_capacidad IS NULL OR p_capacidad < 1 OR p_capacidad > 100 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'capacidad must be between 1 and 100';
    END IF;

    CALL _abrir_transaccion();
    SELECT capacidad INTO v_anterior FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_anterior IS NULL THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_anterior = p_capacidad THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' already has capacidad ', p_capacidad);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45009, MESSAGE_TEXT = v_msg;
    END IF;
    UPDATE asesores SET capacidad = p_capacidad WHERE id = p_asesor_id;
    CALL _registrar_evento('ASESOR_CAPACITY_CHANGED', p_asesor_id,
                           JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED),
                                       'capacidad', CAST(p_capacidad AS SIGNED),
                                       'capacidadAnterior', CAST(v_anterior AS SIGNED)),
                           v_ahora);
    CALL _cerrar_transaccion(TRUE);
    IF p_capacidad > v_anterior THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(NULL, p_asesor_id, v_asignados);
        END;
    END IF;
    SELECT CAST(p_asesor_id AS SIGNED) AS asesor_id, CAST(p_capacidad AS SIGNED) AS capacidad;
END//
DELIMITER ;
