-- sp_revocar_token(token_id): the token stops working at once: sp_validar_token refuses it,
-- and event TOKEN_REVOKED {tokenId, asesorId, timestamp} tells every gateway to close its
-- sockets and forget it. Token events are for gateways only: no dashboard is sent one.
-- Result set: revocados (0 or 1; 0 for an unknown or already revoked token, no event).
DROP PROCEDURE IF EXISTS sp_revocar_token;
DELIMITER //
CREATE PROCEDURE sp_revocar_token(IN p_token_id BIGINT)
BEGIN
    DECLARE v_asesor BIGINT DEFAULT NULL;
    DECLARE v_revocado DATETIME(6) DEFAULT NULL;
    DECLARE v_existe TINYINT DEFAULT 0;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN CALL _cerrar_transaccion(FALSE); RESIGNAL; END;

    CALL _abrir_transaccion();
    SELECT 1, asesor_id, revoked_at INTO v_existe, v_asesor, v_revocado
      FROM api_tokens WHERE id = p_token_id FOR UPDATE;
    IF v_existe = 1 AND v_revocado IS NULL THEN
        UPDATE api_tokens SET revoked_at = v_ahora WHERE id = p_token_id;
        CALL _registrar_evento('TOKEN_REVOKED', v_asesor,
                               JSON_OBJECT('tokenId', CAST(p_token_id AS SIGNED),
                                           'asesorId', CAST(v_asesor AS SIGNED)),
                               v_ahora);
        CALL _cerrar_transaccion(TRUE);
        SELECT CAST(1 AS SIGNED) AS revocados;
    ELSE
        CALL _cerrar_transaccion(TRUE);
        SELECT CAST(0 AS SIGNED) AS revocados;
    END IF;
END//
DELIMITER ;
