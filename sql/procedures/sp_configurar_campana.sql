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
-- Event CAMPAIGN_CHANGED. When the campaign is (now) active and auto, the distribution runs
-- for it once this has committed. Refused: unknown campaign (45010), unknown clave or bad
-- value (45007). Result set: the campaign's row, as sp_listar_campanas shows it.
DROP PROCEDURE IF EXISTS sp_configurar_campana;
DELIMITER //
CREATE PROCEDURE sp_configurar_campana(
    IN p_campana_id BIGINT,
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_existe BIGINT DEFAULT NULL;
    DECLARE v_clave VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_texto LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT REGEXP_REPLACE(p_valor, '^[[:space:]]+|[[:space:]]+$', '');
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
    IF p_clave IS NULL OR CAST(LOWER(p_clave) AS BINARY) NOT IN
       ('nombre', 'timeout_segundos', 'prioridad', 'modo', 'reciclaje_segundos', 'max_devoluciones',
        'pausa_tras_timeouts', 'activa') THEN
        SET v_msg = CONCAT('unknown campana setting ', COALESCE(LEFT(p_clave, 40), 'NULL'));
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
    SET v_clave = LOWER(p_clave);
    IF v_texto REGEXP '^-?[0-9]{1,9}$' THEN
        SET v_numero = CAST(v_texto AS SIGNED);
    END IF;
    IF CASE v_clave
           WHEN 'nombre' THEN v_texto IS NULL OR v_texto = '' OR CHAR_LENGTH(v_texto) > 120
           WHEN 'timeout_segundos' THEN v_texto IS NOT NULL AND NOT (v_numero BETWEEN 1 AND 86400)
           WHEN 'prioridad' THEN NOT (v_numero BETWEEN -1000 AND 1000)
           WHEN 'modo' THEN v_texto IS NULL OR CAST(LOWER(v_texto) AS BINARY) NOT IN ('manual', 'auto')
           WHEN 'reciclaje_segundos' THEN NOT (v_numero BETWEEN 0 AND 604800)
           WHEN 'max_devoluciones' THEN NOT (v_numero BETWEEN 0 AND 1000)
           WHEN 'pausa_tras_timeouts' THEN v_texto IS NOT NULL AND NOT (v_numero BETWEEN 0 AND 1000)
           WHEN 'activa' THEN NOT (v_numero BETWEEN 0 AND 1)
       END IS NOT FALSE THEN
        SET v_msg = CONCAT('bad value for campana setting ', v_clave);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;

    CALL _abrir_transaccion();
    SELECT id INTO v_existe FROM campanas WHERE id = p_campana_id FOR UPDATE;
    IF v_existe IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    UPDATE campanas
       SET nombre = IF(v_clave = 'nombre', v_texto, nombre),
           timeout_segundos = IF(v_clave = 'timeout_segundos', v_numero, timeout_segundos),
           prioridad = IF(v_clave = 'prioridad', v_numero, prioridad),
           modo = IF(v_clave = 'modo', LOWER(v_texto), modo),
           reciclaje_segundos = IF(v_clave = 'reciclaje_segundos', v_numero, reciclaje_segundos),
           max_devoluciones = IF(v_clave = 'max_devoluciones', v_numero, max_devoluciones),
           pausa_tras_timeouts = IF(v_clave = 'pausa_tras_timeouts', v_numero, pausa_tras_timeouts),
           activa = IF(v_clave = 'activa', v_numero, activa),
           updated_at = v_ahora
     WHERE id = p_campana_id;
    IF v_clave = 'timeout_segundos' THEN
        UPDATE clientes c JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos'
           SET c.plazo_segundos = COALESCE(v_numero, cfg.valor)
         WHERE c.campana_id = p_campana_id AND c.vence_en IS NOT NULL;
    ELSEIF v_clave = 'max_devoluciones' THEN
        UPDATE clientes
           SET en_cola = (devoluciones < v_numero), cola_desde = COALESCE(cola_desde, updated_at)
         WHERE campana_id = p_campana_id AND seguimiento_status = 'no_gestionado';
    END IF;
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
