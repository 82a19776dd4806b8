"""Metrics used by every service, and the /metrics view that is correct under several gunicorn workers."""
from __future__ import annotations

import os
import time
from importlib import metadata
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from kafka.errors import KafkaError
from prometheus_client import multiprocess
from pymongo import monitoring

# Labels come from small fixed sets only: route templates, methods, status codes, topic names.
HTTP_REQUESTS = Counter("credbridge_http_requests_total", "HTTP requests answered.",
                        ["service", "route", "method", "status"])
HTTP_LATENCY = Histogram("credbridge_http_request_seconds", "HTTP request latency.", ["service", "route", "method"])
KAFKA_PUBLISHED = Counter("credbridge_kafka_published_total", "Events acknowledged by the broker.", ["topic"])
KAFKA_CONSUMED = Counter("credbridge_kafka_consumed_total", "Messages consumed, by outcome.", ["topic", "outcome"])
KAFKA_RETRIED = Counter("credbridge_kafka_retried_total", "Handler retries after a transient failure.", ["topic"])
KAFKA_DEAD_LETTERED = Counter("credbridge_kafka_dead_lettered_total", "Messages sent to a dead-letter topic.", ["topic"])
KAFKA_PAUSES = Counter("credbridge_kafka_dependency_pauses_total",
                       "Times the consumer loop stepped back to re-read a message because a dependency stayed away.",
                       ["topic", "dependency"])
KAFKA_PRODUCERS_REPLACED = Counter("credbridge_kafka_producers_replaced_total",
                                   "Producers discarded after an unacknowledged publish (a fresh one takes over).")
KAFKA_COMMIT_FAILURES = Counter("credbridge_kafka_commit_failures_total",
                                "Offset commits the broker refused (usually a rebalance); the records are handled again.",
                                ["group"])
RATE_LIMITED = Counter("credbridge_rate_limited_total",
                       "Requests answered 429 because their tenant (or, for anonymous /v1/verify, their address) was over its limit.",
                       ["scope"])
KAFKA_BATCHES_CUT = Counter("credbridge_kafka_batches_cut_total",
                            "Poll batches stopped at CONSUMER_BATCH_BUDGET_SECONDS; the rest is read by the next poll.",
                            ["group"])
KAFKA_COMMITTED = Counter("credbridge_kafka_committed_total",
                          "Records a consumer group committed past (handled or dead-lettered): the rate its backlog drains at.",
                          ["group", "topic"])
# One process owns a partition at a time and a revoked partition is set to 0 by its former owner,
# so the most recent write across a service's processes is the true lag.
KAFKA_LAG = Gauge("credbridge_kafka_consumer_lag", "Messages not yet committed (end offset minus position).",
                  ["group", "topic", "partition"], multiprocess_mode="mostrecent")
# Round trips, the figure that does not depend on the machine: bench/pipeline.py prints it per application.
MONGO_OPERATIONS = Counter("credbridge_mongo_operations_total",
                           "MongoDB commands sent (one bulk write of many documents is one), by command name.", ["command"])
MONGO_SECONDS = Histogram("credbridge_mongo_command_seconds", "MongoDB command latency, by command and outcome.",
                          ["command", "outcome"], buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
# A constant 1 whose labels say what is running; "max" keeps one series however many workers set it.
BUILD_INFO = Gauge("credbridge_build_info", "Always 1; labels name the running version and commit.",
                   ["service", "version", "commit"], multiprocess_mode="max")

# Command names are the driver's, but a `runCommand` could send anything: unknown ones become "other".
MONGO_COMMANDS = frozenset({
    "find", "insert", "update", "delete", "findAndModify", "aggregate", "count", "distinct", "getMore",
    "createIndexes", "listIndexes", "ping", "hello", "isMaster", "killCursors", "endSessions", "listCollections",
    "dropDatabase", "drop", "bulkWrite",
})


def registry() -> CollectorRegistry:
    """In multiprocess mode a fresh registry aggregates every worker's files; otherwise the default one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    from prometheus_client import REGISTRY
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def serve_worker_metrics(port: int, addr: str, *, readiness: Callable[[], tuple[bool, dict]]) -> None:
    """Kafka workers are not behind gunicorn: each serves its own /metrics when given a port, beside /healthz and
    /readyz from its consumer loop's `readiness` (shared/worker_http.py)."""
    if port:
        from shared import worker_http  # it serves this module's exposition
        worker_http.serve(port, addr, readiness=readiness)


def record_build_info(service: str) -> None:
    """Sets credbridge_build_info; the commit comes from CREDBRIDGE_COMMIT (stamped into the image)."""
    from shared.settings import Settings
    try:
        version = metadata.version("credbridge")
    except metadata.PackageNotFoundError:
        version = "unknown"
    BUILD_INFO.labels(service=service, version=version, commit=Settings.from_env().build_commit or "unknown").set(1)


class MongoCommandTimer(monitoring.CommandListener):
    """pymongo command monitoring: round trips and latency by command name only (never the database, filter or
    document)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # Counted when sent, so a command that fails or times out is a round trip too; the duration comes later.
        MONGO_OPERATIONS.labels(command=_command_label(event.command_name)).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observe(event.command_name, "ok", event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event.command_name, "error", event.duration_micros)

    @staticmethod
    def _observe(command: str, outcome: str, micros: int) -> None:
        MONGO_SECONDS.labels(command=_command_label(command), outcome=outcome).observe(micros / 1_000_000)


def _command_label(command: str) -> str:
    return command if command in MONGO_COMMANDS else "other"


class LagTracker:
    """Sets credbridge_kafka_consumer_lag for a consumer's partitions, at most every `interval_s`.

    Lag is the broker's end offset minus the group's committed offset. Partitions that moved to
    another replica are set to 0 here, so the new owner's value is the only one that counts.
    """

    def __init__(self, group: str, *, interval_s: float = 5.0, clock=time.monotonic):
        self.group, self.interval_s, self._clock = group, interval_s, clock
        self._last = float("-inf")
        self._reported: set = set()

    def update(self, consumer) -> None:
        now = self._clock()
        if now - self._last < self.interval_s:
            return
        self._last = now
        assigned = set(consumer.assignment())
        for tp in self._reported - assigned:
            KAFKA_LAG.labels(group=self.group, topic=tp.topic, partition=str(tp.partition)).set(0)
        try:
            ends = consumer.end_offsets(list(assigned)) if assigned else {}
            # The committed offset, not the fetch position: a fetched batch is not done until committed.
            positions = {tp: _committed_or_position(consumer, tp) for tp in assigned}
        except KafkaError:
            return  # a rebalance or broker hiccup: the next update reports it
        for tp in assigned:
            lag = max(ends.get(tp, 0) - positions[tp], 0)
            KAFKA_LAG.labels(group=self.group, topic=tp.topic, partition=str(tp.partition)).set(lag)
        self._reported = assigned


def _committed_or_position(consumer, tp) -> int:
    committed = consumer.committed(tp, timeout_ms=2000)
    return committed if committed is not None else consumer.position(tp, timeout_ms=2000)
