-- sp_desactivar_asesor(asesor_id, actor): GTR (actor 'gtr') or a DBA (actor 'dba') makes an
-- asesor inactive, in one transaction:
-- * it can no longer be assigned customers, nor be given a token;
-- * its live tokens (not revoked, not expired) are revoked (a later sp_activar_asesor does not revive them: it needs
--   new ones), so its REST calls answer 401 and every gateway closes its sockets;
-- * every customer it holds (derivado or en_gestion) goes back to GTR as no_gestionado,
--   assignment and lock cleared, with history reason asesor_desactivado and one event
--   CLIENT_RETURNED_TO_GTR {reason: "asesor_desactivado", previousAsesor,
--   seguimiento_status: "no_gestionado"} each, exactly as the sweep returns idle ones, so
--   GTR sees them at once and can assign them again; they go back into their campaign's
--   queue at once (not counted as returns: the asesor left, the customer did nothing);
-- * last, the event ASESOR_DEACTIVATED {asesorId, actor, clientesDevueltos,
--   tokensRevocados, timestamp}, which GTR boards receive (no secret in it).
-- An asesor already inactive is refused (45009); an unknown one too (45002).
-- Result set: clientes_devueltos, tokens_revocados.
-- Also writes its auditoria_admin row (no emisor token: a DBA's or a caller's actor only).
DROP PROCEDURE IF EXISTS sp_desactivar_asesor;
DELIMITER //
CREATE PROCEDURE sp_desactivar_asesor(
    IN p_asesor_id BIGINT,
    IN p_actor LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    CALL _desactivar_asesor(p_asesor_id, p_actor, NULL);
END//
DELIMITER ;
