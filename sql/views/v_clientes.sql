-- v_clientes: every customer as reporting tools may see it (the lock token, a secret of the
-- asesor's session, is left out). vence_at: when the sweep returns an active customer to
-- GTR unless the asesor acts first (last_activity + its timeout: its campaign's, or
-- timeout_segundos; NULL when inactive). campana_id, prioridad: its routing; devoluciones:
-- times it was returned; en_cola: waiting in its campaign's automatic queue.
CREATE OR REPLACE VIEW v_clientes AS
SELECT c.id AS cliente_id, c.nombre, c.telefono, c.datos, c.seguimiento_status, c.asesor_asignado,
       c.created_at, c.derivado_at, c.opened_at, c.last_activity, c.wizard_completado,
       c.fecha_wizard_completado, (c.lock_token IS NOT NULL) AS bloqueado, c.updated_at,
       c.vence_en AS vence_at,
       c.campana_id, c.prioridad, c.devoluciones, c.en_cola
  FROM clientes c;
