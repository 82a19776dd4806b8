"""The shared metrics: MongoDB latency by command, consumer lag, build info, and multiprocess aggregation."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from kafka import TopicPartition
from prometheus_client import REGISTRY

from shared import metrics

ROOT = Path(__file__).resolve().parents[2]


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_mongo_command_is_timed_under_its_command_name_and_an_unknown_one_as_other():
    timer = metrics.MongoCommandTimer()
    before_find = _value("credbridge_mongo_command_seconds_count", command="find", outcome="ok")
    before_other = _value("credbridge_mongo_command_seconds_count", command="other", outcome="error")
    timer.succeeded(SimpleNamespace(command_name="find", duration_micros=2500))
    timer.failed(SimpleNamespace(command_name="someAdminCommandWithAnIdInItsName", duration_micros=10))
    assert _value("credbridge_mongo_command_seconds_count", command="find", outcome="ok") == before_find + 1
    assert _value("credbridge_mongo_command_seconds_count", command="other", outcome="error") == before_other + 1


def test_every_mongo_command_sent_counts_as_one_operation_labelled_by_its_command_name_alone():
    timer = metrics.MongoCommandTimer()
    before_update = _value("credbridge_mongo_operations_total", command="update")
    before_other = _value("credbridge_mongo_operations_total", command="other")
    timer.started(SimpleNamespace(command_name="update", database_name="tenant_db", request_id=7))
    timer.started(SimpleNamespace(command_name="t_1234abcd", database_name="x", request_id=8))
    assert _value("credbridge_mongo_operations_total", command="update") == before_update + 1
    assert _value("credbridge_mongo_operations_total", command="other") == before_other + 1


class FakeConsumer:
    def __init__(self, assigned, *, ends, committed):
        self.assigned, self.ends, self.committed_offsets = assigned, ends, committed

    def assignment(self):
        return set(self.assigned)

    def end_offsets(self, partitions):
        return {tp: self.ends[tp] for tp in partitions}

    def committed(self, tp, timeout_ms=None):
        return self.committed_offsets.get(tp)

    def position(self, tp, timeout_ms=None):
        return 0


def _lag(group, topic, partition):
    return REGISTRY.get_sample_value("credbridge_kafka_consumer_lag",
                                     {"group": group, "topic": topic, "partition": str(partition)})


def test_lag_is_the_end_offset_minus_the_committed_offset_per_partition():
    p0, p1 = TopicPartition("t.lag", 0), TopicPartition("t.lag", 1)
    consumer = FakeConsumer([p0, p1], ends={p0: 120, p1: 7}, committed={p0: 100})
    metrics.LagTracker("g-lag").update(consumer)
    assert _lag("g-lag", "t.lag", 0) == 20
    assert _lag("g-lag", "t.lag", 1) == 7  # never committed: everything from the start is behind


def test_a_partition_moved_to_another_replica_is_reported_as_zero_lag_by_its_former_owner():
    p0, p1 = TopicPartition("t.move", 0), TopicPartition("t.move", 1)
    consumer = FakeConsumer([p0, p1], ends={p0: 50, p1: 50}, committed={p0: 10, p1: 10})
    tracker = metrics.LagTracker("g-move", interval_s=0)
    tracker.update(consumer)
    consumer.assigned = [p0]
    tracker.update(consumer)
    assert _lag("g-move", "t.move", 0) == 40 and _lag("g-move", "t.move", 1) == 0


def test_lag_is_not_asked_of_the_broker_more_often_than_the_interval():
    p0 = TopicPartition("t.rate", 0)
    consumer = FakeConsumer([p0], ends={p0: 5}, committed={p0: 0})
    now = [100.0]
    tracker = metrics.LagTracker("g-rate", interval_s=5, clock=lambda: now[0])
    tracker.update(consumer)
    consumer.ends[p0] = 9
    now[0] += 1
    tracker.update(consumer)
    assert _lag("g-rate", "t.rate", 0) == 5
    now[0] += 5
    tracker.update(consumer)
    assert _lag("g-rate", "t.rate", 0) == 9


def test_build_info_names_the_installed_version_and_the_commit_from_the_environment(monkeypatch):
    monkeypatch.setenv("CREDBRIDGE_COMMIT", "abc1234")
    metrics.record_build_info("ingest")
    samples = [s for s in REGISTRY.collect() if s.name == "credbridge_build_info"][0].samples
    mine = [s for s in samples if s.labels.get("commit") == "abc1234" and s.labels["service"] == "ingest"]
    assert mine and mine[0].value == 1 and mine[0].labels["version"] == "0.1.0"


_CHILD = """
import sys
from shared import metrics
metrics.KAFKA_PUBLISHED.labels(topic="scores.computed").inc(int(sys.argv[1]))
metrics.KAFKA_LAG.labels(group="matching", topic="scores.computed", partition="0").set(int(sys.argv[1]))
"""


def test_counters_from_several_processes_add_up_in_one_exposition_and_a_lag_gauge_keeps_the_latest(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    for n in ("3", "4"):
        subprocess.run([sys.executable, "-c", _CHILD, n], env=env, check=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", "from shared import metrics; print(metrics.exposition()[0].decode())"],
                         env=env, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    assert 'credbridge_kafka_published_total{topic="scores.computed"} 7.0' in out
    assert 'credbridge_kafka_consumer_lag{group="matching",partition="0",topic="scores.computed"} 4.0' in out


def test_an_issuer_key_fetched_once_is_a_cache_miss_and_then_a_hit():
    from services.verification.keys import Resolver
    misses = _value("credbridge_verification_cache_total", kind="issuer_key", result="miss")
    hits = _value("credbridge_verification_cache_total", kind="issuer_key", result="hit")
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}
    loads = []
    resolver = Resolver(ttl_s=60, clock=lambda: 0.0,
                        fetch=lambda url: loads.append(url) or json.dumps({"keys": [jwk]}).encode())
    for _ in range(3):
        resolver.resolve_jwk_url("https://issuer.example/jwks.json#k1")
    assert len(loads) == 1
    assert _value("credbridge_verification_cache_total", kind="issuer_key", result="miss") == misses + 1
    assert _value("credbridge_verification_cache_total", kind="issuer_key", result="hit") == hits + 2


def _declared() -> dict[str, tuple[str, ...]]:
    import importlib
    for module in ("shared.metrics", "shared.fetch", "services.ingest.metrics", "services.verification.metrics",
                   "services.matching.metrics", "services.writeback.metrics"):
        importlib.import_module(module)
    return {c._name: tuple(c._labelnames) for c in list(REGISTRY._collector_to_names)
            if getattr(c, "_name", "").startswith("credbridge_")}


def test_every_declared_metric_is_in_the_catalogue():
    catalogue = (ROOT / "docs" / "metrics.md").read_text()
    declared = _declared()
    assert len(declared) >= 20
    missing = [name for name in declared if f"`{name}" not in catalogue]
    assert missing == []


def test_no_metric_is_labelled_by_an_id_an_email_or_a_url():
    forbidden = {"tenant", "application_id", "candidate_id", "credential_id", "event_id", "trace_id", "email",
                 "url", "path", "issuer", "role_id"}
    assert {name: labels for name, labels in _declared().items() if forbidden & set(labels)} == {}
