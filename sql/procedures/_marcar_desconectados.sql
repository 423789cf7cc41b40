-- _marcar_desconectados(OUT desconectados): internal, run by sp_distribuir before it assigns.
-- An asesor a gateway once reported (asesores_conexion) but no gateway has reported for
-- presencia_socket_segundos has no live dashboard anywhere: set desconectado (actor system),
-- with presence history and ASESOR_STATUS_CHANGED each, in one transaction. Because the
-- last-seen times live in the database and this runs from the database's own event, it
-- holds when a gateway crashes: its asesores simply stop being reported. Rows a gateway is
-- reporting right now are skipped (SKIP LOCKED): that gateway is alive.
DROP PROCEDURE IF EXISTS _marcar_desconectados;
DELIMITER //
CREATE PROCEDURE _marcar_desconectados(OUT o_desconectados BIGINT)
BEGIN
    DECLARE v_segundos BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        DROP TEMPORARY TABLE IF EXISTS tmp_presencia;
        RESIGNAL;
    END;

    SELECT valor INTO v_segundos FROM seguimiento_config WHERE clave = 'presencia_socket_segundos';
    CALL _abrir_transaccion();
    CALL _crear_tmp_presencia();
    INSERT INTO tmp_presencia (asesor_id, estado_anterior, motivo_anterior, estado_nuevo, motivo_nuevo, actor)
        SELECT a.id, a.presencia, a.motivo_pausa, 'desconectado', NULL, 'system'
          FROM asesores_conexion v JOIN asesores a ON a.id = v.asesor_id
         WHERE v.visto_at < v_ahora - INTERVAL v_segundos SECOND AND a.presencia <> 'desconectado'
           FOR UPDATE SKIP LOCKED;
    SET o_desconectados = ROW_COUNT();
    UPDATE asesores a JOIN tmp_presencia t ON t.asesor_id = a.id
       SET a.presencia = 'desconectado', a.motivo_pausa = NULL, a.presencia_desde = v_ahora;
    CALL _registrar_presencias(v_ahora);
    CALL _cerrar_transaccion(TRUE);
    DROP TEMPORARY TABLE IF EXISTS tmp_presencia;
END//
DELIMITER ;
