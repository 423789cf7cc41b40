-- sp_configurar_campana_varios(campana_id, cambios_json): GTR or a DBA changes several settings
-- of a campaign at once: all of them, or none. cambios_json is a JSON object
-- {"clave": valor, ...} naming at least one of sp_configurar_campana's claves, each once and in
-- lower case, with the same rules (see its header); each valor is a JSON value of the
-- setting's kind:
--   nombre, modo                                      a string;
--   timeout_segundos, pausa_tras_timeouts             a whole number, or null (the global value);
--   prioridad, reciclaje_segundos, max_devoluciones   a whole number;
--   activa                                            true or false (1 or 0 too).
-- e.g. CALL sp_configurar_campana_varios(2, '{"nombre": "Fibra Norte", "timeout_segundos": 900}');
-- Every setting is checked before anything changes; then all are applied in ONE transaction,
-- each with what it takes along as in sp_configurar_campana (a new timeout recomputes the
-- deadlines of the campaign's customers being worked, a new max_devoluciones puts returned
-- customers back in the queue or takes them out), and ONE event CAMPAIGN_CHANGED with the
-- campaign as it now is (the payload sp_configurar_campana writes: dashboards read every
-- setting from it, whichever changed). When the campaign is (now) active and auto and modo,
-- activa or max_devoluciones was given, the distribution runs for it once this has committed.
-- Refused, with nothing changed: campana_id NULL, cambios_json not a JSON object, an empty
-- object, an unknown clave (or one not in lower case), a clave given twice, a value of the
-- wrong kind or out of range (45007); unknown campaign (45010); a nombre another campaign has
-- (45011). A clave given twice is refused where the engine sees it: MySQL's JSON parser keeps
-- only the last of a repeated key before any procedure reads the object, MariaDB's keeps both.
-- Result set: the campaign's row, as sp_configurar_campana answers it.
DROP PROCEDURE IF EXISTS sp_configurar_campana_varios;
DELIMITER //
CREATE PROCEDURE sp_configurar_campana_varios(
    IN p_campana_id BIGINT,
    IN p_cambios LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_existe BIGINT DEFAULT NULL;
    DECLARE v_n INT DEFAULT 0;
    DECLARE v_i INT DEFAULT 0;
    DECLARE v_clave VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_texto LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_numero BIGINT;
    DECLARE v_reparte TINYINT DEFAULT 0;
    DECLARE v_auto TINYINT DEFAULT 0;
    DECLARE v_asignados BIGINT;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45011, MESSAGE_TEXT = 'a campana with that nombre exists';
    END;

    IF p_campana_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'campana_id is required';
    END IF;
    IF p_cambios IS NULL OR NOT JSON_VALID(p_cambios) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cambios_json must be a JSON object';
    END IF;
    IF JSON_TYPE(p_cambios) <> 'OBJECT' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cambios_json must be a JSON object';
    END IF;
    SET v_n = COALESCE(JSON_LENGTH(JSON_KEYS(p_cambios)), 0);
    IF v_n = 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cambios_json names no campana setting';
    END IF;
    -- MariaDB keeps a repeated key (JSON_LENGTH counts it twice, JSON_KEYS once).
    IF JSON_LENGTH(p_cambios) <> v_n THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cambios_json names a campana setting twice';
    END IF;
    -- Every setting is checked before the transaction opens: a bad one changes nothing.
    WHILE v_i < v_n DO
        CALL _leer_cambio_campana(p_cambios, v_i, v_clave, v_texto, v_numero);
        SET v_i = v_i + 1;
    END WHILE;

    CALL _abrir_transaccion();
    SELECT id INTO v_existe FROM campanas WHERE id = p_campana_id FOR UPDATE;
    IF v_existe IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    SET v_i = 0;
    WHILE v_i < v_n DO
        CALL _leer_cambio_campana(p_cambios, v_i, v_clave, v_texto, v_numero);
        CALL _aplicar_configuracion_campana(p_campana_id, v_clave, v_texto, v_numero, v_ahora);
        IF v_clave IN ('modo', 'activa', 'max_devoluciones') THEN
            SET v_reparte = 1;
        END IF;
        SET v_i = v_i + 1;
    END WHILE;
    SELECT (modo = 'auto' AND activa = 1) INTO v_auto FROM campanas WHERE id = p_campana_id;
    CALL _registrar_campana(p_campana_id, v_ahora);
    CALL _cerrar_transaccion(TRUE);
    IF v_auto = 1 AND v_reparte = 1 THEN
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(p_campana_id, NULL, v_asignados);
        END;
    END IF;
    SELECT id AS campana_id, nombre, timeout_segundos, prioridad, modo, reciclaje_segundos, max_devoluciones,
           pausa_tras_timeouts, activa
      FROM campanas WHERE id = p_campana_id;
END//
DELIMITER ;
