-- _distribuir(campana_id, asesor_id, OUT asignados): internal. One distribution transaction
-- of at most distribucion_lote assignments (see _repartir; NULL campana_id / asesor_id: all).
-- sp_distribuir runs it for everything; a load into an auto campaign runs it for that
-- campaign, and an asesor becoming available (or given more capacity) for that asesor, each
-- right after its own change committed, so work flows at once, not at the next
-- ev_distribuir. Actor system.
DROP PROCEDURE IF EXISTS _distribuir;
DELIMITER //
CREATE PROCEDURE _distribuir(IN p_campana_id BIGINT, IN p_asesor_id BIGINT, OUT o_asignados BIGINT)
BEGIN
    DECLARE v_lote BIGINT;
    DECLARE v_ahora DATETIME(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        CALL _soltar_tmp_reparto();
        RESIGNAL;
    END;

    SELECT valor INTO v_lote FROM seguimiento_config WHERE clave = 'distribucion_lote';
    CALL _abrir_transaccion();
    -- The clock is read once the transaction is open: cola_desde is compared with it.
    SET v_ahora = UTC_TIMESTAMP(6);
    CALL _crear_tmp_reparto();
    CALL _repartir(p_campana_id, p_asesor_id, 'system', v_lote, v_ahora, o_asignados);
    CALL _cerrar_transaccion(TRUE);
    CALL _soltar_tmp_reparto();
END//
DELIMITER ;
