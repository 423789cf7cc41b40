-- Routing (issue 13): campaigns with their own timeout, priority, mode and recycling rule;
-- asesor skills, capacity and presence; the queue columns automatic distribution reads.
-- Every existing customer lands in the default campaign 'general' (id 1, mode manual, no
-- timeout of its own), so nothing changes for them until a DBA or GTR says otherwise.

CREATE TABLE campanas (
    id                   BIGINT       NOT NULL AUTO_INCREMENT,
    nombre               VARCHAR(120) NOT NULL,
    -- NULL: the global timeout_segundos applies.
    timeout_segundos     INT          NULL,
    -- Higher first: campaigns are served in descending priority, then by id.
    prioridad            INT          NOT NULL DEFAULT 0,
    -- manual: GTR assigns, as before; auto: sp_distribuir / sp_siguiente_cliente assign.
    modo                 ENUM('manual', 'auto') NOT NULL DEFAULT 'manual',
    -- How long a returned customer (timeout or handed back) waits before it is offered again.
    reciclaje_segundos   INT          NOT NULL DEFAULT 0,
    -- After this many returns the customer stays with GTR (leaves the automatic queue).
    max_devoluciones     INT          NOT NULL DEFAULT 3,
    -- Consecutive timeouts after which an asesor is paused (reason timeouts); NULL: the
    -- global pausa_timeouts_consecutivos.
    pausa_tras_timeouts  INT          NULL,
    activa               TINYINT(1)   NOT NULL DEFAULT 1,
    created_at           DATETIME(6)  NOT NULL,
    updated_at           DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_campanas_nombre (nombre),
    KEY idx_campanas_reparto (activa, modo, prioridad)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO campanas (id, nombre, timeout_segundos, prioridad, modo, reciclaje_segundos,
                      max_devoluciones, pausa_tras_timeouts, activa, created_at, updated_at)
VALUES (1, 'general', NULL, 0, 'manual', 0, 3, NULL, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));

-- The customer's routing columns.
--   campana_id       its campaign (DEFAULT 1: every insert that does not say is in 'general').
--   prioridad        higher first inside its campaign.
--   plazo_segundos   the inactivity timeout that applies to it while it is assigned: its
--                    campaign's, or the global one. Set when it is assigned, and again for
--                    every active customer when that timeout is configured.
--   vence_en         its deadline: last_activity + plazo_segundos, computed by the server
--                    (a stored generated column, so no writer can let it drift). NULL while
--                    nobody works it. The sweep reads a range of its index.
--   devoluciones     how many times it was returned (timeout or handed back).
--   en_cola          1 while it waits in its campaign's automatic queue (nuevo, or returned
--                    fewer than max_devoluciones times); 0 while assigned, done, or kept by GTR.
--   cola_desde       when it may be offered (a returned customer waits reciclaje_segundos).
ALTER TABLE clientes
    ADD COLUMN campana_id BIGINT NOT NULL DEFAULT 1 AFTER importacion_linea,
    ADD COLUMN prioridad INT NOT NULL DEFAULT 0 AFTER campana_id,
    ADD COLUMN plazo_segundos INT NOT NULL DEFAULT 300 AFTER last_activity,
    ADD COLUMN vence_en DATETIME(6) AS (last_activity + INTERVAL plazo_segundos SECOND) STORED AFTER plazo_segundos,
    ADD COLUMN devoluciones INT NOT NULL DEFAULT 0 AFTER vence_en,
    ADD COLUMN en_cola TINYINT(1) NOT NULL DEFAULT 0 AFTER devoluciones,
    ADD COLUMN cola_desde DATETIME(6) NULL AFTER en_cola,
    ADD CONSTRAINT fk_clientes_campana FOREIGN KEY (campana_id) REFERENCES campanas (id),
    -- The sweep: (vence_en < now) is a range of this index; only active customers have one.
    ADD KEY idx_vence_en (vence_en),
    -- A campaign's queue in serving order: the distribution and the pull read it from the
    -- front, LIMIT n, so 100k waiting customers cost what the n first ones cost.
    ADD KEY idx_cola (campana_id, en_cola, prioridad DESC, created_at, id);

UPDATE clientes c
  JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos'
   SET c.plazo_segundos = cfg.valor,
       c.en_cola = IF(c.seguimiento_status IN ('nuevo', 'no_gestionado'), 1, 0),
       c.cola_desde = IF(c.seguimiento_status IN ('nuevo', 'no_gestionado'), c.updated_at, NULL);

