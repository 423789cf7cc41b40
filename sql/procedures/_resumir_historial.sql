-- _resumir_historial(lotes_max, OUT resumidos, OUT omitido): internal. Folds the history rows
-- not yet summarised into reporte_asesor_hora and reporte_tiempos (see migration 0007), and
-- the new durations into reporte_tiempos_dia (migration 0009), at most lotes_max batches of 20,000 outbox ids, each batch one transaction that also moves
-- reporte_progreso. resumidos: history rows read; omitido 1 when another run held the lock
-- (the summary is then at most that run behind).
--
-- Which rows: those whose outbox_id is above reporte_progreso and at most the outbox
-- sequence's committed value. Event transactions commit in outbox-id order, so every history
-- row up to that value has committed, and none is ever skipped.
-- What it writes, as v_asesor_diario counts it: asignados (asignado/reasignado, the new
-- asesor), abiertos, completados, devueltos_timeout (timeout_no_gestionado, the asesor that
-- lost it); the seconds from the latest assignment to the opening (hasta_abrir), from the
-- latest opening to the completion (gestion), and from the customer's first history row
-- (its load) to its first opening (velocidad: speed to lead), each for the asesor that acted.
-- Derived data, not a change: no history of its own and no outbox event.
DROP PROCEDURE IF EXISTS _resumir_historial;
DELIMITER //
CREATE PROCEDURE _resumir_historial(IN p_lotes_max BIGINT, OUT o_resumidos BIGINT, OUT o_omitido TINYINT)
BEGIN
    DECLARE v_lock_name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT CONCAT(DATABASE(), '.resumir_historial');
    DECLARE v_lote BIGINT DEFAULT 20000;
    DECLARE v_lotes BIGINT DEFAULT 0;
    DECLARE v_desde BIGINT;
    DECLARE v_hasta BIGINT;
    DECLARE v_tope BIGINT;
    DECLARE v_seguir TINYINT DEFAULT 1;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        CALL _cerrar_transaccion(FALSE);
        DROP TEMPORARY TABLE IF EXISTS tmp_resumen;
        DO RELEASE_LOCK(v_lock_name);
        RESIGNAL;
    END;

    SET o_resumidos = 0;
    IF COALESCE(GET_LOCK(v_lock_name, 0), 0) = 0 THEN
        SET o_omitido = 1;
    ELSE
        SET o_omitido = 0;
        ROLLBACK;
        DROP TEMPORARY TABLE IF EXISTS tmp_resumen;
        CREATE TEMPORARY TABLE tmp_resumen (
            historial_id  BIGINT      NOT NULL PRIMARY KEY,
            cliente_id    BIGINT      NOT NULL,
            motivo        VARCHAR(40) NOT NULL,
            asesor_id     BIGINT      NOT NULL,
            created_at    DATETIME(6) NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

        WHILE v_seguir = 1 AND v_lotes < p_lotes_max DO
            CALL _abrir_transaccion();
            DELETE FROM tmp_resumen;
            SELECT ultimo_outbox_id INTO v_desde FROM reporte_progreso WHERE id = 1 FOR UPDATE;
            SELECT ultimo_id INTO v_tope FROM outbox_secuencia WHERE id = 1;
            SET v_hasta = LEAST(v_tope, v_desde + v_lote);
            IF v_hasta <= v_desde THEN
                SET v_seguir = 0;
            ELSE
                INSERT INTO tmp_resumen (historial_id, cliente_id, motivo, asesor_id, created_at)
                    SELECT id, cliente_id, motivo,
                           CASE WHEN motivo = 'timeout_no_gestionado' THEN asesor_anterior_id ELSE asesor_id END,
                           created_at
                      FROM clientes_historial
                     WHERE outbox_id > v_desde AND outbox_id <= v_hasta
                       AND motivo IN ('asignado', 'reasignado', 'wizard_abierto', 'wizard_completado',
                                      'timeout_no_gestionado')
                       AND CASE WHEN motivo = 'timeout_no_gestionado' THEN asesor_anterior_id
                                ELSE asesor_id END IS NOT NULL;
                SET o_resumidos = o_resumidos + ROW_COUNT();

                INSERT INTO reporte_asesor_hora (hora, asesor_id, asignados, abiertos, completados, devueltos_timeout)
                    SELECT s.hora, s.asesor_id, s.asignados, s.abiertos, s.completados, s.devueltos_timeout
                      FROM (SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:00:00') AS hora, asesor_id,
                                   SUM(motivo IN ('asignado', 'reasignado')) AS asignados,
                                   SUM(motivo = 'wizard_abierto') AS abiertos,
                                   SUM(motivo = 'wizard_completado') AS completados,
                                   SUM(motivo = 'timeout_no_gestionado') AS devueltos_timeout
                              FROM tmp_resumen
                             GROUP BY DATE_FORMAT(created_at, '%Y-%m-%d %H:00:00'), asesor_id) s
                    ON DUPLICATE KEY UPDATE
                        asignados = reporte_asesor_hora.asignados + s.asignados,
                        abiertos = reporte_asesor_hora.abiertos + s.abiertos,
                        completados = reporte_asesor_hora.completados + s.completados,
                        devueltos_timeout = reporte_asesor_hora.devueltos_timeout + s.devueltos_timeout;

                -- Each duration looks back along the customer's own history (a handful of rows
                -- on idx_historial_cliente), as v_asesor_diario's window does. One statement per
                -- measure: MySQL cannot open a temporary table twice in one statement.
                INSERT IGNORE INTO reporte_tiempos (historial_id, medida, asesor_id, created_at, segundos)
                    SELECT d.historial_id, 'hasta_abrir', d.asesor_id, d.created_at,
                           TIMESTAMPDIFF(MICROSECOND, d.inicio, d.created_at) / 1000000
                      FROM (SELECT t.historial_id, t.asesor_id, t.created_at,
                                   (SELECT MAX(x.created_at) FROM clientes_historial x
                                     WHERE x.cliente_id = t.cliente_id AND x.id < t.historial_id
                                       AND x.motivo IN ('asignado', 'reasignado')) AS inicio
                              FROM tmp_resumen t WHERE t.motivo = 'wizard_abierto') d
                     WHERE d.inicio IS NOT NULL;
                INSERT IGNORE INTO reporte_tiempos (historial_id, medida, asesor_id, created_at, segundos)
                    SELECT d.historial_id, 'gestion', d.asesor_id, d.created_at,
                           TIMESTAMPDIFF(MICROSECOND, d.inicio, d.created_at) / 1000000
                      FROM (SELECT t.historial_id, t.asesor_id, t.created_at,
                                   (SELECT MAX(x.created_at) FROM clientes_historial x
                                     WHERE x.cliente_id = t.cliente_id AND x.id < t.historial_id
                                       AND x.motivo = 'wizard_abierto') AS inicio
                              FROM tmp_resumen t WHERE t.motivo = 'wizard_completado') d
                     WHERE d.inicio IS NOT NULL;
                -- Speed to lead: the customer's first opening only, from its first history row.
                INSERT IGNORE INTO reporte_tiempos (historial_id, medida, asesor_id, created_at, segundos)
                    SELECT d.historial_id, 'velocidad', d.asesor_id, d.created_at,
                           TIMESTAMPDIFF(MICROSECOND, d.inicio, d.created_at) / 1000000
                      FROM (SELECT t.historial_id, t.asesor_id, t.created_at,
                                   (SELECT MIN(x.created_at) FROM clientes_historial x
                                     WHERE x.cliente_id = t.cliente_id) AS inicio
                              FROM tmp_resumen t
                             WHERE t.motivo = 'wizard_abierto'
                               AND NOT EXISTS (SELECT 1 FROM clientes_historial x
                                                WHERE x.cliente_id = t.cliente_id AND x.id < t.historial_id
                                                  AND x.motivo = 'wizard_abierto')) d
                     WHERE d.inicio IS NOT NULL;

                -- The batch's new durations into the per-day histogram (migration 0009). The
                -- watermark moves in this transaction, so each history row is counted once.
                INSERT INTO reporte_tiempos_dia (medida, dia, asesor_id, campana_id, segundos, n)
                    SELECT s.medida, s.dia, s.asesor_id, s.campana_id, s.segundos, s.n
                      FROM (SELECT t.medida, DATE(t.created_at) AS dia, t.asesor_id, c.campana_id,
                                   t.segundos, COUNT(*) AS n
                              FROM tmp_resumen r
                              JOIN reporte_tiempos t ON t.historial_id = r.historial_id
                              JOIN clientes c ON c.id = r.cliente_id
                             GROUP BY t.medida, DATE(t.created_at), t.asesor_id, c.campana_id, t.segundos) s
                    ON DUPLICATE KEY UPDATE n = reporte_tiempos_dia.n + s.n;

                UPDATE reporte_progreso SET ultimo_outbox_id = v_hasta, actualizado_at = UTC_TIMESTAMP(6)
                 WHERE id = 1;
                SET v_lotes = v_lotes + 1;
                IF v_hasta >= v_tope THEN
                    SET v_seguir = 0;
                END IF;
            END IF;
            CALL _cerrar_transaccion(TRUE);
        END WHILE;

        DROP TEMPORARY TABLE IF EXISTS tmp_resumen;
        DO RELEASE_LOCK(v_lock_name);
    END IF;
END//
DELIMITER ;
