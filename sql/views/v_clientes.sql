-- v_clientes: every customer as reporting tools may see it (the lock token, a secret of the
-- asesor's session, is left out). vence_at: when the sweep returns an active customer to
-- GTR unless the asesor acts first (last_activity + timeout_segundos; NULL when inactive).
CREATE OR REPLACE VIEW v_clientes AS
SELECT c.id AS cliente_id, c.nombre, c.telefono, c.datos, c.seguimiento_status, c.asesor_asignado,
       c.created_at, c.derivado_at, c.opened_at, c.last_activity, c.wizard_completado,
       c.fecha_wizard_completado, (c.lock_token IS NOT NULL) AS bloqueado, c.updated_at,
       c.last_activity + INTERVAL cfg.valor SECOND AS vence_at
  FROM clientes c
  JOIN seguimiento_config cfg ON cfg.clave = 'timeout_segundos';
