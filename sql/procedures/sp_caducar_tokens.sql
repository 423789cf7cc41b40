-- sp_caducar_tokens(): records the expiry of tokens whose expires_at has passed, run every
-- second by ev_caducar_tokens (and callable by hand). sp_validar_token already refuses an
-- expired token on its own; this writes the event TOKEN_EXPIRED {tokenId, asesorId,
-- expiresAt, timestamp} per token (none for one revoked earlier) so that every gateway closes
-- its sockets and forgets it, and sets caducado_at so no expiry is recorded twice.
-- Result set: caducados (events written), omitido (1 when another run was going).
--
-- At most 1000 tokens per run (the next run takes the rest); a run with nothing to do
-- takes no lock and writes nothing, so running it every second costs one index probe.
DROP PROCEDURE IF EXISTS sp_caducar_tokens;
DELIMITER //
CREATE PROCEDURE sp_caducar_tokens()
BEGIN
    DECLARE v_lock_name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT CONCAT(DATABASE(), '.caducar_tokens');
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE v_n BIGINT DEFAULT 0;
    DECLARE v_primero BIGINT;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        DROP TEMPORARY TABLE IF EXISTS tmp_caducados;
        DO RELEASE_LOCK(v_lock_name);
        RESIGNAL;
    END;

    IF NOT EXISTS (SELECT 1 FROM api_tokens WHERE caducado_at IS NULL AND expires_at <= v_ahora) THEN
        SELECT CAST(0 AS SIGNED) AS caducados, CAST(0 AS SIGNED) AS omitido;
    ELSEIF COALESCE(GET_LOCK(v_lock_name, 0), 0) = 0 THEN
        SELECT CAST(0 AS SIGNED) AS caducados, CAST(1 AS SIGNED) AS omitido;
    ELSE
        DROP TEMPORARY TABLE IF EXISTS tmp_caducados;
        CREATE TEMPORARY TABLE tmp_caducados (
            token_id    BIGINT      NOT NULL PRIMARY KEY,
            asesor_id   BIGINT      NULL,
            expires_at  DATETIME(6) NOT NULL,
            vivo        TINYINT     NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

        CALL _abrir_transaccion();
        INSERT INTO tmp_caducados (token_id, asesor_id, expires_at, vivo)
            SELECT id, asesor_id, expires_at, revoked_at IS NULL
              FROM api_tokens
             WHERE caducado_at IS NULL AND expires_at <= v_ahora
             ORDER BY expires_at
             LIMIT 1000
               FOR UPDATE SKIP LOCKED;
        UPDATE api_tokens t JOIN tmp_caducados c ON c.token_id = t.id SET t.caducado_at = v_ahora;
        SELECT COUNT(*) INTO v_n FROM tmp_caducados WHERE vivo = 1;
        IF v_n > 0 THEN
            CALL _reservar_outbox_ids(v_n, v_primero);
            INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
                SELECT v_primero - 1 + ROW_NUMBER() OVER (ORDER BY c.token_id), 'TOKEN_EXPIRED',
                       NULL, c.asesor_id, NULL,
                       JSON_OBJECT('tokenId', c.token_id,
                                   'asesorId', c.asesor_id,
                                   'expiresAt', DATE_FORMAT(c.expires_at, '%Y-%m-%dT%H:%i:%s.%fZ'),
                                   'timestamp', DATE_FORMAT(v_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
                       v_ahora
                  FROM tmp_caducados c WHERE c.vivo = 1;
        END IF;
        CALL _cerrar_transaccion(TRUE);
        DROP TEMPORARY TABLE IF EXISTS tmp_caducados;
        DO RELEASE_LOCK(v_lock_name);
        SELECT CAST(v_n AS SIGNED) AS caducados, CAST(0 AS SIGNED) AS omitido;
    END IF;
END//
DELIMITER ;
