-- _repartir(campana_id, asesor_id, actor, lote, ahora, OUT asignados): internal. The
-- assignment step of the automatic distribution and the pull, inside the caller's
-- transaction (which must have called _crear_tmp_reparto, and commits right after: this
-- reserves the outbox ids last). Assigns at most `lote` waiting customers of the active auto
-- campaigns (only campana_id when not NULL) to available asesores (only asesor_id when not
-- NULL), set-based, campaign by campaign in serving order (prioridad DESC, then id):
--
-- 1. The campaign's asesores who may take work: active, disponible, with the skill, locked
--    FOR UPDATE SKIP LOCKED (one that a pull, a presence change or another run holds is left
--    for later; a pause that committed first is seen, so it is never assigned to after).
-- 2. Their load (derivado + en_gestion, by idx_asesor_status) against capacidad gives their
--    free places; places are ranked least loaded first, then longest idle (libre_desde,
--    never-assigned first), so a round gives every asesor one before anyone gets a second.
-- 3. The campaign's queue in serving order (prioridad DESC, created_at, id): the first n
--    customers with en_cola = 1 whose cola_desde has come, n = the free places, read from the
--    front of idx_cola and locked FOR UPDATE SKIP LOCKED (a customer GTR is assigning right
--    now is left alone; one GTR assigned first is no longer en_cola).
-- 4. The i-th customer goes to the i-th place: derivado, timeout of its campaign (or the
--    global one, read as the customers are written: see there), out of the queue; each
--    asesor's libre_desde = now.
-- Then history (motivo asignado, actor p_actor) and CLIENT_REASSIGNED {asesorId,
-- previousAsesor: null} per customer: what sp_derivar_cliente writes for a first assignment.
-- The customers assigned are left in tmp_rep_clientes for the caller.
DROP PROCEDURE IF EXISTS _repartir;
DELIMITER //
CREATE PROCEDURE _repartir(
    IN  p_campana_id BIGINT,
    IN  p_asesor_id  BIGINT,
    IN  p_actor      VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
    IN  p_lote       BIGINT,
    IN  p_ahora      DATETIME(6),
    OUT o_asignados  BIGINT)
