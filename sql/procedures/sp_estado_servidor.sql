-- sp_estado_servidor(): what /health reports about the database: whether the event scheduler
-- runs, whether the sweep event is enabled, the newest outbox id, and the oldest customer
-- that should already have been swept (seconds past its deadline; NULL when none).
DROP PROCEDURE IF EXISTS sp_estado_servidor;
DELIMITER //
CREATE PROCEDURE sp_estado_servidor()
BEGIN
    DECLARE v_timeout BIGINT;

    SELECT valor INTO v_timeout FROM seguimiento_config WHERE clave = 'timeout_segundos';
    SELECT @@GLOBAL.event_scheduler AS event_scheduler,
           (SELECT STATUS FROM information_schema.EVENTS
             WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_barrido_seguimiento') AS barrido_estado,
           (SELECT ultimo_id FROM outbox_secuencia WHERE id = 1) AS ultimo_outbox_id,
           (SELECT TIMESTAMPDIFF(SECOND, MIN(last_activity) + INTERVAL v_timeout SECOND, UTC_TIMESTAMP(6))
              FROM clientes
             WHERE seguimiento_status IN ('derivado', 'en_gestion')
               AND last_activity < UTC_TIMESTAMP(6) - INTERVAL v_timeout SECOND) AS barrido_atraso_segundos;
END//
DELIMITER ;
