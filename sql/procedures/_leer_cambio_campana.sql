-- _leer_cambio_campana(cambios_json, i, OUT clave, OUT texto, OUT numero): internal. The i-th
-- setting (from 0, in JSON_KEYS order) of sp_configurar_campana_varios' object, read and
-- checked. The clave must be written as the list has it (lower case: JSON keys are case
-- sensitive, so two spellings of one clave could otherwise both be given). The JSON value is
-- turned into the text sp_configurar_campana would be given (a string's text, a number's
-- digits, null: NULL, true/false: 1/0) and checked by _validar_configuracion_campana, and it
-- must also be of the setting's kind: a string for nombre and modo, true/false (or 1/0) for
-- activa, a whole number for the others (null where they allow it), so {"prioridad": "5"} and
-- {"nombre": 5} are refused. Refuses with 45007. Reads no table.
DROP PROCEDURE IF EXISTS _leer_cambio_campana;
DELIMITER //
CREATE PROCEDURE _leer_cambio_campana(
    IN  p_cambios LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_i       INT,
    OUT o_clave   VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_texto   LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    OUT o_numero  BIGINT)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT JSON_UNQUOTE(JSON_EXTRACT(JSON_KEYS(p_cambios), CONCAT('$[', p_i, ']')));
    DECLARE v_valor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_tipo VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    -- The key becomes a JSON path below: only the shape of a clave may get that far (its
    -- length first: no regular expression runs over a long key).
    IF CASE WHEN v_nombre IS NULL OR CHAR_LENGTH(v_nombre) > 40 THEN TRUE
            ELSE NOT (v_nombre COLLATE utf8mb4_bin REGEXP '^[a-z_]+$')
       END THEN
        SET v_msg = CONCAT('unknown campana setting ', COALESCE(LEFT(v_nombre, 40), 'NULL'));
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
    SET v_valor = JSON_EXTRACT(p_cambios, CONCAT('$.', v_nombre));
    SET v_tipo = JSON_TYPE(v_valor);
    CALL _validar_configuracion_campana(
        v_nombre,
        CASE v_tipo
            WHEN 'NULL' THEN NULL
            WHEN 'BOOLEAN' THEN IF(v_valor = 'true', '1', '0')
            ELSE JSON_UNQUOTE(v_valor)
        END,
        o_clave, o_texto, o_numero);
    IF NOT CASE o_clave
               WHEN 'nombre' THEN v_tipo = 'STRING'
               WHEN 'modo' THEN v_tipo = 'STRING'
               WHEN 'activa' THEN v_tipo IN ('BOOLEAN', 'INTEGER')
               ELSE v_tipo IN ('INTEGER', 'NULL')  -- a NULL where none is allowed was refused above
           END THEN
        SET v_msg = CONCAT('campana setting ', o_clave, ' takes ',
                           CASE o_clave
                               WHEN 'nombre' THEN 'a string'
                               WHEN 'modo' THEN 'a string'
                               WHEN 'activa' THEN 'true or false'
                               ELSE 'a whole number'
                           END);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
END//
DELIMITER ;
