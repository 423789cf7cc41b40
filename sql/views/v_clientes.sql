-- v_clientes: every customer as reporting tools may see it (the lock token, a secret of the
-- asesor's session, is left out).
CREATE OR REPLACE VIEW v_clientes AS
SELECT c.id AS cliente_id, c.nombre, c.telefono, c.datos, c.seguimiento_status, c.asesor_asignado,
       c.created_at, c.derivado_at, c.opened_at, c.last_activity, c.wizard_completado,
       c.fecha_wizard_completado, (c.lock_token IS NOT NULL) AS bloqueado, c.updated_at
  FROM clientes c;
