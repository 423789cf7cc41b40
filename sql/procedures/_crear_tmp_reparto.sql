-- _crear_tmp_reparto() / see _soltar_tmp_reparto: internal. (Re)creates the session's empty
-- working tables of _repartir. Creating a temporary table commits nothing, so this may run
-- inside the caller's transaction.
--   tmp_rep_campanas  the auto campaigns to serve, in serving order (rn).
--   tmp_rep_asesores  one campaign's asesores that may take customers now, with their load.
--   tmp_rep_slots     their free places, best first (rn): least loaded, then longest idle.
--   tmp_rep_clientes  the customers assigned in this run, in serving order, with their asesor.
--   tmp_numeros       0..99, to turn a free capacity into that many places (capacidad <= 100).
DROP PROCEDURE IF EXISTS _crear_tmp_reparto;
DELIMITER //
CREATE PROCEDURE _crear_tmp_reparto()
BEGIN
    CALL _soltar_tmp_reparto();
    CREATE TEMPORARY TABLE tmp_rep_campanas (
        rn          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        campana_id  BIGINT NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TEMPORARY TABLE tmp_rep_asesores (
        asesor_id    BIGINT      NOT NULL PRIMARY KEY,
        capacidad    INT         NOT NULL,
        carga        INT         NOT NULL DEFAULT 0,
        libre_desde  DATETIME(6) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TEMPORARY TABLE tmp_rep_slots (
        rn         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        asesor_id  BIGINT NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TEMPORARY TABLE tmp_rep_clientes (
        rn               BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cliente_id       BIGINT      NOT NULL,
        campana_id       BIGINT      NOT NULL,
        estado_anterior  VARCHAR(20) NOT NULL,
        asesor_id        BIGINT      NULL,
        KEY (campana_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    CREATE TEMPORARY TABLE tmp_numeros (
        n  INT NOT NULL PRIMARY KEY
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
    INSERT INTO tmp_numeros (n)
        WITH RECURSIVE s (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 99)
        SELECT n FROM s;
END//
DELIMITER ;
