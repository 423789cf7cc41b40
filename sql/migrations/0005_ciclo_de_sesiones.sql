-- Sessions that end: tokens get an optional expiry, and the expiry is recorded once (with
-- its outbox event) by sp_caducar_tokens, so every gateway learns of it from the outbox.
--   expires_at   NULL: the token never expires. sp_validar_token refuses it from this time.
--   caducado_at  when sp_caducar_tokens recorded the expiry (and wrote TOKEN_EXPIRED);
--                NULL while it has not looked. Keeps the expiry writer from writing twice.
ALTER TABLE api_tokens
    ADD COLUMN expires_at DATETIME(6) NULL,
    ADD COLUMN caducado_at DATETIME(6) NULL,
    -- sp_caducar_tokens reads (caducado_at IS NULL, expires_at <= now): a range on this
    -- index, so tokens whose expiry is already recorded cost nothing.
    ADD KEY idx_tokens_caducidad (caducado_at, expires_at),
    -- Deactivating an asesor revokes its live tokens.
    ADD KEY idx_tokens_asesor (asesor_id, revoked_at);

-- The default lifetime of an asesor token (12 h): one is handed out per shift, a shift with
-- its overtime fits, and a token left in a shared browser or copied elsewhere dies before
-- the next day's shift. GTR tokens are desk and integration credentials: no default expiry.
INSERT INTO seguimiento_config (clave, valor, descripcion) VALUES
    ('token_asesor_vigencia_segundos', 43200,
     'Seconds an asesor token lives when created without an explicit lifetime');
