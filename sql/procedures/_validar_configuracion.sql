-- _validar_configuracion(clave, valor): internal. Refuses (45007) a value out of its
-- setting's range; each setting's range is declared here once, for sp_configurar and
-- sp_gtr_configurar. Callers check first that the key exists (unknown keys: 45007 too).
DROP PROCEDURE IF EXISTS _validar_configuracion;
DELIMITER //
CREATE PROCEDURE _validar_configuracion(
    IN p_clave LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_valor BIGINT)
BEGIN
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    IF p_valor IS NULL
       OR p_valor < CASE p_clave
                        WHEN 'pausa_timeouts_consecutivos' THEN 0  -- 0: never pause
                        WHEN 'presencia_socket_segundos' THEN 5
                        ELSE 1
                    END
       OR p_valor > CASE p_clave
                        WHEN 'timeout_segundos' THEN 86400
                        WHEN 'outbox_retencion_horas' THEN 87600
                        WHEN 'barrido_lote' THEN 100000
                        WHEN 'barrido_lotes_max' THEN 1000
                        WHEN 'transaccion_interrumpida_segundos' THEN 300
                        WHEN 'token_asesor_vigencia_segundos' THEN 315360000
                        WHEN 'pausa_timeouts_consecutivos' THEN 1000
                        WHEN 'presencia_socket_segundos' THEN 86400
                        WHEN 'nivel_servicio_segundos' THEN 86400
                        WHEN 'distribucion_lote' THEN 10000
                    END THEN
        SET v_msg = CONCAT('value out of range for ', p_clave);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = v_msg;
    END IF;
END//
DELIMITER ;
