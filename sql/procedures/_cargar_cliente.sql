-- _cargar_cliente(nombre, telefono, datos_json, campana_id, prioridad, OUT cliente_id):
-- internal. What sp_cargar_cliente and sp_cargar_cliente_en_campana do: loads a customer as
-- nuevo into the campaign (NULL: 'general') with the priority (NULL: 0), in its campaign's
-- queue from now; history (cargado) and CLIENT_CREATED {nombre, telefono,
-- seguimiento_status, campanaId, prioridad} in one transaction (campanaId and prioridad were
-- added with the dashboards' campaign filter: new keys, so existing readers are unaffected). Then, when the campaign is in auto mode, the
-- distribution runs for that campaign at once (its own transaction, see _distribuir), so a
-- lead reaches an available asesor without waiting for ev_distribuir; if that fails the load
-- stands and ev_distribuir assigns it a few seconds later.
DROP PROCEDURE IF EXISTS _cargar_cliente;
DELIMITER //
CREATE PROCEDURE _cargar_cliente(
    IN  p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_telefono LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_datos_json LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_campana_id BIGINT,
    IN  p_prioridad BIGINT,
    OUT o_cliente_id BIGINT)
BEGIN
    DECLARE v_nombre VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_telefono VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_campana BIGINT;
    DECLARE v_prioridad INT;
    DECLARE v_auto TINYINT DEFAULT 0;
    DECLARE v_asignados BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _validar_contacto(p_nombre, p_telefono, v_nombre, v_telefono);
    CALL _validar_datos(p_datos_json);
    CALL _validar_campana(p_campana_id, p_prioridad, v_campana, v_prioridad);

    CALL _abrir_transaccion();
    INSERT INTO clientes (nombre, telefono, datos, campana_id, prioridad, en_cola, cola_desde,
                          seguimiento_status, created_at, updated_at)
    VALUES (v_nombre, v_telefono, p_datos_json, v_campana, v_prioridad, 1, v_ahora, 'nuevo', v_ahora, v_ahora);
    SET o_cliente_id = LAST_INSERT_ID();
    SELECT (modo = 'auto' AND activa = 1) INTO v_auto FROM campanas WHERE id = v_campana;
    CALL _registrar_cambio(o_cliente_id, NULL, 'nuevo', NULL, NULL, 'gtr', 'cargado', 'CLIENT_CREATED',
                           JSON_OBJECT('nombre', v_nombre, 'telefono', v_telefono,
                                       'seguimiento_status', 'nuevo',
                                       'campanaId', CAST(v_campana AS SIGNED),
                                       'prioridad', CAST(v_prioridad AS SIGNED)),
                           v_ahora);
    CALL _cerrar_transaccion(TRUE);
    IF v_auto = 1 THEN
        -- The load has committed: a distribution that fails (a deadlock, a lock wait) must not
        -- make the caller think it did not, and retry into a duplicate. ev_distribuir retries.
        BEGIN
            DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
            CALL _distribuir(v_campana, NULL, v_asignados);
        END;
    END IF;
END//
DELIMITER ;
