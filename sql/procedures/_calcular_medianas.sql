-- _calcular_medianas(medida, desde, hasta, asesor_id, por_asesor): internal. The exact
-- median of reporte_tiempos' values of one medida in [desde, hasta) (of one asesor, or all
-- with asesor_id NULL), per asesor (por_asesor 1) or over all (0: one row, asesor_id 0),
-- into the temporary table tmp_medianas (asesor_id, n, mediana); it also leaves
-- tmp_minutos (asesor_id, minuto, c: the values per whole minute), for the caller to drop.
--
-- Without a sort of every value: a month of a large floor is 300,000 values per measure, and
-- sorting them (ROW_NUMBER over the range, as v_asesor_diario does) took 0.5 s to 1 s and
-- spilled to disk. Instead: 1. count the values per minute (one index range, grouped);
-- 2. from the running counts, find the minute(s) holding the middle rank(s); 3. rank only the
-- values of those minutes (a range of segundos on idx_tiempos_valor*), offset by the count
-- before them, and average the middle one(s).
-- The median of an even count is the mean of the two middle values, as in v_asesor_diario.
DROP PROCEDURE IF EXISTS _calcular_medianas;
DELIMITER //
CREATE PROCEDURE _calcular_medianas(
    IN p_medida VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_desde DATETIME(6),
    IN p_hasta DATETIME(6),
    IN p_asesor_id BIGINT,
    IN p_por_asesor TINYINT)
BEGIN
    DROP TEMPORARY TABLE IF EXISTS tmp_medianas;
    DROP TEMPORARY TABLE IF EXISTS tmp_minutos;
    DROP TEMPORARY TABLE IF EXISTS tmp_objetivo;
    CREATE TEMPORARY TABLE tmp_medianas (
        asesor_id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL, mediana DECIMAL(16,6) NULL
    ) ENGINE=InnoDB;
    CREATE TEMPORARY TABLE tmp_minutos (
        asesor_id BIGINT NOT NULL, minuto BIGINT NOT NULL, c BIGINT NOT NULL, PRIMARY KEY (asesor_id, minuto)
    ) ENGINE=InnoDB;
    CREATE TEMPORARY TABLE tmp_objetivo (
        asesor_id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL, k1 BIGINT NOT NULL, k2 BIGINT NOT NULL,
        desde_minuto BIGINT NOT NULL, hasta_minuto BIGINT NOT NULL, antes BIGINT NOT NULL
    ) ENGINE=InnoDB;

    INSERT INTO tmp_minutos (asesor_id, minuto, c)
        SELECT grupo, minuto, COUNT(*)
          FROM (SELECT IF(p_por_asesor = 1, asesor_id, 0) AS grupo, FLOOR(segundos / 60) AS minuto
                  FROM reporte_tiempos
                 WHERE medida = p_medida AND created_at >= p_desde AND created_at < p_hasta
                   AND (p_asesor_id IS NULL OR asesor_id = p_asesor_id)) v
         GROUP BY grupo, minuto;

    -- hasta: values up to and including this minute; the middle ranks are k1 <= k2.
    INSERT INTO tmp_objetivo (asesor_id, n, k1, k2, desde_minuto, hasta_minuto, antes)
        SELECT asesor_id, MAX(n), MAX(k1), MAX(k2),
               MIN(CASE WHEN hasta - c < k1 AND k1 <= hasta THEN minuto END),
               MAX(CASE WHEN hasta - c < k2 AND k2 <= hasta THEN minuto END),
               MIN(CASE WHEN hasta - c < k1 AND k1 <= hasta THEN hasta - c END)
          FROM (SELECT asesor_id, minuto, c, hasta, n, FLOOR((n + 1) / 2) AS k1, CEIL((n + 1) / 2) AS k2
                  FROM (SELECT asesor_id, minuto, c,
                               SUM(c) OVER (PARTITION BY asesor_id ORDER BY minuto) AS hasta,
                               SUM(c) OVER (PARTITION BY asesor_id) AS n
                          FROM tmp_minutos) acumulado) rangos
         GROUP BY asesor_id;

    IF p_por_asesor = 1 THEN
        INSERT INTO tmp_medianas (asesor_id, n, mediana)
            SELECT asesor_id, MAX(n), AVG(segundos)
              FROM (SELECT o.asesor_id, o.n, o.k1, o.k2, t.segundos,
                           o.antes + ROW_NUMBER() OVER (PARTITION BY o.asesor_id ORDER BY t.segundos) AS rn
                      FROM tmp_objetivo o
                      JOIN reporte_tiempos t FORCE INDEX (idx_tiempos_valor)
                        ON t.medida = p_medida AND t.asesor_id = o.asesor_id
                       AND t.segundos >= o.desde_minuto * 60 AND t.segundos < (o.hasta_minuto + 1) * 60
                       AND t.created_at >= p_desde AND t.created_at < p_hasta) medio
             WHERE rn IN (k1, k2)
             GROUP BY asesor_id;
    ELSE
        INSERT INTO tmp_medianas (asesor_id, n, mediana)
            SELECT asesor_id, MAX(n), AVG(segundos)
              FROM (SELECT o.asesor_id, o.n, o.k1, o.k2, t.segundos,
                           o.antes + ROW_NUMBER() OVER (ORDER BY t.segundos) AS rn
                      FROM tmp_objetivo o
                      JOIN reporte_tiempos t FORCE INDEX (idx_tiempos_valor_todos)
                        ON t.medida = p_medida
                       AND t.segundos >= o.desde_minuto * 60 AND t.segundos < (o.hasta_minuto + 1) * 60
                       AND t.created_at >= p_desde AND t.created_at < p_hasta
                       AND (p_asesor_id IS NULL OR t.asesor_id = p_asesor_id)) medio
             WHERE rn IN (k1, k2)
             GROUP BY asesor_id;
    END IF;
    DROP TEMPORARY TABLE IF EXISTS tmp_objetivo;
END//
DELIMITER ;
