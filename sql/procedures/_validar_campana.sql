-- _validar_campana(campana_id, prioridad, OUT campana, OUT prioridad): internal. The campaign
-- and priority a customer is loaded with: NULL campana_id is the default campaign (1,
-- 'general'), NULL prioridad is 0. Refuses an unknown campaign (45010) and a priority outside
-- -1000..1000 (45007). Reads only: callers run it before their transaction.
DROP PROCEDURE IF EXISTS _validar_campana;
DELIMITER //
CREATE PROCEDURE _validar_campana(
    IN  p_campana_id BIGINT,
    IN  p_prioridad  BIGINT,
    OUT o_campana_id BIGINT,
    OUT o_prioridad  INT)
BEGIN
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    SET o_campana_id = NULL;
    SELECT id INTO o_campana_id FROM campanas WHERE id = COALESCE(p_campana_id, 1);
    IF o_campana_id IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    IF p_prioridad < -1000 OR p_prioridad > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'prioridad must be between -1000 and 1000';
    END IF;
    SET o_prioridad = COALESCE(p_prioridad, 0);
END//
DELIMITER ;
