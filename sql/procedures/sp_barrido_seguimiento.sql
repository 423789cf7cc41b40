-- sp_barrido_seguimiento(): the timeout sweep, run every 30 s by ev_barrido_seguimiento (and
-- callable by hand). Returns to GTR, as no_gestionado, every derivado/en_gestion customer
-- idle past its timeout (its campaign's timeout_segundos, or the global one): the stored
-- deadline vence_en is in the past. Clears the assignment, last_activity and lock, and
-- writes history (reason timeout_no_gestionado) and a CLIENT_RETURNED_TO_GTR event for each.
-- Result set: devueltos (customers returned), omitido (1 when another sweep was running).
--
-- Routing: each returned customer counts one return (devoluciones); while it has been
-- returned fewer than its campaign's max_devoluciones times it goes back into the campaign's
-- queue, offered again reciclaje_segundos later; after that it stays with GTR. Each asesor
-- who lost customers adds them to timeouts_consecutivos, and one who reaches the threshold
-- (its campaigns' pausa_tras_timeouts, or pausa_timeouts_consecutivos; 0 never) while
-- disponible is paused with reason timeouts: presence history and ASESOR_STATUS_CHANGED.
-- That asesor step is a second short transaction after each batch's commit, so the sweep
-- never holds a customer row while it waits for an asesor row (a deactivation locks the
-- asesor first, then its customers).
--
-- Set-based and bounded: each batch is one transaction of at most barrido_lote customers,
-- and a run stops after barrido_lotes_max batches. A customer is chosen with a locking read,
-- which sees the latest committed last_activity: a heartbeat that committed first keeps it
-- out, and one still in flight holds the row, which SKIP LOCKED leaves for the next run.
-- A named lock keeps two runs (the scheduler can start one while the last still goes) apart.
DROP PROCEDURE IF EXISTS sp_barrido_seguimiento;
DELIMITER //
CREATE PROCEDURE sp_barrido_seguimiento()
BEGIN
    DECLARE v_lock_name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT CONCAT(DATABASE(), '.barrido_seguimiento');
    DECLARE v_umbral_global BIGINT;
    DECLARE v_lote BIGINT;
    DECLARE v_lotes_max BIGINT;
    DECLARE v_lotes BIGINT DEFAULT 0;
    DECLARE v_n BIGINT DEFAULT 0;
    DECLARE v_total BIGINT DEFAULT 0;
    DECLARE v_primero BIGINT;
    DECLARE v_ahora DATETIME(6);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        DO RELEASE_LOCK(v_lock_name);
        RESIGNAL;
    END;

    IF COALESCE(GET_LOCK(v_lock_name, 0), 0) = 0 THEN
        SELECT CAST(0 AS SIGNED) AS devueltos, CAST(1 AS SIGNED) AS omitido;
    ELSE
        -- A call interrupted by KILL QUERY between statements leaves its transaction open (exit
        -- handlers do not run for a kill): roll that back rather than commit it with ours.
        ROLLBACK;
        SELECT valor INTO v_umbral_global FROM seguimiento_config WHERE clave = 'pausa_timeouts_consecutivos';
        SELECT valor INTO v_lote FROM seguimiento_config WHERE clave = 'barrido_lote';
        SELECT valor INTO v_lotes_max FROM seguimiento_config WHERE clave = 'barrido_lotes_max';

        DROP TEMPORARY TABLE IF EXISTS tmp_barrido;
        CREATE TEMPORARY TABLE tmp_barrido (
            cliente_id       BIGINT      NOT NULL PRIMARY KEY,
            estado_anterior  VARCHAR(20) NOT NULL,
            asesor_anterior  BIGINT      NULL,
            campana_id       BIGINT      NOT NULL,
            devoluciones     INT         NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
        -- Per asesor of a batch: customers lost and the lowest pause threshold among them.
        DROP TEMPORARY TABLE IF EXISTS tmp_barrido_asesores;
        CREATE TEMPORARY TABLE tmp_barrido_asesores (
            asesor_id  BIGINT NOT NULL PRIMARY KEY,
            perdidos   INT    NOT NULL,
            umbral     INT    NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
        CALL _crear_tmp_presencia();

        SET v_n = v_lote;
        WHILE v_n = v_lote AND v_lotes < v_lotes_max DO
            SET v_ahora = UTC_TIMESTAMP(6);
            -- Emptied inside the transaction: _abrir_transaccion rolls back first, which with
            -- autocommit off would bring the last batch's rows back.
            CALL _abrir_transaccion();
            DELETE FROM tmp_barrido;
            DELETE FROM tmp_barrido_asesores;
            INSERT INTO tmp_barrido (cliente_id, estado_anterior, asesor_anterior, campana_id, devoluciones)
                SELECT id, seguimiento_status, asesor_asignado, campana_id, devoluciones
                  FROM clientes
                 WHERE seguimiento_status IN ('derivado', 'en_gestion')
                   AND vence_en < v_ahora
                 ORDER BY vence_en
                 LIMIT v_lote
                   FOR UPDATE SKIP LOCKED;
            SET v_n = ROW_COUNT();
            IF v_n > 0 THEN
                UPDATE clientes c JOIN tmp_barrido t ON t.cliente_id = c.id
                  JOIN campanas k ON k.id = t.campana_id
                   SET c.seguimiento_status = 'no_gestionado', c.asesor_asignado = NULL,
                       c.last_activity = NULL, c.lock_token = NULL, c.lock_asesor_id = NULL,
                       c.devoluciones = t.devoluciones + 1,
                       c.en_cola = (t.devoluciones + 1 < k.max_devoluciones),
                       c.cola_desde = IF(t.devoluciones + 1 < k.max_devoluciones,
                                         v_ahora + INTERVAL k.reciclaje_segundos SECOND, NULL),
                       c.updated_at = v_ahora;
                INSERT INTO tmp_barrido_asesores (asesor_id, perdidos, umbral)
                    SELECT t.asesor_anterior, COUNT(*), MIN(COALESCE(k.pausa_tras_timeouts, v_umbral_global))
                      FROM tmp_barrido t JOIN campanas k ON k.id = t.campana_id
                     WHERE t.asesor_anterior IS NOT NULL
                     GROUP BY t.asesor_anterior;
                CALL _reservar_outbox_ids(v_n, v_primero);
                INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
                    SELECT v_primero - 1 + ROW_NUMBER() OVER (ORDER BY t.cliente_id), 'CLIENT_RETURNED_TO_GTR',
                           t.cliente_id, NULL, t.asesor_anterior,
                           JSON_OBJECT('clienteId', t.cliente_id,
                                       'reason', 'timeout_no_gestionado',
                                       'previousAsesor', t.asesor_anterior,
                                       'seguimiento_status', 'no_gestionado',
                                       'timestamp', DATE_FORMAT(v_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
                           v_ahora
                      FROM tmp_barrido t;
                INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                                asesor_anterior_id, actor, motivo, outbox_id, created_at)
                    SELECT o.cliente_id, t.estado_anterior, 'no_gestionado', NULL, t.asesor_anterior,
                           'system', 'timeout_no_gestionado', o.id, v_ahora
                      FROM tmp_barrido t JOIN outbox o ON o.id >= v_primero AND o.id < v_primero + v_n
                                                      AND o.cliente_id = t.cliente_id;
            END IF;
            CALL _cerrar_transaccion(TRUE);

            -- The asesores who lost customers: their streak grows, and those past the
            -- threshold are paused (its own transaction: see the header).
            IF v_n > 0 THEN
                CALL _abrir_transaccion();
                DELETE FROM tmp_presencia;
                UPDATE asesores a JOIN tmp_barrido_asesores t ON t.asesor_id = a.id
                   SET a.timeouts_consecutivos = a.timeouts_consecutivos + t.perdidos;
                INSERT INTO tmp_presencia (asesor_id, estado_anterior, motivo_anterior, estado_nuevo,
                                           motivo_nuevo, actor)
                    SELECT a.id, a.presencia, a.motivo_pausa, 'en_pausa', 'timeouts', 'system'
                      FROM asesores a JOIN tmp_barrido_asesores t ON t.asesor_id = a.id
                     WHERE a.presencia = 'disponible' AND t.umbral > 0 AND a.timeouts_consecutivos >= t.umbral;
                UPDATE asesores a JOIN tmp_presencia p ON p.asesor_id = a.id
                   SET a.presencia = 'en_pausa', a.motivo_pausa = 'timeouts', a.presencia_desde = v_ahora;
                CALL _registrar_presencias(v_ahora);
                CALL _cerrar_transaccion(TRUE);
            END IF;
            SET v_total = v_total + v_n;
            SET v_lotes = v_lotes + 1;
        END WHILE;

        DROP TEMPORARY TABLE IF EXISTS tmp_barrido;
        DROP TEMPORARY TABLE IF EXISTS tmp_barrido_asesores;
        DROP TEMPORARY TABLE IF EXISTS tmp_presencia;
        DO RELEASE_LOCK(v_lock_name);
        SELECT CAST(v_total AS SIGNED) AS devueltos, CAST(0 AS SIGNED) AS omitido;
    END IF;
END//
DELIMITER ;
