-- sp_reportar_conectados(asesores_json): a gateway reports the asesores that have a live
-- dashboard socket on it, as a JSON array of asesor ids (at most 10,000; unknown ids are
-- ignored: an asesor may have been removed meanwhile). Records "seen now" for each
-- (asesores_conexion.visto_at). No history, no event: nothing a dashboard shows changes.
--
-- Contract for gateways: every gateway calls it every presencia_socket_segundos / 3 seconds
-- or more often (an empty array is fine), with the asesores that have at least one open
-- asesor dashboard socket on that gateway. An asesor that no gateway reports for
-- presencia_socket_segundos is set desconectado by sp_distribuir (ev_distribuir, every 5 s),
-- actor system, with history and ASESOR_STATUS_CHANGED. Nothing depends on a gateway
-- saying goodbye, so a crashed gateway's asesores go desconectado on time, and one that is
-- still connected to another gateway stays as it is. Reporting does not change presence:
-- an asesor chooses disponible itself (sp_cambiar_presencia).
-- Result set: vistos (asesores recorded). Refuses anything but a JSON array of integers (45007).
DROP PROCEDURE IF EXISTS sp_reportar_conectados;
DELIMITER //
CREATE PROCEDURE sp_reportar_conectados(IN p_asesores LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_n BIGINT DEFAULT 0;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    IF p_asesores IS NULL OR NOT JSON_VALID(p_asesores) OR JSON_TYPE(p_asesores) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesores_json must be a JSON array of asesor ids';
    END IF;
    IF JSON_LENGTH(p_asesores) > 10000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'at most 10000 asesores per report';
    END IF;
    SELECT COUNT(*) INTO v_n
      FROM JSON_TABLE(p_asesores, '$[*]' COLUMNS (
               v VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) AS j
     WHERE j.v IS NULL OR NOT j.v REGEXP '^[0-9]{1,18}$';
    IF v_n > 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'asesores_json must hold asesor ids (integers) only';
    END IF;

    CALL _abrir_transaccion();
    -- In asesor_id order, so two gateways reporting the same asesores take the row locks in
    -- the same order and never deadlock.
    INSERT INTO asesores_conexion (asesor_id, visto_at)
        SELECT DISTINCT a.id, v_ahora
          FROM JSON_TABLE(p_asesores, '$[*]' COLUMNS (id BIGINT PATH '$')) AS j
          JOIN asesores a ON a.id = j.id
         ORDER BY a.id
        ON DUPLICATE KEY UPDATE visto_at = v_ahora;
    SELECT COUNT(DISTINCT a.id) INTO v_n
      FROM JSON_TABLE(p_asesores, '$[*]' COLUMNS (id BIGINT PATH '$')) AS j
      JOIN asesores a ON a.id = j.id;
    CALL _cerrar_transaccion(TRUE);
    SELECT CAST(v_n AS SIGNED) AS vistos;
END//
DELIMITER ;
