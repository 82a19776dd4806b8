"""The Kafka consumer loop: validate, handle, retry transient errors, dead-letter the rest, commit after."""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError
from marshmallow import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout

from shared import events, logs, safejson
from shared.kafka import PublishError, Publisher, RecordRefused
from shared.membership import Membership
from shared.metrics import (KAFKA_BATCHES_CUT, KAFKA_COMMIT_FAILURES, KAFKA_COMMITTED, KAFKA_CONSUMED, KAFKA_DEAD_LETTERED,
                            KAFKA_PAUSES, KAFKA_RETRIED, LagTracker, record_build_info)
from shared.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[events.Event], None]

# Failures worth retrying: the database or broker is briefly away. Anything else is a bug or bad
# data, and retrying it only delays the rest of the partition.
TRANSIENT = (AutoReconnect, ConnectionFailure, NetworkTimeout, PublishError)
# Failures this message can never get past: dead-lettered at once. RecordRefused is the broker refusing what
# handling the message produced (over the record size limit): re-reading it would hold its partition forever.
PERMANENT = (ValidationError, RecordRefused)


class PermanentError(Exception):
    """A handler's way to say: this message can never succeed; dead-letter it now."""


class DependencyUnavailable(Exception):
    """The database or the broker stayed away through every attempt. The message is not at fault:
    the loop steps back, re-reads it after a pause and tries again, and never dead-letters it."""

    def __init__(self, dependency: str, cause: str):
        super().__init__(f"{dependency} unavailable: {cause}")
        self.dependency = dependency

    @classmethod
    def after(cls, exc: Exception) -> "DependencyUnavailable":
        """The outage a TRANSIENT error stands for: a publish that failed is the broker, the rest MongoDB."""
        return cls("broker" if isinstance(exc, PublishError) else "database", type(exc).__name__)


@dataclass
class Outcome:
    handled: bool
    dead_lettered: bool = False


