-- sp_devolver_cliente(cliente_id, asesor_id, motivo): the assigned asesor hands a customer
-- back (derivado or en_gestion -> no_gestionado), saying why (motivo: 1-200 characters,
-- required). Assignment and lock are cleared; the customer counts one return and goes back
-- into its campaign's queue as a timeout return does: offered again reciclaje_segundos
-- later, unless it has now been returned max_devoluciones times (then it stays with GTR).
-- History motivo devuelto_por_asesor (actor asesor); event CLIENT_RETURNED_TO_GTR {reason:
-- "devuelto_por_asesor", previousAsesor, seguimiento_status: "no_gestionado", motivo}.
-- Same checks as the other asesor actions (45001, 45003, 45004, 45008); no lock token needed.
DROP PROCEDURE IF EXISTS sp_devolver_cliente;
DELIMITER //
CREATE PROCEDURE sp_devolver_cliente(
    IN p_cliente_id BIGINT,
    IN p_asesor_id BIGINT,
    IN p_motivo LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_estado VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_motivo VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE v_devoluciones INT;
    DECLARE v_max INT;
    DECLARE v_reciclaje INT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_motivo IS NULL OR TRIM(p_motivo) = '' OR CHAR_LENGTH(TRIM(p_motivo)) > 200 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'motivo is required (at most 200 characters)';
    END IF;
    SET v_motivo = TRIM(p_motivo);

    CALL _abrir_transaccion();
    CALL _cliente_para_asesor(p_cliente_id, p_asesor_id, NULL, 0, v_ahora, v_estado);
    SELECT c.devoluciones + 1, k.max_devoluciones, k.reciclaje_segundos
      INTO v_devoluciones, v_max, v_reciclaje
      FROM clientes c JOIN campanas k ON k.id = c.campana_id WHERE c.id = p_cliente_id;
    UPDATE clientes
       SET seguimiento_status = 'no_gestionado', asesor_asignado = NULL,
           last_activity = NULL, lock_token = NULL, lock_asesor_id = NULL,
           devoluciones = v_devoluciones, en_cola = (v_devoluciones < v_max),
           cola_desde = IF(v_devoluciones < v_max, v_ahora + INTERVAL v_reciclaje SECOND, NULL),
           updated_at = v_ahora
     WHERE id = p_cliente_id;
    CALL _registrar_cambio(p_cliente_id, v_estado, 'no_gestionado', NULL, p_asesor_id, 'asesor',
                           'devuelto_por_asesor', 'CLIENT_RETURNED_TO_GTR',
                           JSON_OBJECT('reason', 'devuelto_por_asesor',
                                       'previousAsesor', CAST(p_asesor_id AS SIGNED),
                                       'seguimiento_status', 'no_gestionado',
                                       'motivo', v_motivo),
                           v_ahora);
    CALL _cerrar_transaccion(TRUE);
END//
DELIMITER ;
