-- sp_gtr_activar_asesor(emisor_token_id, asesor_id): sp_activar_asesor(asesor_id, 'gtr') done
-- from the desk by the GTR token emisor_token_id (a live GTR token, else 45015), which its
-- auditoria_admin row records. Same transaction, event and refusals.
DROP PROCEDURE IF EXISTS sp_gtr_activar_asesor;
DELIMITER //
CREATE PROCEDURE sp_gtr_activar_asesor(IN p_emisor_token_id BIGINT, IN p_asesor_id BIGINT)
BEGIN
    IF p_emisor_token_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'emisor_token_id is required';
    END IF;
    CALL _activar_asesor(p_asesor_id, 'gtr', p_emisor_token_id);
END//
DELIMITER ;
