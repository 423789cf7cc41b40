-- sp_activar_asesor(asesor_id, actor): GTR (actor 'gtr') or a DBA (actor 'dba') makes an
-- inactive asesor active again: it can be assigned customers and given tokens again. Its
-- old tokens stay revoked (see sp_desactivar_asesor) and the customers it held stay with
-- GTR. Event ASESOR_ACTIVATED {asesorId, actor, timestamp}, which GTR boards receive.
-- An asesor already active is refused (45009); an unknown one too (45002).
-- Also writes its auditoria_admin row (no emisor token: a DBA's or a caller's actor only).
DROP PROCEDURE IF EXISTS sp_activar_asesor;
DELIMITER //
CREATE PROCEDURE sp_activar_asesor(
    IN p_asesor_id BIGINT,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    CALL _activar_asesor(p_asesor_id, p_actor, NULL);
END//
DELIMITER ;
