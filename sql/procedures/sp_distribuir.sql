-- sp_distribuir(): the automatic distribution, run every 5 s by ev_distribuir (and callable
-- by hand). First marks desconectado the asesores no gateway has reported a live dashboard
-- for in presencia_socket_segundos (_marcar_desconectados), then assigns waiting customers
-- of the active auto campaigns (nuevo, and no_gestionado ones whose recycling delay has
-- passed and that were returned fewer than max_devoluciones times) to available asesores
-- with the skill and a free place, set-based (see _repartir for the order): at most
-- distribucion_lote per run, one transaction. Each assignment writes what
-- sp_derivar_cliente writes (history motivo asignado, actor system; CLIENT_REASSIGNED).
-- Result set: asignados, desconectados, omitido (1 when another run was going: a named
-- lock keeps two runs apart; a run that finds it taken returns at once).
DROP PROCEDURE IF EXISTS sp_distribuir;
DELIMITER //
CREATE PROCEDURE sp_distribuir()
BEGIN
    DECLARE v_lock_name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        DEFAULT CONCAT(DATABASE(), '.distribuir');
    DECLARE v_asignados BIGINT DEFAULT 0;
    DECLARE v_desconectados BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        DO RELEASE_LOCK(v_lock_name);
        RESIGNAL;
    END;

    IF COALESCE(GET_LOCK(v_lock_name, 0), 0) = 0 THEN
        SELECT CAST(0 AS SIGNED) AS asignados, CAST(0 AS SIGNED) AS desconectados, CAST(1 AS SIGNED) AS omitido;
    ELSE
        CALL _marcar_desconectados(v_desconectados);
        CALL _distribuir(NULL, NULL, v_asignados);
        DO RELEASE_LOCK(v_lock_name);
        SELECT CAST(v_asignados AS SIGNED) AS asignados, CAST(v_desconectados AS SIGNED) AS desconectados,
               CAST(0 AS SIGNED) AS omitido;
    END IF;
END//
DELIMITER ;
