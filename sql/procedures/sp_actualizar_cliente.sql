-- sp_actualizar_cliente(cliente_id, asesor_id, lock_token, datos_json): the asesor edits the
-- customer. datos_json is a JSON object; keys nombre and telefono change those fields (same
-- rules as sp_cargar_cliente), every other key is merged into the customer's datos (JSON
-- merge-patch: a key set to null removes it). Counts as activity; the state does not change.
-- nombre and telefono must be JSON strings; telefono null clears the phone (as a NULL
-- telefono does in sp_cargar_cliente).
-- Event CLIENT_UPDATED {clienteId, asesorId, nombre, telefono, datos, timestamp}.
DROP PROCEDURE IF EXISTS sp_actualizar_cliente;
DELIMITER //
CREATE PROCEDURE sp_actualizar_cliente(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_lock_token LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_datos_json LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_nombre VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_telefono VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_patch LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_datos_json IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'datos_json is required';
    END IF;
    CALL _validar_datos(p_datos_json);
    -- JSON_UNQUOTE would turn null into the text 'null' and an object into its JSON text.
    IF JSON_TYPE(JSON_EXTRACT(p_datos_json, '$.nombre')) <> 'STRING'
       OR JSON_TYPE(JSON_EXTRACT(p_datos_json, '$.telefono')) NOT IN ('STRING', 'NULL') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007,
            MESSAGE_TEXT = 'nombre and telefono must be JSON strings (telefono may be null)';
    END IF;

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, p_lock_token, 1, v_ahora, v_estado);
    SELECT nombre, telefono INTO v_nombre, v_telefono FROM clientes WHERE id = p_cliente_id;
    IF JSON_CONTAINS_PATH(p_datos_json, 'one', '$.nombre', '$.telefono') THEN
        CALL _validar_contacto(
            IF(JSON_CONTAINS_PATH(p_datos_json, 'one', '$.nombre'),
               JSON_UNQUOTE(JSON_EXTRACT(p_datos_json, '$.nombre')), v_nombre),
            CASE WHEN NOT JSON_CONTAINS_PATH(p_datos_json, 'one', '$.telefono') THEN v_telefono
                 WHEN JSON_TYPE(JSON_EXTRACT(p_datos_json, '$.telefono')) = 'NULL' THEN NULL
                 ELSE JSON_UNQUOTE(JSON_EXTRACT(p_datos_json, '$.telefono')) END,
            v_nombre, v_telefono);
    END IF;
    SET v_patch = JSON_REMOVE(p_datos_json, '$.nombre');
    SET v_patch = JSON_REMOVE(v_patch, '$.telefono');
    UPDATE clientes
       SET nombre = v_nombre, telefono = v_telefono,
           datos = JSON_MERGE_PATCH(COALESCE(datos, JSON_OBJECT()), v_patch),
           last_activity = v_ahora, updated_at = v_ahora
     WHERE id = p_cliente_id;
    CALL _registrar_cambio(p_cliente_id, v_estado, v_estado, p_asesor_id, NULL, 'asesor',
                           'datos_actualizados', 'CLIENT_UPDATED',
                           (SELECT JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED), 'nombre', nombre,
                                               'telefono', telefono, 'datos', datos)
                              FROM clientes WHERE id = p_cliente_id),
                           v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
