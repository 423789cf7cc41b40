-- sp_listar_clientes_de_campana(campana_id, estado, asesor_id, limite, desplazamiento): the
-- board filtered by campaign (issue 13), read by the server so that a campaign's customers
-- are all reachable however many other customers the floor holds. campana_id is required
-- (NULL: 45007; unknown: 45010). The rest as sp_listar_clientes: NULL estado or asesor_id
-- means any, limite 1-1000, and the same two result sets from ONE consistent snapshot:
--   1. snapshot_outbox_id, total, timeout_segundos: the last outbox event the page already
--      reflects, how many of the campaign's customers match, and the GLOBAL timeout (the
--      campaign's own is in sp_listar_campanas; each row's vence_at already applies it).
--   2. the page of the campaign's customers (v_clientes columns, newest first).
-- Index-driven: (campana_id, seguimiento_status, id) of migration 0008 gives the page in
-- order and the count as a range, so a campaign costs what its own customers cost. With NULL
-- estado the same index finds the campaign's rows but they are sorted for the page: the
-- board always names a state.
DROP PROCEDURE IF EXISTS sp_listar_clientes_de_campana;
DELIMITER //
CREATE PROCEDURE sp_listar_clientes_de_campana(
    IN p_campana_id BIGINT,
    IN p_estado LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN p_asesor_id BIGINT,
    IN p_limite BIGINT,
    IN p_desplazamiento BIGINT)
BEGIN
    DECLARE v_existe BIGINT DEFAULT NULL;
    DECLARE v_msg VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;

    IF p_campana_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'campana_id is required';
    END IF;
    IF p_estado IS NOT NULL
       AND p_estado NOT IN ('nuevo', 'derivado', 'en_gestion', 'terminado', 'no_gestionado') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'unknown estado';
    END IF;
    IF p_limite IS NULL OR p_limite < 1 OR p_limite > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'limite must be 1 to 1000';
    END IF;
    IF p_desplazamiento IS NULL OR p_desplazamiento < 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45007, MESSAGE_TEXT = 'desplazamiento must be 0 or more';
    END IF;

    -- As sp_listar_clientes: one snapshot for both reads, and a transaction a KILL QUERY left
    -- open is rolled back rather than committed with ours.
    ROLLBACK;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION WITH CONSISTENT SNAPSHOT;
    -- Campaigns are never deleted, so checking inside the snapshot is as good as before it.
    SELECT id INTO v_existe FROM campanas WHERE id = p_campana_id;
    IF v_existe IS NULL THEN
        SET v_msg = CONCAT('campana ', p_campana_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 45010, MESSAGE_TEXT = v_msg;
    END IF;
    -- Two statements rather than "(p_estado IS NULL OR ...)": each is then a plain equality
    -- prefix of the index, which the optimizer reads in id order without a sort.
    IF p_estado IS NULL THEN
        SELECT s.ultimo_id AS snapshot_outbox_id,
               (SELECT COUNT(*) FROM clientes c
                 WHERE c.campana_id = p_campana_id
                   AND (p_asesor_id IS NULL OR c.asesor_asignado = p_asesor_id)) AS total,
               (SELECT valor FROM seguimiento_config WHERE clave = 'timeout_segundos') AS timeout_segundos
          FROM outbox_secuencia s WHERE s.id = 1;
        SELECT v.*
          FROM v_clientes v
         WHERE v.campana_id = p_campana_id
           AND (p_asesor_id IS NULL OR v.asesor_asignado = p_asesor_id)
         ORDER BY v.cliente_id DESC
         LIMIT p_limite OFFSET p_desplazamiento;
    ELSE
        SELECT s.ultimo_id AS snapshot_outbox_id,
               (SELECT COUNT(*) FROM clientes c
                 WHERE c.campana_id = p_campana_id AND c.seguimiento_status = p_estado
                   AND (p_asesor_id IS NULL OR c.asesor_asignado = p_asesor_id)) AS total,
               (SELECT valor FROM seguimiento_config WHERE clave = 'timeout_segundos') AS timeout_segundos
          FROM outbox_secuencia s WHERE s.id = 1;
        SELECT v.*
          FROM v_clientes v
         WHERE v.campana_id = p_campana_id AND v.seguimiento_status = p_estado
           AND (p_asesor_id IS NULL OR v.asesor_asignado = p_asesor_id)
         ORDER BY v.cliente_id DESC
         LIMIT p_limite OFFSET p_desplazamiento;
    END IF;
    COMMIT;
END//
DELIMITER ;
