-- _reporte_preparar(desde, hasta, asesor_id): internal. What every report procedure does
-- first: refuses a bad range (45007: desde and hasta required, desde before hasta, both on
-- a whole UTC hour, since the counts are kept per hour, and at most 366 days apart) or an
-- asesor that never existed (45002; an inactive one is fine: reports look back), then
-- brings the summaries up to date (at most 5 batches; the event keeps the backlog small).
DROP PROCEDURE IF EXISTS _reporte_preparar;
DELIMITER //
CREATE PROCEDURE _reporte_preparar(IN p_desde DATETIME(6), IN p_hasta DATETIME(6), IN p_asesor_id BIGINT)
BEGIN
    DECLARE v_resumidos BIGINT;
    DECLARE v_omitido TINYINT;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

    IF p_desde IS NULL OR p_hasta IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'desde and hasta are required';
    END IF;
    IF p_desde >= p_hasta THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'desde must be before hasta';
    END IF;
    IF p_desde <> DATE_FORMAT(p_desde, '%Y-%m-%d %H:00:00') OR p_hasta <> DATE_FORMAT(p_hasta, '%Y-%m-%d %H:00:00') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'desde and hasta must be whole UTC hours';
    END IF;
    IF p_hasta > p_desde + INTERVAL 366 DAY THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'a report covers at most 366 days';
    END IF;
    IF p_asesor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM asesores WHERE id = p_asesor_id) THEN
        SET v_msg = CONCAT('asesor ', p_asesor_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45002, MESSAGE_TEXT = v_msg;
    END IF;
    CALL _resumir_historial(5, v_resumidos, v_omitido);
END//
DELIMITER ;
