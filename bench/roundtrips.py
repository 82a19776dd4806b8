"""Round trips per application: each service's MongoDB operations and Kafka records, scraped from /metrics before and
after a run (figures that do not depend on the machine, unlike the timings beside them)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import requests
from prometheus_client.parser import text_string_to_metric_families

# The samples counted, each summed over its labels but the one kept: MongoDB commands by name, records by topic.
COUNTED = {"credbridge_mongo_operations_total": "command", "credbridge_kafka_published_total": "topic",
           "credbridge_kafka_consumed_total": "topic"}
KINDS = {"credbridge_mongo_operations_total": "mongo", "credbridge_kafka_published_total": "produced",
         "credbridge_kafka_consumed_total": "consumed"}

Snapshot = dict[str, Counter]  # service -> {(kind, label value): count}
Get = Callable[[str], str]


def _get(url: str) -> str:
    r = requests.get(url, timeout=10)
    r.raise_for_status()
    return r.text


def parse(text: str) -> Counter:
    """{(kind, label value): count} from one Prometheus exposition."""
    found: Counter = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            label = COUNTED.get(sample.name)
            if label is not None:
                found[(KINDS[sample.name], sample.labels.get(label, ""))] += sample.value
    return found


def snapshot(endpoints: Mapping[str, str], *, get: Get = _get) -> Snapshot:
    """Every service's counters now; `endpoints` maps a service name to its /metrics URL."""
    return {name: parse(get(url)) for name, url in endpoints.items()}


def per_application(before: Snapshot, after: Snapshot, applications: int) -> dict[str, dict[str, float]]:
    """service -> {"mongo": ops, "produced": records, "consumed": records, "mongo.<command>": ops} per application."""
    out: dict[str, dict[str, float]] = {}
    for name in after:
        delta = after[name] - before.get(name, Counter())
        row: dict[str, float] = {"mongo": 0.0, "produced": 0.0, "consumed": 0.0}
        for (kind, label), n in delta.items():
            row[kind] += n / applications
            if kind == "mongo":
                row[f"mongo.{label}"] = n / applications
        out[name] = row
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one line per service, then the pipeline's total."""
    lines = ["| service | MongoDB ops / application | of which | Kafka records produced / consumed |",
             "|---|---:|---|---:|"]
    total = Counter()
    for name, row in rows.items():
        detail = ", ".join(f"{k.removeprefix('mongo.')} {v:.2f}" for k, v in sorted(row.items(), key=lambda kv: -kv[1])
                           if k.startswith("mongo.") and v >= 0.005)
        lines.append(f"| {name} | {row['mongo']:.2f} | {detail or '-'} | {row['produced']:.2f} / {row['consumed']:.2f} |")
        total.update({k: row[k] for k in ("mongo", "produced", "consumed")})
    lines.append(f"| **whole pipeline** | **{total['mongo']:.2f}** | | {total['produced']:.2f} / {total['consumed']:.2f} |")
    return "\n".join(lines)
