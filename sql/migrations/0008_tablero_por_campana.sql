-- The GTR board filtered by campaign (issue 13), read by the server: sp_listar_clientes_de_campana
-- asks for one campaign's customers in one state, newest first. This index answers it as an
-- equality prefix read backwards in id order (LIMIT n costs n rows) and its count as a range,
-- so a small campaign on a large floor costs what its own customers cost.
ALTER TABLE clientes
    ADD KEY idx_campana_estado (campana_id, seguimiento_status, id);
