"""Kafka producer and topic administration shared by the services."""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (InvalidRecordError, KafkaError, MessageSizeTooLargeError, RecordListTooLargeError,
                          TopicAlreadyExistsError)
from kafka.record.default_records import DefaultRecordBatchBuilder

from shared import events
from shared.metrics import KAFKA_PRODUCERS_REPLACED, KAFKA_PUBLISHED
from shared.settings import Settings, UnsafeSettings

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The broker did not acknowledge in time; the caller must not report success."""


class RecordRefused(Exception):
    """The broker will never take this record (too large, invalid), however often it is sent.

    Not an outage, so not a PublishError: retrying it would only hold the partition that produced it.
    A webhook answers it with a 4xx, a consumer dead-letters the message whose handling produced it.
    """


# Errors about the record itself, not the broker's health (kafka-python raises the size one before sending).
_REFUSED = (MessageSizeTooLargeError, RecordListTooLargeError, InvalidRecordError)


def record_size(key: bytes | None, value: bytes, headers: list | None = None) -> int:
    """The producer's own upper bound on a record's size, which it compares with max_request_size."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers or [])


def message_key(event: events.Event) -> bytes:
    # Every event of one application shares a key, so it lands on one partition and stays in order.
    entity = event.payload.get("application_id") or event.payload.get("application", {}).get("id") or event.event_id
    return f"{event.tenant}:{entity}".encode()


class Publisher:
    """Publishes envelopes with acks=all and idempotence; `publish` returns only once all are acknowledged.

    A producer whose publish went unacknowledged is discarded and the next publish builds a fresh one.
    kafka-python 3.0.12's idempotent producer never sends again once a batch it had already sent expires
    (a broker restart longer than the delivery timeout does it: bench/repro/kafka_python_idempotent_wedge.py);
    a new producer, with a new producer id, is unaffected. Safe to share between threads.
    """

    def __init__(self, settings: Settings, *, client_id: str = "credbridge", producer_factory=KafkaProducer):
        timeout_ms = int(settings.kafka_publish_timeout_s * 1000)
        self._timeout_s = settings.kafka_publish_timeout_s
        self._factory = producer_factory
        self._config = dict(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=1,
            # Bounded so a webhook gets its 503 instead of hanging while the broker is away.
            max_block_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=max(timeout_ms - 500, 1000),
            delivery_timeout_ms=timeout_ms + 1000,
            reconnect_backoff_max_ms=1000,
            max_request_size=settings.kafka_max_record_bytes,
        )
        self._max_record_bytes = settings.kafka_max_record_bytes
        self._lock = threading.Lock()
        self._producer = None  # built by the first publish, so a service can start before the broker is up

    def publish(self, batch: list[events.Event]) -> None:
        self._deliver([(e.topic, message_key(e), events.encode(e), None) for e in batch])

    def publish_raw(self, topic: str, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        # Dead letters (topic *.dlq) and replays go this way, and count as published too.
        self._deliver([(topic, key, value, headers)])

    def check(self, batch: list[events.Event]) -> None:
        """Raises RecordRefused now if `publish(batch)` would refuse a record for its size."""
        self._check([(e.topic, message_key(e), events.encode(e), None) for e in batch])

    def _check(self, records: list[tuple[str, bytes | None, bytes, list | None]]) -> None:
        for topic, key, value, headers in records:
            size = record_size(key, value, headers)
            if size > self._max_record_bytes:
                raise RecordRefused(f"a {topic} record of {size} bytes is over the {self._max_record_bytes}-byte limit")

    def _deliver(self, records: list[tuple[str, bytes | None, bytes, list | None]]) -> None:
        # Checked for the whole batch before anything is sent, so a refused batch publishes none of its records.
        self._check(records)
        deadline = time.monotonic() + self._timeout_s
        producer = self._current()
        try:
            futures = [producer.send(topic, key=key, value=value, headers=headers)
                       for topic, key, value, headers in records]
            for f in futures:
                f.get(timeout=max(deadline - time.monotonic(), 0.05))
        except _REFUSED as exc:
            self._discard(producer)  # a refused batch may leave the idempotent producer's sequence behind
            raise RecordRefused(f"the broker refused the record: {type(exc).__name__}") from exc
        except KafkaError as exc:
            self._discard(producer)
            raise PublishError(type(exc).__name__) from exc
        for topic, *_ in records:
            KAFKA_PUBLISHED.labels(topic=topic).inc()

    def close(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            _close(producer, timeout_s=self._timeout_s)

    def _current(self):
        with self._lock:
            if self._producer is None:
                try:
                    self._producer = self._factory(**self._config)
                except KafkaError as exc:  # the broker is away: no bootstrap within the publish timeout
                    raise PublishError(type(exc).__name__) from exc
            return self._producer

    def _discard(self, failed) -> None:
        with self._lock:
            if self._producer is not failed:
                return  # another thread already replaced it
            self._producer = None
        KAFKA_PRODUCERS_REPLACED.inc()
        log.warning("publish unacknowledged; the producer is replaced before the next publish")
        _close(failed, timeout_s=0)


class Deferred:
    """A poll batch's publishes, held and sent in one call (one wait for the broker) once the batch is handled.

    Its `flush` is the consumer loop's `batch_end`, run before the batch's offsets are committed, so a record is
    still published before its source is committed. A record too large is refused when it is handed over, so the
    message that produced it is dead-lettered alone; the broker being away at `flush` has the loop read the whole
    batch again (its handlers are idempotent, their event ids derived).

    `send_held` sends what is held before the worker waits on something slow (a fetch from the web), so a quick
    message's events never wait behind a slow one's; it is best-effort, `flush` still answers for the batch.
    """

    def __init__(self, publisher: Publisher):
        self._publisher = publisher
        self._held: list[events.Event] = []

    def publish(self, batch: list[events.Event]) -> None:
        self._publisher.check(batch)
        self._held += batch

    def flush(self) -> int:
        held, self._held = self._held, []
        if held:
            self._publisher.publish(held)
        return len(held)

    def send_held(self) -> None:
        if not self._held:
            return
        try:
            self._publisher.publish(self._held)
        except (PublishError, RecordRefused):
            return  # still held: the batch's end publishes it, or has the loop read the batch again
        self._held = []


def _close(producer, *, timeout_s: float) -> None:
    try:
        producer.close(timeout=timeout_s)
    except KafkaError:
        # kafka-python's close() flushes first and raises if records are still pending, before it reaches
        # its own force close, which would leave the sender thread running: stop it directly.
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()


def topic_configs(settings: Settings) -> dict[str, str]:
    """What credbridge's topics are created with: acks=all is only as good as min.insync.replicas, so with three
    replicas two must hold a record before it is acknowledged (one broker may fail without losing it)."""
    return {"min.insync.replicas": str(max(1, min(2, settings.kafka_replication_factor - 1)))}


def ensure_topics(settings: Settings, topics: Iterable[str] = events.ALL_TOPICS) -> list[str]:
    """Creates each topic and its dead-letter topic if missing (auto-creation is off on the broker).

    Outside development mode it refuses fewer than three replicas, and topics (made earlier, or by hand) that
    let fewer than two replicas acknowledge a record: acks=all with one in-sync replica acknowledges a record
    that one broker's loss would take with it.
    """
    if settings.environment != "development" and settings.kafka_replication_factor < 3:
        raise UnsafeSettings(f"KAFKA_REPLICATION_FACTOR={settings.kafka_replication_factor}: production needs 3 "
                             "(three brokers, min.insync.replicas=2), or CREDBRIDGE_ENV=development for a local run")
    wanted = []
    for t in topics:
        wanted += [t, events.dlq_topic(t)]
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","), client_id="credbridge-admin")
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(t, settings.kafka_topic_partitions, settings.kafka_replication_factor,
                        topic_configs=topic_configs(settings)) for t in wanted if t not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # another process created them first
        if settings.environment != "development" and (thin := thin_topics(admin, wanted)):
            raise UnsafeSettings(f"topics with min.insync.replicas below 2: {', '.join(thin)} (kafka-configs.sh "
                                 "--alter --add-config min.insync.replicas=2)")
        return [t.name for t in new]
    finally:
        admin.close()


