-- sp_configurar(clave, valor): changes one setting of seguimiento_config, checked:
-- timeout_segundos 1-86400, outbox_retencion_horas 1-87600, barrido_lote 1-100000,
-- barrido_lotes_max 1-1000, transaccion_interrumpida_segundos 1-300,
-- token_asesor_vigencia_segundos 1-315360000, pausa_timeouts_consecutivos 0-1000 (0: never),
-- presencia_socket_segundos 5-86400, nivel_servicio_segundos 1-86400, distribucion_lote
-- 1-10000. Unknown keys and values out of range are refused (45007).
-- A new timeout_segundos applies at once to every customer being worked in a campaign
-- without a timeout of its own (_aplicar_configuracion recomputes their stored deadlines in
-- the same transaction), as it always did.
-- Result set: clave, valor_anterior, valor.
-- clave is LONGTEXT so an oversized key is refused as 45007, not failed as 1406.
-- The ranges are _validar_configuracion's, shared with sp_gtr_configurar (the desk's, audited).
DROP PROCEDURE IF EXISTS sp_configurar;
DELIMITER //
CREATE PROCEDURE sp_configurar(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor BIGINT)
BEGIN
    DECLARE v_anterior BIGINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    SELECT valor INTO v_anterior FROM seguimiento_config WHERE clave = p_clave;
    IF v_anterior IS NULL THEN
        SET v_msg = CONCAT('unknown setting ', COALESCE(LEFT(p_clave, 64), 'NULL'));
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _validar_configuracion(p_clave, p_valor);
    CALL _abrir_transaccion();
    CALL _aplicar_configuracion(p_clave, p_valor);
    CALL _cerrar_transaccion(TRUE);
    SELECT p_clave AS clave, v_anterior AS valor_anterior, p_valor AS valor;
END//
DELIMITER ;
