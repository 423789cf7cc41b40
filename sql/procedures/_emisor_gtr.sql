-- _emisor_gtr(emisor_token_id, ahora): internal. Inside the caller's transaction, refuses
-- unless emisor_token_id is a live GTR token (45007 when missing; 45015 when it is unknown,
-- revoked, expired or an asesor's). Administration from the desk names the GTR token that
-- does it; the gateway passes the caller's token id, and the audit records it.
-- Shared lock: a revocation running now either waits for this change (which then happened
-- while the token was live) or has committed first (and this refuses).
DROP PROCEDURE IF EXISTS _emisor_gtr;
DELIMITER //
CREATE PROCEDURE _emisor_gtr(IN p_emisor_token_id BIGINT, IN p_ahora DATETIME(6))
BEGIN
    DECLARE v_rol VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;
    DECLARE v_revocado DATETIME(6) DEFAULT NULL;
    DECLARE v_expira DATETIME(6) DEFAULT NULL;

    IF p_emisor_token_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'emisor_token_id is required';
    END IF;
    SELECT rol, revoked_at, expires_at INTO v_rol, v_revocado, v_expira
      FROM api_tokens WHERE id = p_emisor_token_id LOCK IN SHARE MODE;
    IF v_rol IS NULL OR v_rol <> 'gtr' OR v_revocado IS NOT NULL OR v_expira <= p_ahora THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45015,
            MESSAGE_TEXT = 'only a live GTR token may administer asesores, their access and the settings';
    END IF;
END//
DELIMITER ;
