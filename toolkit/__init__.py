"""What the tests (``tests/``) and the benchmarks (``bench/``) both need, written once.

A package of its own, beside the two, rather than inside either: the benchmarks are not
tests and must not need pytest or a test's fixtures, and the tests must not import a
benchmark. It is not shipped (``pyproject.toml`` packages ``gateway`` only), and it is linted
and type-checked like the rest (``make lint``). Where the product itself needs a helper
(``gateway.db.connection.connect``, ``DatabaseUrl.secret_url``, ``gateway.db.embedded.free_port``),
that is its one home, and the toolkit, the tests and the benchmarks import it from there.

- ``toolkit.db``: plain connections that CALL a procedure and drain its result sets.
- ``toolkit.resources``: a process's CPU seconds and resident memory, from /proc.
- ``toolkit.gateways``: ``seguimiento serve`` (or the benchmarks' variant) as a subprocess.
- ``toolkit.metrics``: values out of a ``GET /metrics`` answer.
"""
