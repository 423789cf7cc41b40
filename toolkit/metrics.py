"""Values out of a ``GET /metrics`` answer, parsed by ``prometheus-client`` (the library the
gateway renders them with): label order and number formatting are the library's business,
so a test never matches the text itself."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str, name: str, **labels: str) -> list[float]:
    """The values of the series named ``name`` (a sample name: ``..._total``, ``..._count``)
    whose labels include ``labels``."""
    return [sample.value for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of those values; 0 when there is none (a counter not counted yet)."""
    return sum(samples(text, name, **labels))
