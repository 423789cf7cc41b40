-- sp_estado_servidor(): what /health reports about the database: whether the event scheduler
-- runs, whether the sweep event is enabled, the newest outbox id, and the oldest customer
-- that should already have been swept (seconds past its deadline; NULL when none); last, the
-- distribution event's status (distribuir_estado, ENABLED when ev_distribuir runs here: a
-- trailing column, added with issue 13's gateway so a gateway can run sp_distribuir itself
-- when the primary's event does not).
DROP PROCEDURE IF EXISTS sp_estado_servidor;
DELIMITER //
CREATE PROCEDURE sp_estado_servidor()
BEGIN
    SELECT @@GLOBAL.event_scheduler AS event_scheduler,
           (SELECT STATUS FROM information_schema.EVENTS
             WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_barrido_seguimiento') AS barrido_estado,
           (SELECT ultimo_id FROM outbox_secuencia WHERE id = 1) AS ultimo_outbox_id,
           -- vence_en is each active customer's deadline (its campaign's timeout or the global one).
           (SELECT TIMESTAMPDIFF(SECOND, MIN(vence_en), UTC_TIMESTAMP(6))
              FROM clientes
             WHERE vence_en < UTC_TIMESTAMP(6)) AS barrido_atraso_segundos,
           (SELECT STATUS FROM information_schema.EVENTS
             WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'ev_distribuir') AS distribuir_estado;
END//
DELIMITER ;
