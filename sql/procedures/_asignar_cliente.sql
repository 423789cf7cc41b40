-- _asignar_cliente(cliente_id, asesor_id, estado_anterior, asesor_anterior, actor, ahora):
-- internal. One customer given to one asesor, inside the caller's transaction, after the
-- caller has locked both rows and checked the move: derivado, the inactivity clock started
-- with the customer's campaign timeout (or timeout_segundos), out of its campaign's queue, any
-- lock dropped; the asesor's idle clock reset; then, as the last step, history (motivo
-- asignado, or reasignado when it had an asesor) and CLIENT_REASSIGNED {asesorId,
-- previousAsesor}. Shared by sp_derivar_cliente (GTR, a DBA) and sp_siguiente_cliente (the
-- pull); _repartir does the same set-based for many customers at once.
DROP PROCEDURE IF EXISTS _asignar_cliente;
DELIMITER //
CREATE PROCEDURE _asignar_cliente(
    IN p_cliente_id       BIGINT,
    IN p_asesor_id        BIGINT,
    IN p_estado_anterior  VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_anterior  BIGINT,
    IN p_actor            VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_ahora            DATETIME(6))
BEGIN
    UPDATE clientes c
      JOIN campanas k ON k.id = c.campana_id
      JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos'
       SET c.seguimiento_status = 'derivado', c.asesor_asignado = p_asesor_id,
           c.derivado_at = p_ahora, c.opened_at = NULL, c.last_activity = p_ahora,
           c.plazo_segundos = COALESCE(k.timeout_segundos, cfg.valor), c.en_cola = 0, c.cola_desde = NULL,
           c.lock_token = NULL, c.lock_asesor_id = NULL, c.updated_at = p_ahora
     WHERE c.id = p_cliente_id;
    UPDATE asesores SET libre_desde = p_ahora WHERE id = p_asesor_id;
    CALL _registrar_cambio(p_cliente_id, p_estado_anterior, 'derivado', p_asesor_id, p_asesor_anterior, p_actor,
                           IF(p_asesor_anterior IS NULL, 'asignado', 'reasignado'), 'CLIENT_REASSIGNED',
                           JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED),
                                       'previousAsesor', CAST(p_asesor_anterior AS SIGNED)),
                           p_ahora);
END//
DELIMITER ;
