-- _activar_asesor(asesor_id, actor, emisor_token_id): internal. The body of
-- sp_activar_asesor (see there) and of sp_gtr_activar_asesor: with emisor_token_id it first
-- checks that it is a live GTR token (_emisor_gtr, 45015). Both write the change's
-- auditoria_admin row (emisor_token_id NULL for a DBA's call) with ASESOR_ACTIVATED.
DROP PROCEDURE IF EXISTS _activar_asesor;
DELIMITER //
CREATE PROCEDURE _activar_asesor(
    IN p_asesor_id BIGINT,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_emisor_token_id BIGINT)
BEGIN
    DECLARE v_activo TINYINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesor_id is required';
    END IF;
    IF p_actor IS NULL OR CAST(LOWER(p_actor) AS BINARY) NOT IN ('gtr', 'dba') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'actor must be gtr or dba';
    END IF;

    CALL _abrir_transaccion();
    IF p_emisor_token_id IS NOT NULL THEN
        CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    END IF;
    SELECT activo INTO v_activo FROM asesores WHERE id = p_asesor_id FOR UPDATE;
    IF v_activo IS NULL THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_activo = 1 THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' is already active');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45009, MESSAGE_TEXT = v_msg;
    END IF;
    UPDATE asesores SET activo = 1 WHERE id = p_asesor_id;
    CALL _registrar_admin('ASESOR_ACTIVATED', p_asesor_id, NULL, p_emisor_token_id, LOWER(p_actor),
                          JSON_OBJECT('asesorId', CAST(p_asesor_id AS SIGNED), 'actor', LOWER(p_actor)),
                          v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
