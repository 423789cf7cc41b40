-- v_replicacion: how far this server has got, for a reporting tool that reads a replica: the
-- newest outbox event it holds (id and when the primary committed it) and the seconds since.
-- Read it on the primary and on the replica: the difference of ultimo_evento_id is the events
-- the replica has yet to apply, and while the primary writes, segundos_desde_ultimo_evento on
-- the replica bounds its lag from above. (A view cannot read the replication status itself:
-- neither engine lets one refer to system variables or SHOW output, and MariaDB has no
-- performance_schema replication tables.) outbox_secuencia moves in the same transaction as
-- the event it numbers, so the id and the row agree on every server.
CREATE OR REPLACE VIEW v_replicacion AS
SELECT s.ultimo_id AS ultimo_evento_id,
       o.created_at AS ultimo_evento_en,
       TIMESTAMPDIFF(MICROSECOND, o.created_at, UTC_TIMESTAMP(6)) / 1000000 AS segundos_desde_ultimo_evento
  FROM outbox_secuencia s
  LEFT JOIN outbox o ON o.id = s.ultimo_id
 WHERE s.id = 1;