class ConsumerLoop:
    def __init__(self, *, settings: Settings, group_id: str, handlers: dict[str, Handler],
                 publisher: Publisher, sleep: Callable[[float], None] | None = None,
                 batch_end: Callable[[], object] | None = None, longest_message_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 batch_start: Callable[[list[bytes]], object] | None = None):
        """`batch_end`, if given, runs once a poll batch is handled and before its offsets are committed: work
        the handlers deferred to do once per batch. If MongoDB or the broker is away it raises, and the whole
        batch is read again after a pause (its handlers are idempotent), so deferred work is never skipped.

        `longest_message_s` is the most one message's handling may take (ingest: its pull budget). A batch stops
        once `consumer_batch_budget_s` is spent, so a batch never takes longer than the budget plus one message:
        that must fit in the poll interval, or the group would move the partitions mid-batch, the commit would be
        refused and the same batch handled again, forever.

        `batch_start`, if given, is shown the raw values of a poll batch before any is handled: a hint, for reading
        ahead what the handlers will need in one query. It sees unvalidated bytes, so it must tolerate anything and
        must not raise (what it could not read, the handlers read as usual)."""
        if settings.consumer_batch_budget_s + longest_message_s >= settings.consumer_max_poll_interval_ms / 1000:
            raise ValueError(f"CONSUMER_BATCH_BUDGET_SECONDS ({settings.consumer_batch_budget_s}) plus the longest "
                             f"message ({longest_message_s} s) must stay below CONSUMER_MAX_POLL_INTERVAL_MS "
                             f"({settings.consumer_max_poll_interval_ms})")
        self.settings = settings
        self.group_id = group_id
        self.handlers = handlers
        self.publisher = publisher
        self.batch_end = batch_end
        self.batch_start = batch_start
        self._wake = threading.Event()
        # A pause ends early when the loop is asked to stop.
        self._sleep = sleep or self._wake.wait
        self._stopping = False
        self._pauses = 0  # pauses in a row; reset by the first message handled after them
        self._clock = clock
        self._in_batch = False
        self._last_batch_at = float("-inf")
        self._consumer: KafkaConsumer | None = None
        self.membership = Membership(group_id)  # what the worker's /readyz says

    def readiness(self) -> tuple[bool, dict]:
        return self.membership.readiness()

    def busy(self, within_s: float = 1.0) -> bool:
        """Whether the loop is handling a poll batch or handled one within the last `within_s`: a thread beside it
        in the worker rests while it is (services/matching/rescorer.py), and goes on while it waits for records."""
        return self._in_batch or self._clock() - self._last_batch_at < within_s

    def stop(self, *_args) -> None:
        """Finish the message in hand, commit, close (SIGTERM/SIGINT)."""
        self._stopping = True
        self._wake.set()

    def process(self, topic: str, key: bytes | None, value: bytes, headers=None) -> Outcome:
        """Handles one record with the retry and dead-letter policy; returns once it may be committed.

        Raises DependencyUnavailable when the database or broker stayed away through every attempt
        (or the dead-letter topic could not be written): the record must then be read again later.
        """
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
                    # An outage is not this message's fault: dead-lettering it would drain the whole
                    # stream into the DLQ while a dependency is down.
                    raise DependencyUnavailable.after(exc) from exc
                KAFKA_RETRIED.labels(topic=topic).inc()
                delay = self.settings.consumer_backoff_s * 2 ** (attempt - 1)
                log.warning("transient failure, retrying", extra={"topic": topic, "attempt": attempt,
                                                                   "error": type(exc).__name__, "trace_id": event.trace_id})
                self._sleep(delay)
            except (PermanentError, *PERMANENT) as exc:
                return self._dead_letter(topic, key, value, f"{type(exc).__name__}: {exc}", trace_id=event.trace_id)
            except Exception as exc:  # noqa: BLE001 - the loop's policy: a bug must not wedge the partition
                log.exception("handler failed", extra={"topic": topic, "trace_id": event.trace_id})
                return self._dead_letter(topic, key, value, f"handler error: {type(exc).__name__}", trace_id=event.trace_id)

    def _dead_letter(self, topic: str, key, value: bytes, error: str, trace_id: str = "") -> Outcome:
        headers = [("error", error[:2000].encode()), ("original_topic", topic.encode()),
                   ("failed_at", str(time.time()).encode())]
        try:
            try:
                self.publisher.publish_raw(events.dlq_topic(topic), key=key, value=value, headers=headers)
            except RecordRefused:
                # The record was near the limit and the error headers took it over: keep its ids and error, so
                # it can be found on its own topic, rather than letting it block the partition.
                stub = json.dumps({**describe_dlq_record(value, headers), "omitted": f"value of {len(value)} bytes"})
                self.publisher.publish_raw(events.dlq_topic(topic), key=key, value=stub.encode(), headers=headers)
        except PublishError as exc:
            # The broker is away: the record stays uncommitted and is read again once it is back.
            raise DependencyUnavailable("broker", str(exc)) from exc
        KAFKA_DEAD_LETTERED.labels(topic=topic).inc()
        KAFKA_CONSUMED.labels(topic=topic, outcome="dead_lettered").inc()
        log.error("dead-lettered a message", extra={"topic": topic, "reason": error[:200], "trace_id": trace_id})
        return Outcome(handled=False, dead_lettered=True)

    def run(self, *, install_signals: bool = True, idle_exit_after_s: float | None = None) -> None:
        if install_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=100,
            # Runs of one partition this size, not the default 1 MiB: a backlog's partitions drain together.
            max_partition_fetch_bytes=self.settings.consumer_partition_fetch_bytes,
            max_poll_interval_ms=self.settings.consumer_max_poll_interval_ms,
            # Shorter than Kafka's 45 s default: a killed worker's partitions move on within seconds.
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=max(self.settings.consumer_session_timeout_ms // 4, 500),
            isolation_level="read_committed",
        )
        consumer.subscribe(list(self.handlers), listener=self.membership)
        self._consumer = consumer
        lag = LagTracker(self.group_id)
        record_build_info(self.group_id)
        idle_since = time.monotonic()
        try:
            while not self._stopping:
                try:
                    batch = consumer.poll(timeout_ms=500)
                except KafkaError as exc:
                    if not exc.retriable:
                        raise
                    # The coordinator moved or the broker is restarting: the client recovers on a later poll.
                    log.warning("poll failed, retrying", extra={"group": self.group_id, "error": type(exc).__name__})
                    self._sleep(self.settings.consumer_backoff_s)
                    continue
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
        self._in_batch = True
        try:
            self._handle_records(consumer, batch)
        finally:
            self._in_batch, self._last_batch_at = False, self._clock()

    def _handle_records(self, consumer: KafkaConsumer, batch) -> None:
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        handled: dict[str, int] = {}  # records handled per topic, counted as committed once the commit succeeds
        ends = self._clock() + self.settings.consumer_batch_budget_s
        if self.batch_start is not None:
            self.batch_start([rec.value for records in batch.values() for rec in records])
        try:
            for tp, records in batch.items():
                for rec in records:
                    if self._stopping:
                        return
                    if done and self._clock() >= ends:
                        # The batch's time is spent: commit what was handled, and the next poll (soon enough for
                        # the group) returns the rest.
                        KAFKA_BATCHES_CUT.labels(group=self.group_id).inc()
                        self._rewind(consumer, batch, done)
                        return
                    try:
                        self.process(tp.topic, rec.key, rec.value, rec.headers)
                    except DependencyUnavailable as exc:
                        self._rewind(consumer, batch, done)
                        self._pause(tp.topic, exc)
                        return
                    self._pauses = 0
                    done[tp] = OffsetAndMetadata(rec.offset + 1, "", -1)
                    handled[tp.topic] = handled.get(tp.topic, 0) + 1
        finally:
            # Commit exactly what was handled (or dead-lettered), even when stopping mid-batch, once the
            # batch's deferred work is done.
            if done and self._end_batch(consumer, batch) and self._commit(consumer, done):
                for topic, n in handled.items():
                    KAFKA_COMMITTED.labels(group=self.group_id, topic=topic).inc(n)

    def _end_batch(self, consumer: KafkaConsumer, batch) -> bool:
        if self.batch_end is None:
            return True
        try:
            self.batch_end()
            return True
        except TRANSIENT as exc:
            # Nothing of this batch is committed: every partition goes back to the batch's first record.
            self._rewind(consumer, batch, {})
            self._pause(next(iter(batch)).topic, DependencyUnavailable.after(exc))
            return False

    def _rewind(self, consumer: KafkaConsumer, batch, done: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Moves every partition of the batch back to its first record not yet handled, so the next poll
        returns it again (poll has already moved the positions past the whole batch)."""
        assigned = consumer.assignment()
        for tp, records in batch.items():
            if tp in assigned and records:
                # The offsets in `done` are the ints _handle_batch put there (the stub allows None).
                consumer.seek(tp, done[tp].offset if tp in done else records[0].offset)  # type: ignore[arg-type]

    def _pause(self, topic: str, exc: DependencyUnavailable) -> None:
        KAFKA_PAUSES.labels(topic=topic, dependency=exc.dependency).inc()
        delay = min(self.settings.consumer_backoff_s * 2 ** self._pauses, self.settings.consumer_pause_max_s)
        self._pauses += 1
        log.warning("dependency unavailable; pausing before reading the message again",
                    extra={"topic": topic, "dependency": exc.dependency, "pause_s": round(delay, 3)})
        self._sleep(delay)

    def _commit(self, consumer: KafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]) -> bool:
        try:
            consumer.commit(offsets=offsets)
            return True
        except KafkaError as exc:
            # Typically the group rebalanced while the broker was away, so these partitions may belong to
            # another member now. Their records will be handled again from the last committed offset;
            # handlers are idempotent, so that repeats work but never doubles a result. Exiting would
            # only stop this worker.
            KAFKA_COMMIT_FAILURES.labels(group=self.group_id).inc()
            log.warning("offset commit failed; the records will be handled again",
                        extra={"group": self.group_id, "error": type(exc).__name__})
            return False


def describe_dlq_record(value: bytes, headers) -> dict:
    """What `credbridge dlq list` shows: the error and envelope ids, never the payload."""
    hdrs = {k: v.decode(errors="replace") for k, v in (headers or [])}
    try:
        doc = safejson.loads(value, max_depth=safejson.MAX_EVENT_DEPTH)
        ids = {k: doc.get(k) for k in ("event_id", "type", "tenant", "trace_id")} if isinstance(doc, dict) else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        ids = {}
    return {"error": hdrs.get("error"), "original_topic": hdrs.get("original_topic"), **ids}
