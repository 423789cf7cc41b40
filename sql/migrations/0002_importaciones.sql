-- Bulk lead import (sp_importar_lote). Each batch is one transaction recorded here under a
-- key derived from its content, so re-running an import after a crash loads nothing twice.
CREATE TABLE importaciones (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    clave       CHAR(64)     NOT NULL,
    origen      VARCHAR(255) NULL,
    cargados    INT          NOT NULL,
    rechazados  INT          NOT NULL,
    outbox_id   BIGINT       NULL,
    created_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_importaciones_clave (clave)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where an imported customer came from: its batch and line in the file.
ALTER TABLE clientes
    ADD COLUMN importacion_id BIGINT NULL AFTER datos,
    ADD COLUMN importacion_linea INT NULL AFTER importacion_id,
    ADD KEY idx_clientes_importacion (importacion_id);