def thin_topics(admin: KafkaAdminClient, topics: Iterable[str]) -> list[str]:
    """The topics whose min.insync.replicas (their own, or the broker's default) is below 2."""
    # kafka-python reads a None value as "describe this key" (its stubs type configs for alter_configs only).
    wanted: dict = {"min.insync.replicas": None}
    found = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs=wanted) for t in topics],
                                   config_filter="all")
    configs = found.get("topic", {})
    return sorted(t for t in topics
                  if int(configs.get(t, {}).get("min.insync.replicas", {}).get("value", "1")) < 2)


def group_lag(bootstrap_servers: str, group: str, topics: Iterable[str]) -> int:
    """Messages on `topics` that consumer group `group` has not committed past, summed over their partitions.

    Reads the group's offsets without joining it (a consumer that subscribes to nothing never joins), so it
    can watch a running group from outside: tests and benchmarks waiting for a pipeline to drain.
    """
    probe = KafkaConsumer(bootstrap_servers=bootstrap_servers.split(","), group_id=group, enable_auto_commit=False)
    try:
        tps = [TopicPartition(t, p) for t in topics for p in probe.partitions_for_topic(t) or ()]
        ends = probe.end_offsets(tps) if tps else {}
        return sum(max(ends[tp] - (probe.committed(tp) or 0), 0) for tp in tps)
    finally:
        probe.close()


def broker_reachable(settings: Settings, timeout_s: float = 2.0) -> bool:
    try:
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
                                 request_timeout_ms=int(timeout_s * 1000), bootstrap_timeout_ms=int(timeout_s * 1000),
                                 client_id="credbridge-ready")
    except KafkaError:
        return False
    try:
        admin.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        admin.close()
