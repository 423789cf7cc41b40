-- The database accounts `seguimiento grants` created for this schema, by role, so that
-- `seguimiento migrate` can install objects under the owner and re-grant the application
-- and reporting accounts after re-installing a procedure (a dropped procedure loses its grants).
CREATE TABLE cuentas_bd (
    rol      VARCHAR(16)  NOT NULL,
    usuario  VARCHAR(80)  NOT NULL,
    host     VARCHAR(255) NOT NULL,
    PRIMARY KEY (rol)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
