-- sp_auditoria_admin(asesor_id, limite): the newest administrative changes, newest first:
-- of one asesor, or all (asesor_id NULL). limite 1 to 1000 (NULL: 100; else 45007).
-- Result set: auditoria_id, event_type, asesor_id, token_id, emisor_token_id,
-- emisor_descripcion (the GTR token's descripcion: who it was given to), actor, detalle
-- (JSON), outbox_id, created_at.
DROP PROCEDURE IF EXISTS sp_auditoria_admin;
DELIMITER //
CREATE PROCEDURE sp_auditoria_admin(IN p_asesor_id BIGINT, IN p_limite BIGINT)
BEGIN
    DECLARE v_limite BIGINT DEFAULT COALESCE(p_limite, 100);

    IF v_limite < 1 OR v_limite > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'limite must be 1 to 1000';
    END IF;
    SELECT au.id AS auditoria_id, au.event_type, au.asesor_id, au.token_id, au.emisor_token_id,
           t.descripcion AS emisor_descripcion, au.actor, au.detalle, au.outbox_id, au.created_at
      FROM auditoria_admin au
      LEFT JOIN api_tokens t ON t.id = au.emisor_token_id
     WHERE p_asesor_id IS NULL OR au.asesor_id = p_asesor_id
     ORDER BY au.id DESC
     LIMIT v_limite;
END//
DELIMITER ;
