"""The gateway's counters for ``GET /metrics``, kept and rendered by ``prometheus-client``.

Each app has a registry of its own (not the library's global default one): tests run
several gateways in one process, and each must count only its own requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# Upper bounds (seconds) of the procedure latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# The library adds a `<name>_created` series (a start timestamp) to every counter and
# histogram; the gateway never had them, and a scraper knows when the process started.
prometheus_client.disable_created_metrics()

# Labels of a live value -> the value: (("role", "gtr"),) -> 3.0; () for no labels.
GaugeValues = dict[tuple[tuple[str, str], ...], float]

_GAUGE_HELP = {
    "seguimiento_websocket_connections": "Connected WebSockets, by role.",
    "seguimiento_outbox_tailed_id": "The last outbox id this gateway delivered.",
    "seguimiento_outbox_tail_lag_seconds": "Seconds since the tailer last read the outbox successfully.",
    "seguimiento_database_up": "1 when the last database call reached the server, else 0.",
    "seguimiento_token_cache_entries": "Tokens (live and unknown) this process remembers (gateway/web/sessions.py).",
}


class _LiveValues(Collector):
    """Gauges read when /metrics is scraped, from values other objects own."""

    def __init__(self, gauges: dict[str, Callable[[], GaugeValues]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, read in sorted(self.gauges.items()):
            values = read()
            label_names = [key for key, _value in next(iter(values), ())]
            family = GaugeMetricFamily(name, _GAUGE_HELP.get(name, name), labels=label_names)
            for labels, value in sorted(values.items()):
                family.add_metric([value for _key, value in labels], value)
            yield family


class Metrics:
    """One app's counters, in its own registry. No locking needed: one event loop."""

    def __init__(self) -> None:
        self.started = time.time()
        self.registry = CollectorRegistry()
        registry = self.registry
        self._requests = Counter("seguimiento_http_requests", "HTTP requests answered, by route and status.",
                                 ("method", "route", "status"), registry=registry)
        self._calls = Counter("seguimiento_procedure_calls", "Stored procedure calls, by outcome.",
                              ("procedure", "outcome"), registry=registry)
        self._seconds = Histogram("seguimiento_procedure_seconds", "Stored procedure call latency.",
                                  ("procedure",), buckets=LATENCY_BUCKETS, registry=registry)
        self._read = Counter("seguimiento_events_read", "Outbox events read by the tailer.", registry=registry)
        self._delivered = Counter("seguimiento_events_delivered", "WebSocket messages written to sockets.",
                                  registry=registry)
        # Sweeps this gateway ran because the primary's own event did not (gateway/web/sweeper.py).
        self._sweeps = Counter("seguimiento_gateway_sweeps", "Sweeps this gateway ran because the primary's "
                               "sweep event does not run (after a promotion).", registry=registry)
        self._swept = Counter("seguimiento_gateway_swept_customers", "Customers those sweeps returned to GTR.",
                              registry=registry)
        self._drops = Counter("seguimiento_websocket_drops", "Sockets the gateway closed, by reason.", ("reason",),
                              registry=registry)
        # Read when rendering: live values owned by other objects (name -> reader).
        self.gauges: dict[str, Callable[[], GaugeValues]] = {}
        registry.register(_LiveValues(self.gauges))

    # -- counting --------------------------------------------------------------------------

    def request(self, method: str, route: str, status: int) -> None:
        """An HTTP request answered."""
        self._requests.labels(method, route, str(status)).inc()

    def procedure_call(self, procedure: str, outcome: str, seconds: float) -> None:
        """A stored procedure call returned (``outcome``: ``ok`` or the exception's name)."""
        self._calls.labels(procedure, outcome).inc()
        self._seconds.labels(procedure).observe(seconds)

    def events_read(self, count: int) -> None:
        """The tailer read ``count`` outbox events."""
        self._read.inc(count)

    def events_delivered(self, messages: int) -> None:
        """``messages`` WebSocket messages written to a socket."""
        self._delivered.inc(messages)

    def socket_dropped(self, reason: str) -> None:
        """The gateway closed a socket (``overflow``, ``resync``)."""
        self._drops.labels(reason).inc()

    def gateway_swept(self, returned: int) -> None:
        """This gateway ran a sweep, which returned ``returned`` customers to GTR."""
        self._sweeps.inc()
        self._swept.inc(returned)

    # -- reading (tests, and the procedure-call counts they compare) -----------------------

    @property
    def calls(self) -> dict[tuple[str, str], int]:
        """Procedure calls so far, by (procedure, outcome)."""
        return {(sample.labels["procedure"], sample.labels["outcome"]): int(sample.value)
                for family in self._calls.collect() for sample in family.samples if sample.name.endswith("_total")}

    def value(self, name: str, **labels: str) -> float:
        """One series' value as /metrics shows it (0 when it has none yet)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        return prometheus_client.generate_latest(self.registry).decode("utf-8")

