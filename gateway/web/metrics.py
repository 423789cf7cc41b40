"""The gateway's counters, rendered in the Prometheus text format for ``GET /metrics``."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

# Upper bounds (seconds) of the procedure latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """In-process counters. One instance per gateway process; no locking needed (one loop)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.call_buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(LATENCY_BUCKETS))
        self.call_sum: dict[str, float] = defaultdict(float)
        self.call_count: dict[str, int] = defaultdict(int)
        self.events_delivered = 0
        self.events_read = 0
        self.socket_drops: dict[str, int] = defaultdict(int)
        # Sweeps this gateway ran because the primary's own event did not (gateway/web/sweeper.py).
        self.gateway_sweeps = 0
        self.gateway_swept = 0
        # Read when rendering: live values owned by other objects.
        self.gauges: dict[str, Callable[[], dict[tuple[tuple[str, str], ...], float]]] = {}

    def request(self, method: str, route: str, status: int) -> None:
        self.requests[(method, route, status)] += 1

    def procedure_call(self, procedure: str, outcome: str, seconds: float) -> None:
        self.calls[(procedure, outcome)] += 1
        self.call_sum[procedure] += seconds
        self.call_count[procedure] += 1
        buckets = self.call_buckets[procedure]
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                buckets[i] += 1

    def procedure_calls_total(self) -> int:
        return sum(self.calls.values())

    def render(self) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family("seguimiento_http_requests_total", "counter", "HTTP requests answered, by route and status.")
        for (method, route, status), n in sorted(self.requests.items()):
            out.append(f'seguimiento_http_requests_total{{method="{method}",route="{_esc(route)}",'
                       f'status="{status}"}} {n}')
        family("seguimiento_procedure_calls_total", "counter", "Stored procedure calls, by outcome.")
        for (procedure, outcome), n in sorted(self.calls.items()):
            out.append(f'seguimiento_procedure_calls_total{{procedure="{procedure}",outcome="{outcome}"}} {n}')
        family("seguimiento_procedure_seconds", "histogram", "Stored procedure call latency.")
        for procedure in sorted(self.call_count):
            for bound, n in zip(LATENCY_BUCKETS, self.call_buckets[procedure], strict=True):
                out.append(f'seguimiento_procedure_seconds_bucket{{procedure="{procedure}",le="{bound}"}} {n}')
            count = self.call_count[procedure]
            out.append(f'seguimiento_procedure_seconds_bucket{{procedure="{procedure}",le="+Inf"}} {count}')
            out.append(f'seguimiento_procedure_seconds_sum{{procedure="{procedure}"}} '
                       f'{self.call_sum[procedure]:.6f}')
            out.append(f'seguimiento_procedure_seconds_count{{procedure="{procedure}"}} {count}')
        family("seguimiento_events_read_total", "counter", "Outbox events read by the tailer.")
        out.append(f"seguimiento_events_read_total {self.events_read}")
        family("seguimiento_events_delivered_total", "counter", "WebSocket messages written to sockets.")
        out.append(f"seguimiento_events_delivered_total {self.events_delivered}")
        family("seguimiento_gateway_sweeps_total", "counter",
               "Sweeps this gateway ran because the primary's sweep event does not run (after a promotion).")
        out.append(f"seguimiento_gateway_sweeps_total {self.gateway_sweeps}")
        family("seguimiento_gateway_swept_customers_total", "counter", "Customers those sweeps returned to GTR.")
        out.append(f"seguimiento_gateway_swept_customers_total {self.gateway_swept}")
        family("seguimiento_websocket_drops_total", "counter", "Sockets the gateway closed, by reason.")
        for reason, n in sorted(self.socket_drops.items()):
            out.append(f'seguimiento_websocket_drops_total{{reason="{reason}"}} {n}')
        for name, read in sorted(self.gauges.items()):
            family(name, "gauge", _GAUGE_HELP.get(name, name))
            for labels, value in sorted(read().items()):
                label_text = ",".join(f'{k}="{_esc(v)}"' for k, v in labels)
                out.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
        return "\n".join(out) + "\n"


_GAUGE_HELP = {
    "seguimiento_websocket_connections": "Connected WebSockets, by role.",
    "seguimiento_outbox_tailed_id": "The last outbox id this gateway delivered.",
    "seguimiento_outbox_tail_lag_seconds": "Seconds since the tailer last read the outbox successfully.",
    "seguimiento_database_up": "1 when the last database call reached the server, else 0.",
    "seguimiento_token_cache_entries": "Tokens (live and unknown) this process remembers (gateway/web/sessions.py).",
}


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
