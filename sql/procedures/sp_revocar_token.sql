-- sp_revocar_token(token_id): the token stops working at once. Result set: revocados (0 or 1).
DROP PROCEDURE IF EXISTS sp_revocar_token;
DELIMITER //
CREATE PROCEDURE sp_revocar_token(IN p_token_id BIGINT)
BEGIN
    -- Leave any transaction an interrupted call left open (see sp_derivar_cliente), so this
    -- write commits on its own rather than with that half-done work.
    ROLLBACK;
    UPDATE api_tokens SET revoked_at = UTC_TIMESTAMP(6) WHERE id = p_token_id AND revoked_at IS NULL;
    SELECT CAST(ROW_COUNT() AS SIGNED) AS revocados;
END//
DELIMITER ;