BEGIN
    DECLARE v_i BIGINT DEFAULT 0;
    DECLARE v_campanas BIGINT;
    DECLARE v_campana BIGINT;
    DECLARE v_resto BIGINT;
    DECLARE v_slots BIGINT;
    DECLARE v_n BIGINT;
    DECLARE v_base_s BIGINT;
    DECLARE v_base_c BIGINT;
    DECLARE v_primero BIGINT;

    SET o_asignados = 0;
    INSERT INTO tmp_rep_campanas (campana_id)
        SELECT id FROM campanas
         WHERE activa = 1 AND modo = 'auto' AND (p_campana_id IS NULL OR id = p_campana_id)
         ORDER BY prioridad DESC, id;
    SET v_campanas = ROW_COUNT();

    WHILE v_i < v_campanas AND o_asignados < p_lote DO
        SET v_i = v_i + 1;
        SELECT campana_id INTO v_campana FROM tmp_rep_campanas WHERE rn = v_i;
        DELETE FROM tmp_rep_asesores;
        DELETE FROM tmp_rep_slots;
        INSERT INTO tmp_rep_asesores (asesor_id, capacidad, libre_desde)
            SELECT a.id, a.capacidad, a.libre_desde
              FROM asesor_campanas h JOIN asesores a ON a.id = h.asesor_id
             WHERE h.campana_id = v_campana AND (p_asesor_id IS NULL OR h.asesor_id = p_asesor_id)
               AND a.activo = 1 AND a.presencia = 'disponible'
               FOR UPDATE SKIP LOCKED;
        IF ROW_COUNT() > 0 THEN
            UPDATE tmp_rep_asesores t
               SET t.carga = (SELECT COUNT(*) FROM clientes c
                               WHERE c.asesor_asignado = t.asesor_id
                                 AND c.seguimiento_status IN ('derivado', 'en_gestion'));
            SET v_resto = p_lote - o_asignados;
            INSERT INTO tmp_rep_slots (asesor_id)
                SELECT t.asesor_id FROM tmp_rep_asesores t JOIN tmp_numeros n ON n.n < t.capacidad - t.carga
                 ORDER BY t.carga + n.n, t.libre_desde, t.asesor_id
                 LIMIT v_resto;
            SET v_slots = ROW_COUNT();
            IF v_slots > 0 THEN
                INSERT INTO tmp_rep_clientes (cliente_id, campana_id, estado_anterior)
                    SELECT id, campana_id, seguimiento_status FROM clientes
                     WHERE campana_id = v_campana AND en_cola = 1 AND cola_desde <= p_ahora
                     ORDER BY prioridad DESC, created_at, id
                     LIMIT v_slots
                       FOR UPDATE SKIP LOCKED;
                SET v_n = ROW_COUNT();
                IF v_n > 0 THEN
                    SELECT MIN(rn) - 1 INTO v_base_s FROM tmp_rep_slots;
                    SELECT MIN(rn) - 1 INTO v_base_c FROM tmp_rep_clientes WHERE campana_id = v_campana;
                    UPDATE tmp_rep_clientes c JOIN tmp_rep_slots s ON s.rn = c.rn - v_base_c + v_base_s
                       SET c.asesor_id = s.asesor_id
                     WHERE c.campana_id = v_campana;
                    -- The timeouts are read here, by this UPDATE, not earlier: its join holds
                    -- shared locks on the campaign row and the timeout_segundos row to
                    -- commit, so a timeout change either waits for these customers or has
                    -- committed before and is what they get (as in _asignar_cliente).
                    UPDATE clientes c JOIN tmp_rep_clientes t ON t.cliente_id = c.id
                      JOIN campanas k ON k.id = t.campana_id
                      JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos'
                       SET c.seguimiento_status = 'derivado', c.asesor_asignado = t.asesor_id,
                           c.derivado_at = p_ahora, c.opened_at = NULL, c.last_activity = p_ahora,
                           c.plazo_segundos = COALESCE(k.timeout_segundos, cfg.valor),
                           c.en_cola = 0, c.cola_desde = NULL,
                           c.lock_token = NULL, c.lock_asesor_id = NULL, c.updated_at = p_ahora
                     WHERE t.campana_id = v_campana;
                    UPDATE asesores a JOIN tmp_rep_asesores t ON t.asesor_id = a.id
                       SET a.libre_desde = p_ahora
                     WHERE t.asesor_id IN (SELECT s.asesor_id FROM tmp_rep_slots s
                                            WHERE s.rn <= v_base_s + v_n);
                    SET o_asignados = o_asignados + v_n;
                END IF;
            END IF;
        END IF;
    END WHILE;

    IF o_asignados > 0 THEN
        CALL _reservar_outbox_ids(o_asignados, v_primero);
        INSERT INTO outbox (id, event_type, cliente_id, asesor_id, previous_asesor_id, payload, created_at)
            SELECT v_primero - 1 + ROW_NUMBER() OVER (ORDER BY t.rn), 'CLIENT_REASSIGNED',
                   t.cliente_id, t.asesor_id, NULL,
                   JSON_OBJECT('asesorId', t.asesor_id, 'previousAsesor', NULL, 'clienteId', t.cliente_id,
                               'timestamp', DATE_FORMAT(p_ahora, '%Y-%m-%dT%H:%i:%s.%fZ')),
                   p_ahora
              FROM tmp_rep_clientes t;
        INSERT INTO clientes_historial (cliente_id, estado_anterior, estado_nuevo, asesor_id,
                                        asesor_anterior_id, actor, motivo, outbox_id, created_at)
            SELECT t.cliente_id, t.estado_anterior, 'derivado', t.asesor_id, NULL, p_actor, 'asignado',
                   v_primero - 1 + ROW_NUMBER() OVER (ORDER BY t.rn), p_ahora
              FROM tmp_rep_clientes t;
    END IF;
END//
DELIMITER ;
