-- The supervisor's desk (issue 14): summaries the reports read, indexes the wallboard reads,
-- and the audit of what GTR administers from the desk.
--
-- Reports. The figures come from clientes_historial, but a report over a month of a 5M-row
-- history cannot pair every wizard opening with its assignment within a second. So
-- sp_resumir_historial (run by ev_resumir_historial, and by every report before it reads)
-- folds the history, in outbox-id order, into two summaries:
--   reporte_asesor_hora  per UTC hour and asesor: the counts of v_asesor_diario;
--   reporte_tiempos      one row per measured duration (time to open, handling time, speed
--                        to lead), so medians stay exact.
-- It follows the outbox id, not the history id: outbox ids are gap-free and commit in order
-- (see _reservar_outbox_ids), so "everything up to the sequence's committed value" never
-- misses a history row that commits late; history ids (AUTO_INCREMENT) would.
-- No write procedure changes: the summary costs the hot path nothing (see docs/escritorio.md).
-- Per-campaign figures: add a campaign column to both summaries once campaigns land (issue 13).
CREATE TABLE reporte_asesor_hora (
    hora               DATETIME NOT NULL,
    asesor_id          BIGINT   NOT NULL,
    asignados          INT      NOT NULL DEFAULT 0,
    abiertos           INT      NOT NULL DEFAULT 0,
    completados        INT      NOT NULL DEFAULT 0,
    devueltos_timeout  INT      NOT NULL DEFAULT 0,
    PRIMARY KEY (hora, asesor_id),
    KEY idx_reporte_hora_asesor (asesor_id, hora)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- medida: hasta_abrir (assignment to wizard opened, the opening asesor), gestion (opened to
-- completed), velocidad (speed to lead: the customer's load to its FIRST opening).
-- The indexes cover the reports' reads: a range on (medida, created_at) for every asesor,
-- or on (asesor_id, medida, created_at) for one, with segundos read from the index.
CREATE TABLE reporte_tiempos (
    historial_id  BIGINT        NOT NULL,
    medida        ENUM('hasta_abrir', 'gestion', 'velocidad') NOT NULL,
    asesor_id     BIGINT        NOT NULL,
    created_at    DATETIME(6)   NOT NULL,
    segundos      DECIMAL(16,6) NOT NULL,
    PRIMARY KEY (historial_id, medida),
    KEY idx_tiempos_medida (medida, created_at, asesor_id, segundos),
    KEY idx_tiempos_asesor (asesor_id, medida, created_at, segundos)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row: the outbox id up to which the history is summarised.
CREATE TABLE reporte_progreso (
    id                TINYINT     NOT NULL,
    ultimo_outbox_id  BIGINT      NOT NULL,
    actualizado_at    DATETIME(6) NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO reporte_progreso (id, ultimo_outbox_id, actualizado_at) VALUES (1, 0, NULL);

-- The wallboard (sp_tablero) is polled: each of its figures must be an index range. Today's
-- returned/completed/assigned customers are a range on (motivo, created_at); the states'
-- counts, the oldest waiting lead and the imminent timeouts use idx_seguimiento_activity.
ALTER TABLE clientes_historial ADD KEY idx_historial_motivo (motivo, created_at);

-- What GTR (or a DBA) administered: one row per change of an asesor, its access or a
-- setting, written in the same transaction as the change and its outbox event (outbox_id).
-- emisor_token_id: the GTR token that did it (NULL when a DBA called the procedure);
-- token_id: the token a change issued. No foreign keys: the audit outlives what it names.
CREATE TABLE auditoria_admin (
    id               BIGINT       NOT NULL AUTO_INCREMENT,
    event_type       VARCHAR(40)  NOT NULL,
    asesor_id        BIGINT       NULL,
    token_id         BIGINT       NULL,
    emisor_token_id  BIGINT       NULL,
    actor            VARCHAR(10)  NOT NULL,
    detalle          JSON         NOT NULL,
    outbox_id        BIGINT       NOT NULL,
    created_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY idx_auditoria_asesor (asesor_id, id),
    KEY idx_auditoria_emisor (emisor_token_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
