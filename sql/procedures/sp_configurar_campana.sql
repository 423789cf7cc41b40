-- sp_configurar_campana(campana_id, clave, valor): GTR or a DBA changes one setting of a
-- campaign. valor is text (NULL where allowed):
--   nombre               1-120 characters, unique (45011);
--   timeout_segundos     1-86400, or NULL for the global timeout_segundos. Applies at once
--                        to the campaign's customers being worked (their deadlines are
--                        recomputed in the same transaction);
--   prioridad            -1000..1000 (higher first);
--   modo                 manual or auto;
--   reciclaje_segundos   0-604800;
--   max_devoluciones     0-1000. Applies to the campaign's no_gestionado customers at once:
--                        those returned fewer times are (back) in the queue, the others stay
--                        with GTR;
--   pausa_tras_timeouts  0-1000 (0: never), or NULL for the global pausa_timeouts_consecutivos;
--   activa               1 or 0 (an inactive campaign is not distributed nor pulled).
-- Event CAMPAIGN_CHANGED. When the setting is modo, activa or max_devoluciones (the ones that
-- can give the queue customers or the campaign asesores) and the campaign is now active and
-- auto, the distribution runs for it once this has committed. Refused: unknown campaign (45010), unknown clave or bad
-- value (45007), nombre taken (45011). Result set: the campaign's row, as sp_listar_campanas
-- shows it. The rules are _validar_configuracion_campana's and the change
-- _aplicar_configuracion_campana's, shared with sp_configurar_campana_varios (several settings
-- in one transaction).
DROP PROCEDURE IF EXISTS sp_configurar_campana;
DELIMITER //
CREATE PROCEDURE sp_configurar_campana(
    IN p_campana_id BIGINT,
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_existe BIGINT DEFAULT NULL;
    DECLARE v_clave VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_texto LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_numero BIGINT DEFAULT NULL;
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
    CALL _validar_configuracion_campana(p_clave, p_valor, v_clave, v_texto, v_numero);

    CALL _abrir_transaccion();
    SELECT id INTO v_existe FROM campanas WHERE id = p_campana_id FOR UPDATE;
    IF v_existe IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _aplicar_configuracion_campana(p_campana_id, v_clave, v_texto, v_numero, v_ahora);
    SELECT (modo = 'auto' AND activa = 1) INTO v_auto FROM campanas WHERE id = p_campana_id;
    CALL _registrar_campana(p_campana_id, v_ahora);
    CALL _cerrar_transaccion(TRUE);
    IF v_auto = 1 AND v_clave IN ('modo', 'activa', 'max_devoluciones') THEN
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
