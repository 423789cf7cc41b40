-- sp_gtr_crear_asesor(emisor_token_id, nombre): GTR adds an asesor from the desk. In one
-- transaction: the emisor is checked (a live GTR token, else 45015), the name as
-- sp_crear_asesor takes it (45007), the asesor added, then event ASESOR_CREATED {asesorId,
-- nombre, actor: "gtr", timestamp} and its auditoria_admin row naming the emisor.
-- Result set: asesor_id.
DROP PROCEDURE IF EXISTS sp_gtr_crear_asesor;
DELIMITER //
CREATE PROCEDURE sp_gtr_crear_asesor(
    IN p_emisor_token_id BIGINT,
    IN p_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_nombre LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_asesor_id BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _nombre_asesor(p_nombre, v_nombre);
    CALL _abrir_transaccion();
    CALL _emisor_gtr(p_emisor_token_id, v_ahora);
    INSERT INTO asesores (nombre, activo, created_at) VALUES (v_nombre, 1, v_ahora);
    SET v_asesor_id = LAST_INSERT_ID();
    CALL _registrar_admin('ASESOR_CREATED', v_asesor_id, NULL, p_emisor_token_id, 'gtr',
                          JSON_OBJECT('asesorId', CAST(v_asesor_id AS SIGNED), 'nombre', v_nombre, 'actor', 'gtr'),
                          v_ahora);
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_asesor_id AS SIGNED) AS asesor_id;
END//
DELIMITER ;
