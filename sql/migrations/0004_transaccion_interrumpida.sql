-- How long a session left idle inside a seguimiento transaction keeps it: only an
-- interrupted CALL (KILL QUERY, a client's Ctrl-C) leaves one open, and on MySQL it keeps its
-- row locks, the outbox sequence's among them, until the server closes the session. See
-- _abrir_transaccion.
INSERT INTO seguimiento_config (clave, valor, descripcion) VALUES
    ('transaccion_interrumpida_segundos', 5,
     'Seconds a session left idle inside an interrupted procedure call keeps its transaction before the server closes it');
