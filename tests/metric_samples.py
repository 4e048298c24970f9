"""Reading /metrics in tests: one sample's value, or several at once."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


async def sample(http, name: str, **labels: str) -> float:
    body = (await http.get("/metrics")).text
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def samples(http, spec: dict[str, tuple[str, dict[str, str]]]) -> dict[str, float]:
    return {key: await sample(http, name, **labels) for key, (name, labels) in spec.items()}