-- The pause reasons an asesor or GTR may give (sp_cambiar_presencia checks the list).
-- 'timeouts' is the one the database gives when it pauses an asesor itself.
CREATE TABLE motivos_pausa (
    codigo       VARCHAR(40)  NOT NULL,
    descripcion  VARCHAR(200) NOT NULL,
    activo       TINYINT(1)   NOT NULL DEFAULT 1,
    PRIMARY KEY (codigo)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO motivos_pausa (codigo, descripcion) VALUES
    ('descanso', 'Descanso'),
    ('almuerzo', 'Almuerzo'),
    ('bano', 'Baño'),
    ('capacitacion', 'Capacitación'),
    ('reunion', 'Reunión'),
    ('timeouts', 'Pausa automática por inactividad');

-- Asesor routing columns.
--   capacidad              most customers it may hold at once (derivado + en_gestion) for
--                          the automatic distribution and the pull (GTR may go beyond it).
--   presencia              disponible / en_pausa (motivo_pausa says why) / desconectado.
--   presencia_desde        since when.
--   timeouts_consecutivos  customers it let time out since it last opened a wizard.
--   libre_desde            when it last received a customer or became available: the
--                          distribution gives the longest-idle asesor first.
ALTER TABLE asesores
    ADD COLUMN capacidad INT NOT NULL DEFAULT 1,
    ADD COLUMN presencia ENUM('disponible', 'en_pausa', 'desconectado') NOT NULL DEFAULT 'desconectado',
    ADD COLUMN motivo_pausa VARCHAR(40) NULL,
    ADD COLUMN presencia_desde DATETIME(6) NULL,
    ADD COLUMN timeouts_consecutivos INT NOT NULL DEFAULT 0,
    ADD COLUMN libre_desde DATETIME(6) NULL;

-- When a gateway last reported a live dashboard socket of each asesor
-- (sp_reportar_conectados, every few seconds from every gateway). A table of its own so
-- those reports never wait behind the distribution's locks on asesores rows; the rows are
-- written in asesor_id order, so two gateways reporting the same asesores cannot deadlock.
-- An asesor without a row was never seen by a gateway: nothing times its presence out.
CREATE TABLE asesores_conexion (
    asesor_id  BIGINT      NOT NULL,
    visto_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (asesor_id),
    -- sp_distribuir's stale-socket step reads (visto_at < cutoff): a range of this index.
    KEY idx_conexion_visto (visto_at),
    CONSTRAINT fk_conexion_asesor FOREIGN KEY (asesor_id) REFERENCES asesores (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Skills: the campaigns each asesor may be given customers of.
CREATE TABLE asesor_campanas (
    asesor_id   BIGINT      NOT NULL,
    campana_id  BIGINT      NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (asesor_id, campana_id),
    KEY idx_habilidad_campana (campana_id, asesor_id),
    CONSTRAINT fk_habilidad_asesor FOREIGN KEY (asesor_id) REFERENCES asesores (id),
    CONSTRAINT fk_habilidad_campana FOREIGN KEY (campana_id) REFERENCES campanas (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per presence change, written with its ASESOR_STATUS_CHANGED outbox event.
CREATE TABLE asesores_presencia (
    id               BIGINT      NOT NULL AUTO_INCREMENT,
    asesor_id        BIGINT      NOT NULL,
    estado_anterior  VARCHAR(20) NOT NULL,
    estado_nuevo     VARCHAR(20) NOT NULL,
    motivo_pausa     VARCHAR(40) NULL,
    actor            VARCHAR(10) NOT NULL,
    outbox_id        BIGINT      NOT NULL,
    created_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY idx_presencia_asesor (asesor_id, created_at),
    KEY idx_presencia_fecha (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO seguimiento_config (clave, valor, descripcion) VALUES
    ('pausa_timeouts_consecutivos', 3,
     'Consecutive timeouts after which the database pauses an asesor (reason timeouts); 0: never. A campaign may set its own'),
    ('presencia_socket_segundos', 90,
     'Seconds without a live dashboard socket reported by any gateway after which an asesor counts as desconectado'),
    ('nivel_servicio_segundos', 300,
     'Service-level target: a lead opened within this many seconds of its load counts as served in time'),
    ('distribucion_lote', 500,
     'Most customers one sp_distribuir run assigns');
