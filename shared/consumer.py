"""The Kafka consumer loop: validate, handle, retry transient errors, dead-letter the rest, commit after."""
from __future__ import annotations

import json
import logging
import signal
import time
from dataclasses import dataclass
from typing import Callable

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from marshmallow import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from shared import events, logs
from shared.kafka import PublishError, Publisher
from shared.metrics import KAFKA_CONSUMED, KAFKA_DEAD_LETTERED, KAFKA_RETRIED, LagTracker, record_build_info
from shared.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[events.Event], None]

# Failures worth retrying: the database or broker is briefly away. Anything else is a bug or bad
# data, and retrying it only delays the rest of the partition.
TRANSIENT = (AutoReconnect, ConnectionFailure, NetworkTimeout, PublishError)


class PermanentError(Exception):
    """A handler's way to say: this message can never succeed; dead-letter it now."""


@dataclass
class Outcome:
    handled: bool
    dead_lettered: bool = False


class ConsumerLoop:
    def __init__(self, *, settings: Settings, group_id: str, handlers: dict[str, Handler],
                 publisher: Publisher, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.group_id = group_id
        self.handlers = handlers
        self.publisher = publisher
        self._sleep = sleep
        self._stopping = False
        self._consumer: KafkaConsumer | None = None

    def stop(self, *_args) -> None:
        """Finish the message in hand, commit, close (SIGTERM/SIGINT)."""
        self._stopping = True

    def process(self, topic: str, key: bytes | None, value: bytes, headers=None) -> Outcome:
        """Handles one record with the retry and dead-letter policy; returns once it may be committed."""
        try:
            event = events.decode(value)
            if event.topic != topic:
                raise ValidationError(f"event type {event.type} does not belong on {topic}")
        except ValidationError as exc:
            return self._dead_letter(topic, key, value, f"invalid envelope: {exc.messages}")
        # Every log line written while handling carries the event's trace_id (shared/logs.py).
        with logs.trace(event.trace_id):
            return self._handle(topic, key, value, event)

    def _handle(self, topic: str, key: bytes | None, value: bytes, event: events.Event) -> Outcome:
        handler = self.handlers[topic]
        attempt = 0
        while True:
            attempt += 1
            try:
                handler(event)
                KAFKA_CONSUMED.labels(topic=topic, outcome="handled").inc()
                # One line per event, carrying the trace_id from context: how a webhook is followed to its score.
                log.info("event handled", extra={"topic": topic, "attempts": attempt})
                return Outcome(handled=True)
            except TRANSIENT as exc:
                if attempt >= self.settings.consumer_max_attempts:
                    return self._dead_letter(topic, key, value, f"gave up after {attempt} attempts: {type(exc).__name__}")
                KAFKA_RETRIED.labels(topic=topic).inc()
                delay = self.settings.consumer_backoff_s * 2 ** (attempt - 1)
                log.warning("transient failure, retrying", extra={"topic": topic, "attempt": attempt,
                                                                   "error": type(exc).__name__, "trace_id": event.trace_id})
                self._sleep(delay)
            except (PermanentError, ValidationError) as exc:
                return self._dead_letter(topic, key, value, f"{type(exc).__name__}: {exc}", trace_id=event.trace_id)
            except Exception as exc:  # noqa: BLE001 - the loop's policy: a bug must not wedge the partition
                log.exception("handler failed", extra={"topic": topic, "trace_id": event.trace_id})
                return self._dead_letter(topic, key, value, f"handler error: {type(exc).__name__}", trace_id=event.trace_id)

    def _dead_letter(self, topic: str, key, value: bytes, error: str, trace_id: str = "") -> Outcome:
        headers = [("error", error[:2000].encode()), ("original_topic", topic.encode()),
                   ("failed_at", str(time.time()).encode())]
        # If the broker is away this raises, and the offset stays uncommitted: nothing is lost.
        self.publisher.publish_raw(events.dlq_topic(topic), key=key, value=value, headers=headers)
        KAFKA_DEAD_LETTERED.labels(topic=topic).inc()
        KAFKA_CONSUMED.labels(topic=topic, outcome="dead_lettered").inc()
        log.error("dead-lettered a message", extra={"topic": topic, "reason": error[:200], "trace_id": trace_id})
        return Outcome(handled=False, dead_lettered=True)

    def run(self, *, install_signals: bool = True, idle_exit_after_s: float | None = None) -> None:
        if install_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        consumer = KafkaConsumer(
            *self.handlers,
            bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=100,
            # Shorter than Kafka's 45 s default: a killed worker's partitions move on within seconds.
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=max(self.settings.consumer_session_timeout_ms // 4, 500),
            isolation_level="read_committed",
        )
        self._consumer = consumer
        lag = LagTracker(self.group_id)
        record_build_info(self.group_id)
        idle_since = time.monotonic()
        try:
            while not self._stopping:
                batch = consumer.poll(timeout_ms=500)
                lag.update(consumer)
                if not batch:
                    if idle_exit_after_s is not None and time.monotonic() - idle_since > idle_exit_after_s:
                        break
                    continue
                idle_since = time.monotonic()
                self._handle_batch(consumer, batch)
        finally:
            consumer.close(autocommit=False)

    def _handle_batch(self, consumer: KafkaConsumer, batch) -> None:
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        try:
            for tp, records in batch.items():
                for rec in records:
                    if self._stopping:
                        return
                    self.process(tp.topic, rec.key, rec.value, rec.headers)
                    done[tp] = OffsetAndMetadata(rec.offset + 1, "", -1)
        finally:
            # Commit exactly what was handled (or dead-lettered), even when stopping mid-batch.
            if done:
                consumer.commit(offsets=done)


def describe_dlq_record(value: bytes, headers) -> dict:
    """What `credbridge dlq list` shows: the error and envelope ids, never the payload."""
    hdrs = {k: v.decode(errors="replace") for k, v in (headers or [])}
    try:
        doc = json.loads(value)
        ids = {k: doc.get(k) for k in ("event_id", "type", "tenant", "trace_id")} if isinstance(doc, dict) else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        ids = {}
    return {"error": hdrs.get("error"), "original_topic": hdrs.get("original_topic"), **ids}
