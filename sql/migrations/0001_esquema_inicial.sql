-- Initial schema. Tables are private to the stored procedures: dashboards go through the
-- gateway, DBAs call the procedures, reporting tools read the views (sql/views/).
-- Landed migrations are never edited; add a new numbered file instead.

CREATE TABLE asesores (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    nombre      VARCHAR(120) NOT NULL,
    activo      TINYINT(1)   NOT NULL DEFAULT 1,
    created_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE clientes (
    id                       BIGINT       NOT NULL AUTO_INCREMENT,
    nombre                   VARCHAR(200) NOT NULL,
    telefono                 VARCHAR(16)  NULL,
    datos                    JSON         NULL,
    seguimiento_status       ENUM('nuevo', 'derivado', 'en_gestion', 'terminado', 'no_gestionado')
                                          NOT NULL DEFAULT 'nuevo',
    asesor_asignado          BIGINT       NULL,
    created_at               DATETIME(6)  NOT NULL,
    derivado_at              DATETIME(6)  NULL,
    opened_at                DATETIME(6)  NULL,
    last_activity            DATETIME(6)  NULL,
    wizard_completado        TINYINT(1)   NOT NULL DEFAULT 0,
    fecha_wizard_completado  DATETIME(6)  NULL,
    -- The edit lock: a secret token handed to the assigned asesor by sp_tomar_cliente.
    -- It lives while the customer is not idle for timeout_segundos; reassignment, release,
    -- completion and the sweep drop it.
    lock_token               CHAR(36)     NULL,
    lock_asesor_id           BIGINT       NULL,
    updated_at               DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    -- The sweep reads (status IN (derivado, en_gestion), last_activity < cutoff): a range
    -- scan on this index, never the whole table.
    KEY idx_seguimiento_activity (seguimiento_status, last_activity),
    KEY idx_last_activity (last_activity),
    KEY idx_asesor_status (asesor_asignado, seguimiento_status),
    KEY idx_telefono (telefono),
    CONSTRAINT fk_clientes_asesor FOREIGN KEY (asesor_asignado) REFERENCES asesores (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every outbox event: ids come from outbox_secuencia, not AUTO_INCREMENT, so they are
-- gap-free and become visible in id order (see sql/procedures/_registrar_cambio.sql).
CREATE TABLE outbox (
    id                  BIGINT       NOT NULL,
    event_type          VARCHAR(40)  NOT NULL,
    cliente_id          BIGINT       NULL,
    asesor_id           BIGINT       NULL,
    previous_asesor_id  BIGINT       NULL,
    payload             JSON         NOT NULL,
    created_at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY idx_outbox_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row. Writers of outbox rows lock it as the last step before commit: that
-- serialises event commits, so a reader that keeps "last id seen" never skips one.
CREATE TABLE outbox_secuencia (
    id         TINYINT NOT NULL,
    ultimo_id  BIGINT  NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO outbox_secuencia (id, ultimo_id) VALUES (1, 0);

-- One row per change of a customer, written in the same transaction as the change and
-- its outbox row (outbox_id links them). A bulk import writes one history row per customer
-- and one summarising outbox event for the batch, so outbox_id is not unique.
CREATE TABLE clientes_historial (
    id                  BIGINT       NOT NULL AUTO_INCREMENT,
    cliente_id          BIGINT       NOT NULL,
    estado_anterior     VARCHAR(20)  NULL,
    estado_nuevo        VARCHAR(20)  NOT NULL,
    asesor_id           BIGINT       NULL,
    asesor_anterior_id  BIGINT       NULL,
    actor               VARCHAR(10)  NOT NULL,
    motivo              VARCHAR(40)  NOT NULL,
    outbox_id           BIGINT       NOT NULL,
    created_at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY idx_historial_outbox (outbox_id),
    KEY idx_historial_cliente (cliente_id, created_at),
    KEY idx_historial_fecha (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE seguimiento_config (
    clave        VARCHAR(64)  NOT NULL,
    valor        BIGINT       NOT NULL,
    descripcion  VARCHAR(255) NOT NULL,
    PRIMARY KEY (clave)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO seguimiento_config (clave, valor, descripcion) VALUES
    ('timeout_segundos', 300,
     'Seconds without asesor activity before the sweep returns a customer to GTR as no_gestionado'),
    ('outbox_retencion_horas', 168,
     'Hours an outbox event is kept; dashboards resuming from an older id get RESYNC_REQUIRED'),
    ('barrido_lote', 1000,
     'Most customers one sweep transaction returns; a run repeats batches while they come back full'),
    ('barrido_lotes_max', 20,
     'Most batches in one sweep run, so a run stays well under the 30 s schedule');

-- Bearer tokens of the gateway, stored as SHA-256 hashes only (the token itself is shown
-- once, by `seguimiento token create`). A gtr token has no asesor; an asesor token acts
-- only as its asesor.
CREATE TABLE api_tokens (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    token_sha256  CHAR(64)     NOT NULL,
    rol           ENUM('gtr', 'asesor') NOT NULL,
    asesor_id     BIGINT       NULL,
    descripcion   VARCHAR(200) NULL,
    created_at    DATETIME(6)  NOT NULL,
    revoked_at    DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_tokens_hash (token_sha256),
    CONSTRAINT fk_tokens_asesor FOREIGN KEY (asesor_id) REFERENCES asesores (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which file installed each procedure, view and event, and its checksum: migrate
-- re-installs an object only when its file changed or the object is missing.
CREATE TABLE objetos_instalados (
    nombre        VARCHAR(64)  NOT NULL,
    tipo          VARCHAR(16)  NOT NULL,
    sha256        CHAR(64)     NOT NULL,
    instalado_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (tipo, nombre)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
