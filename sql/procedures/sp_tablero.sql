-- sp_tablero(segundos_aviso, limite): the wallboard's figures, polled or re-read on events,
-- so each is an index range (migration 0007), never a scan of the customers or the history.
-- segundos_aviso (1 to 86400, NULL: 60): "about to time out" means that many seconds or
-- fewer left; limite (1 to 500, NULL: 20): most customers listed in set 3.
-- Result sets:
-- 1. one row per state, in the machine's order, all five: seguimiento_status, clientes
--    (terminado counts only those completed today: the table keeps every completed one);
-- 2. one row: esperando (waiting for GTR: nuevo + no_gestionado), sin_abrir (derivado:
--    assigned, wizard not opened), en_gestion (being worked), asignados_hoy,
--    terminados_hoy, devueltos_hoy (returned to GTR since 00:00 UTC, by timeout or by the
--    asesor's deactivation), timeout_segundos, ahora;
-- 3. the oldest waiting lead (0 or 1 row): of the customers waiting for GTR (nuevo,
--    no_gestionado), the first loaded: cliente_id, nombre, seguimiento_status,
--    esperando_desde (its load), segundos_esperando;
-- 4. the customers about to time out, the closest first: cliente_id, nombre,
--    seguimiento_status, asesor_asignado, asesor_nombre, last_activity, vence_at,
--    segundos_restantes (0: past due, the sweep has not run yet); vence_at is the stored
--    deadline, so a campaign's own timeout counts.
-- Per campaign: sp_listar_campanas (queue, oldest waiting); presence: sp_panel_asesores.
DROP PROCEDURE IF EXISTS sp_tablero;
DELIMITER //
CREATE PROCEDURE sp_tablero(IN p_segundos_aviso BIGINT, IN p_limite BIGINT)
BEGIN
    DECLARE v_aviso BIGINT DEFAULT COALESCE(p_segundos_aviso, 60);
    DECLARE v_limite BIGINT DEFAULT COALESCE(p_limite, 20);
    DECLARE v_timeout BIGINT;
    DECLARE v_ahora DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE v_hoy DATETIME(6) DEFAULT UTC_DATE();
    DECLARE v_nuevo BIGINT;
    DECLARE v_derivado BIGINT;
    DECLARE v_en_gestion BIGINT;
    DECLARE v_no_gestionado BIGINT;
    DECLARE v_asignados BIGINT;
    DECLARE v_terminados BIGINT;
    DECLARE v_devueltos BIGINT;

    IF v_aviso < 1 OR v_aviso > 86400 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'segundos_aviso must be 1 to 86400';
    END IF;
    IF v_limite < 1 OR v_limite > 500 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'limite must be 1 to 500';
    END IF;
    SELECT valor INTO v_timeout FROM seguimiento_config WHERE clave = 'timeout_segundos';

    -- One range each on idx_seguimiento_activity (seguimiento_status, last_activity), covering.
    SELECT COUNT(*) INTO v_nuevo FROM clientes WHERE seguimiento_status = 'nuevo';
    SELECT COUNT(*) INTO v_no_gestionado FROM clientes WHERE seguimiento_status = 'no_gestionado';
    SELECT COUNT(*) INTO v_derivado FROM clientes WHERE seguimiento_status = 'derivado';
    SELECT COUNT(*) INTO v_en_gestion FROM clientes WHERE seguimiento_status = 'en_gestion';
    -- Today's rows of one motivo: a range on idx_historial_motivo.
    SELECT COUNT(*) INTO v_asignados FROM clientes_historial
     WHERE motivo IN ('asignado', 'reasignado') AND created_at >= v_hoy;
    SELECT COUNT(*) INTO v_terminados FROM clientes_historial
     WHERE motivo = 'wizard_completado' AND created_at >= v_hoy;
    SELECT COUNT(*) INTO v_devueltos FROM clientes_historial
     WHERE motivo IN ('timeout_no_gestionado', 'asesor_desactivado') AND created_at >= v_hoy;

    SELECT 'nuevo' AS seguimiento_status, CAST(v_nuevo AS SIGNED) AS clientes
    UNION ALL SELECT 'derivado', CAST(v_derivado AS SIGNED)
    UNION ALL SELECT 'en_gestion', CAST(v_en_gestion AS SIGNED)
    UNION ALL SELECT 'terminado', CAST(v_terminados AS SIGNED)
    UNION ALL SELECT 'no_gestionado', CAST(v_no_gestionado AS SIGNED);

    SELECT CAST(v_nuevo + v_no_gestionado AS SIGNED) AS esperando, CAST(v_derivado AS SIGNED) AS sin_abrir,
           CAST(v_en_gestion AS SIGNED) AS en_gestion, CAST(v_asignados AS SIGNED) AS asignados_hoy,
           CAST(v_terminados AS SIGNED) AS terminados_hoy, CAST(v_devueltos AS SIGNED) AS devueltos_hoy,
           CAST(v_timeout AS SIGNED) AS timeout_segundos, v_ahora AS ahora;

    -- The oldest waiting lead is the first loaded (lowest id) of those waiting for GTR: for
    -- them last_activity is NULL, so (seguimiento_status, last_activity IS NULL) is an
    -- equality prefix of idx_seguimiento_activity, in id order: one index probe per state.
    SELECT e.cliente_id, e.nombre, e.seguimiento_status, e.esperando_desde,
           TIMESTAMPDIFF(MICROSECOND, e.esperando_desde, v_ahora) / 1000000 AS segundos_esperando
      FROM ((SELECT id AS cliente_id, nombre, seguimiento_status, created_at AS esperando_desde
               FROM clientes WHERE seguimiento_status = 'nuevo' AND last_activity IS NULL ORDER BY id LIMIT 1)
            UNION ALL
            (SELECT id, nombre, seguimiento_status, created_at
               FROM clientes WHERE seguimiento_status = 'no_gestionado' AND last_activity IS NULL
              ORDER BY id LIMIT 1)) e
     ORDER BY e.cliente_id
     LIMIT 1;

    -- The sweep's own range (idx_vence_en: each customer's stored deadline, which follows its
    -- campaign's timeout), with a later cutoff.
    SELECT c.id AS cliente_id, c.nombre, c.seguimiento_status, c.asesor_asignado, a.nombre AS asesor_nombre,
           c.last_activity, c.vence_en AS vence_at,
           GREATEST(TIMESTAMPDIFF(MICROSECOND, v_ahora, c.vence_en), 0) / 1000000 AS segundos_restantes
      FROM clientes c
      LEFT JOIN asesores a ON a.id = c.asesor_asignado
     WHERE c.vence_en <= v_ahora + INTERVAL v_aviso SECOND
     ORDER BY c.vence_en, c.id
     LIMIT v_limite;
END//
DELIMITER ;
