-- _crear_tmp_presencia(): internal. (Re)creates the session's empty tmp_presencia, where a
-- procedure stages the presence changes _registrar_presencias then records. Creating a
-- temporary table commits nothing, so this may run inside the caller's transaction.
DROP PROCEDURE IF EXISTS _crear_tmp_presencia;
DELIMITER //
CREATE PROCEDURE _crear_tmp_presencia()
BEGIN
    DROP TEMPORARY TABLE IF EXISTS tmp_presencia;
    CREATE TEMPORARY TABLE tmp_presencia (
        asesor_id        BIGINT      NOT NULL PRIMARY KEY,
        estado_anterior  VARCHAR(20) NOT NULL,
        motivo_anterior  VARCHAR(40) NULL,
        estado_nuevo     VARCHAR(20) NOT NULL,
        motivo_nuevo     VARCHAR(40) NULL,
        actor            VARCHAR(10) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
END//
DELIMITER ;
