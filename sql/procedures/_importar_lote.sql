-- _importar_lote(clave, origen, filas_json, omitir_duplicados, campana_id, prioridad):
-- internal. The body of sp_importar_lote and sp_importar_lote_en_campana (see their headers):
-- loads the batch into the campaign (NULL: 'general') with the priority (NULL: 0), every
-- customer in its campaign's queue; in an auto campaign the distribution runs for the
-- campaign once the batch has committed. Result sets: those of sp_importar_lote.
DROP PROCEDURE IF EXISTS _importar_lote;
DELIMITER //
CREATE PROCEDURE _importar_lote(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_origen LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_filas LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_omitir_duplicados TINYINT,
    IN p_campana_id BIGINT,
    IN p_prioridad BIGINT)
BEGIN
    DECLARE v_id BIGINT;
    DECLARE v_campana BIGINT;
    DECLARE v_prioridad INT;
    DECLARE v_auto TINYINT DEFAULT 0;
    DECLARE v_asignados BIGINT;
    DECLARE v_cargados BIGINT;
    DECLARE v_rechazados BIGINT;
    DECLARE v_outbox_id BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _validar_campana(p_campana_id, p_prioridad, v_campana, v_prioridad);
    -- The transaction starts here, before the temporary tables are filled: their rows are
    -- transactional too, and with autocommit off (a DBA's script) opening it later would
    -- roll the staged rows back and record an empty import under this clave.
    CALL _abrir_transaccion();

    IF p_clave IS NULL OR NOT p_clave REGEXP '^[0-9a-f]{64}$' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'clave must be 64 lowercase hex characters';
    END IF;
    IF p_filas IS NULL OR NOT JSON_VALID(p_filas) OR JSON_TYPE(p_filas) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'filas_json must be a JSON array';
    END IF;
    IF JSON_LENGTH(p_filas) > 10000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'a batch holds at most 10000 rows';
    END IF;
    IF CHAR_LENGTH(p_origen) > 255 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'origen is longer than 255 characters';
    END IF;

    DROP TEMPORARY TABLE IF EXISTS tmp_import;
    CREATE TEMPORARY TABLE tmp_import (
        linea         BIGINT       NOT NULL PRIMARY KEY,
        nombre_raw    LONGTEXT     NULL,
        telefono_raw  LONGTEXT     NULL,
        datos         LONGTEXT     NULL,
        nombre        VARCHAR(200) NULL,
        telefono      VARCHAR(16)  NULL,
        motivo        VARCHAR(255) NULL,
        KEY (telefono)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    -- MySQL cannot open a temporary table twice in one statement, so the first line of each
    -- repeated phone goes to a table of its own.
    DROP TEMPORARY TABLE IF EXISTS tmp_import_primera;
    CREATE TEMPORARY TABLE tmp_import_primera (
        telefono  VARCHAR(16) NOT NULL PRIMARY KEY,
        linea     BIGINT      NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

    INSERT INTO tmp_import (linea, nombre_raw, telefono_raw, datos)
        SELECT j.linea, j.nombre, j.telefono, j.datos
          FROM JSON_TABLE(p_filas, '$[*]' COLUMNS (
                   linea    BIGINT   PATH '$.linea',
                   nombre   LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.nombre',
                   telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.telefono',
                   datos    LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.datos')) AS j;

    -- The rules of _validar_contacto and _validar_datos, applied to the whole batch, with
    -- the same reasons (tests/test_contact_rules.py compares the two on the same samples).
    UPDATE tmp_import SET nombre_raw = REGEXP_REPLACE(nombre_raw, '^[[:space:]]+|[[:space:]]+$', '');
    UPDATE tmp_import SET motivo = 'nombre is required'
     WHERE nombre_raw IS NULL OR TRIM(nombre_raw) = '';
    UPDATE tmp_import SET motivo = 'nombre is longer than 200 characters'
     WHERE motivo IS NULL AND CHAR_LENGTH(TRIM(nombre_raw)) > 200;
    UPDATE tmp_import SET motivo = 'telefono is not a phone number'
     WHERE motivo IS NULL AND telefono_raw IS NOT NULL AND TRIM(telefono_raw) <> ''
       AND CHAR_LENGTH(telefono_raw) > 40;
    UPDATE tmp_import SET motivo = 'telefono must be 6 to 15 digits, optionally with a leading +'
     WHERE motivo IS NULL AND telefono_raw IS NOT NULL AND TRIM(telefono_raw) <> ''
       AND NOT REGEXP_REPLACE(TRIM(telefono_raw), '[-. ()]', '') REGEXP '^[+]?[0-9]{6,15}$';
    UPDATE tmp_import SET motivo = 'datos is not a JSON object of at most 64 KiB'
     WHERE motivo IS NULL AND datos IS NOT NULL
       AND (LENGTH(datos) > 65536 OR NOT JSON_VALID(datos) OR JSON_TYPE(datos) <> 'OBJECT');
    UPDATE tmp_import
       SET nombre = TRIM(nombre_raw),
           telefono = IF(telefono_raw IS NULL OR TRIM(telefono_raw) = '', NULL,
                         REGEXP_REPLACE(TRIM(telefono_raw), '[-. ()]', ''))
     WHERE motivo IS NULL;

    INSERT IGNORE INTO importaciones (clave, origen, cargados, rechazados, created_at)
    VALUES (p_clave, p_origen, 0, 0, v_ahora);
    IF ROW_COUNT() = 0 THEN
        -- Loaded before (or by a concurrent run that just committed): report it, do nothing.
        CALL _cerrar_transaccion(TRUE);
        SELECT id AS importacion_id, cargados, rechazados, CAST(1 AS SIGNED) AS ya_importado
          FROM importaciones WHERE clave = p_clave;
        SELECT linea, motivo FROM tmp_import WHERE 1 = 0;
    ELSE
        SET v_id = LAST_INSERT_ID();
        IF p_omitir_duplicados = 1 THEN
            UPDATE tmp_import t JOIN clientes c ON c.telefono = t.telefono
               SET t.motivo = CONCAT('telefono already belongs to cliente ', c.id)
             WHERE t.motivo IS NULL;
            INSERT INTO tmp_import_primera (telefono, linea)
                SELECT telefono, MIN(linea) FROM tmp_import
                 WHERE motivo IS NULL AND telefono IS NOT NULL GROUP BY telefono;
            UPDATE tmp_import t JOIN tmp_import_primera p ON p.telefono = t.telefono AND t.linea > p.linea
               SET t.motivo = CONCAT('telefono repeats line ', p.linea)
             WHERE t.motivo IS NULL;
        END IF;

        INSERT INTO clientes (nombre, telefono, datos, importacion_id, importacion_linea,
                              campana_id, prioridad, en_cola, cola_desde,
                              seguimiento_status, created_at, updated_at)
            SELECT nombre, telefono, datos, v_id, linea, v_campana, v_prioridad, 1, v_ahora,
                   'nuevo', v_ahora, v_ahora
              FROM tmp_import WHERE motivo IS NULL ORDER BY linea;
        SET v_cargados = ROW_COUNT();
        SELECT COUNT(*) INTO v_rechazados FROM tmp_import WHERE motivo IS NOT NULL;
        UPDATE importaciones SET cargados = v_cargados, rechazados = v_rechazados WHERE id = v_id;

        IF v_cargados > 0 THEN
            CALL _reservar_outbox_ids(1, v_outbox_id);
            INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
            VALUES (v_outbox_id, 'CLIENTS_IMPORTED', NULL, NULL, NULL,
                    JSON_OBJECT('importacionId', CAST(v_id AS SIGNED),
                                'cargados', CAST(v_cargados AS SIGNED),
                                'rechazados', CAST(v_rechazados AS SIGNED),
                                'timestamp', DATE_FORMAT(v_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
                    v_ahora);
            INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                            asesor_anterior_id, actor, motivo, outbox_id, created_at)
                SELECT id, NULL, 'nuevo', NULL, NULL, 'gtr', 'importado', v_outbox_id, v_ahora
                  FROM clientes WHERE importacion_id = v_id;
            UPDATE importaciones SET outbox_id = v_outbox_id WHERE id = v_id;
        END IF;
        CALL _cerrar_transaccion(TRUE);
        SELECT CAST(v_id AS SIGNED) AS importacion_id, CAST(v_cargados AS SIGNED) AS cargados,
               CAST(v_rechazados AS SIGNED) AS rechazados, CAST(0 AS SIGNED) AS ya_importado;
        SELECT linea, motivo FROM tmp_import WHERE motivo IS NOT NULL ORDER BY linea;
        SELECT (modo = 'auto' AND activa = 1) INTO v_auto FROM campanas WHERE id = v_campana;
    END IF;
    DROP TEMPORARY TABLE IF EXISTS tmp_import;
    DROP TEMPORARY TABLE IF EXISTS tmp_import_primera;
    IF v_auto = 1 AND v_cargados > 0 THEN
        -- Committed already: a failed distribution must not fail the import (see _cargar_cliente).
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(v_campana, NULL, v_asignados);
        END;
    END IF;
END//
DELIMITER ;
