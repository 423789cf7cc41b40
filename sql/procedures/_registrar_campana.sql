-- _registrar_campana(campana_id, actor, ahora): internal. Writes the outbox event
-- CAMPAIGN_CHANGED {campanaId, nombre, timeoutSegundos, prioridad, modo, reciclajeSegundos,
-- maxDevoluciones, pausaTrasTimeouts, activa, timestamp} with the campaign as it now is, for
-- GTR boards. Reserves the outbox id: callers run it as the LAST step before COMMIT.
DROP PROCEDURE IF EXISTS _registrar_campana;
DELIMITER //
CREATE PROCEDURE _registrar_campana(IN p_campana_id BIGINT, IN p_ahora DATETIME(6))
BEGIN
    DECLARE v_payload LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    SELECT JSON_OBJECT('campanaId', id, 'nombre', nombre, 'timeoutSegundos', timeout_segundos,
                       'prioridad', prioridad, 'modo', modo, 'reciclajeSegundos', reciclaje_segundos,
                       'maxDevoluciones', max_devoluciones, 'pausaTrasTimeouts', pausa_tras_timeouts,
                       'activa', activa = 1)
      INTO v_payload FROM campanas WHERE id = p_campana_id;
    CALL _registrar_evento('CAMPAIGN_CHANGED', NULL, v_payload, p_ahora);
END//
DELIMITER ;
