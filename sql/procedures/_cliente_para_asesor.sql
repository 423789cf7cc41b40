-- _cliente_para_asesor: internal. The checks every asesor action on a customer shares.
-- Inside the caller's transaction it locks the customer's row and refuses (SIGNAL) unless
-- the customer exists, is assigned to p_asesor_id, is derivado or en_gestion, has not been
-- idle past its timeout (its deadline vence_en: last_activity + its campaign's
-- timeout, or timeout_segundos), and (when p_lock_token is not NULL) the token is the live
-- lock. Returns the current status and the deadline the activity would have extended.
--
-- "Idle past the timeout" is refused even before the sweep has run: a customer is returned
-- exactly when it went idle that long, whenever the sweep happens to look.
DROP PROCEDURE IF EXISTS _cliente_para_asesor;
DELIMITER //
CREATE PROCEDURE _cliente_para_asesor(
    IN  p_cliente_id  BIGINT,
    IN  p_asesor_id   BIGINT,
    IN  p_lock_token  LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_exige_token TINYINT,
    IN  p_ahora       DATETIME(6),
    OUT o_estado      VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE v_asesor BIGINT DEFAULT NULL;
    DECLARE v_vence DATETIME(6) DEFAULT NULL;
    DECLARE v_plazo BIGINT DEFAULT NULL;
    DECLARE v_token CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    SET o_estado = NULL;
    IF p_cliente_id IS NULL OR p_asesor_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'cliente_id and asesor_id are required';
    END IF;

    SELECT seguimiento_status, asesor_asignado, vence_en, plazo_segundos, lock_token
      INTO o_estado, v_asesor, v_vence, v_plazo, v_token
      FROM clientes WHERE id = p_cliente_id FOR UPDATE;
    IF o_estado IS NULL THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45001, MESSAGE_TEXT = v_msg;
    END IF;
    IF o_estado NOT IN ('derivado', 'en_gestion') THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' is ', o_estado, ': no asesor works it now');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45003, MESSAGE_TEXT = v_msg;
    END IF;
    IF NOT (v_asesor <=> p_asesor_id) THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' is not assigned to asesor ', p_asesor_id);
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45004, MESSAGE_TEXT = v_msg;
    END IF;

    IF v_vence < p_ahora THEN
        SET v_msg = CONCAT('cliente ', p_cliente_id, ' was idle over ', v_plazo,
                           ' s and is being returned to GTR');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45008, MESSAGE_TEXT = v_msg;
    END IF;

    IF p_exige_token = 1 AND (p_lock_token IS NULL OR CHAR_LENGTH(p_lock_token) <> 36
                              OR v_token IS NULL
                              OR CAST(v_token AS BINARY) <> CAST(p_lock_token AS BINARY)) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45006,
            MESSAGE_TEXT = 'lock_token is not the live lock of this customer: take it again with sp_tomar_cliente';
    END IF;
END//
DELIMITER ;
