-- ev_caducar_tokens: records token expiries (event TOKEN_EXPIRED) every second, so open
-- sockets of an expired token close within about a second plus the gateways' poll interval.
-- A second is the scheduler's finest step; a run with nothing to do is one index probe.
-- Runs only where the event scheduler is ON; the body is one CALL so the logic stays testable.
DROP EVENT IF EXISTS ev_caducar_tokens;
DELIMITER //
CREATE EVENT ev_caducar_tokens
    ON SCHEDULE EVERY 1 SECOND
    ON COMPLETION PRESERVE
    ENABLE
    COMMENT 'Records the expiry of tokens past expires_at (TOKEN_EXPIRED)'
    DO CALL sp_caducar_tokens()//
DELIMITER ;
