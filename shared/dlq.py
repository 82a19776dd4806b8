"""Dead-letter topics: read what was dead-lettered, and replay it to its original topic once, after the cause is fixed."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from kafka import KafkaConsumer, TopicPartition
from pymongo.database import Database

from shared import events
from shared.consumer import describe_dlq_record
from shared.kafka import Publisher
from shared.settings import Settings

LEDGER = "dlq_replays"


@dataclass(frozen=True)
class DeadLetter:
    topic: str        # the dead-letter topic
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list

    @property
    def id(self) -> str:
        """What `dlq replay --id` takes: partition and offset are the record's identity on its topic."""
        return f"{self.partition}:{self.offset}"

    @property
    def original_topic(self) -> str:
        header = describe_dlq_record(self.value, self.headers).get("original_topic")
        return header or self.topic.removesuffix(".dlq")


def dlq_name(topic: str) -> str:
    """Accepts either the source topic or its dead-letter twin."""
    return topic if topic.endswith(".dlq") else events.dlq_topic(topic)


def read(settings: Settings, topic: str, *, timeout_s: float = 10.0) -> list[DeadLetter]:
    """Every record now on the dead-letter topic, oldest first per partition; reads without a consumer group."""
    name = dlq_name(topic)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","), group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=500)
    try:
        partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
        if not partitions:
            raise LookupError(f"no topic {name!r}")
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        return _drain(consumer, ends, timeout_s=timeout_s)
    finally:
        consumer.close()


def _drain(consumer: KafkaConsumer, ends: dict, *, timeout_s: float) -> list[DeadLetter]:
    deadline = time.monotonic() + timeout_s
    out: list[DeadLetter] = []
    while any(consumer.position(tp) < end for tp, end in ends.items()) and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            out += [DeadLetter(tp.topic, tp.partition, r.offset, r.key, r.value, list(r.headers or []))
                    for r in records if r.offset < ends[tp]]
    return sorted(out, key=lambda d: (d.partition, d.offset))


def describe(letter: DeadLetter, *, replayed: bool, payload: bool = False) -> dict:
    """The error and envelope ids; the payload (which may hold names and emails) only when asked for."""
    doc = {"id": letter.id, **describe_dlq_record(letter.value, letter.headers), "replayed": replayed}
    if payload:
        doc["payload"] = letter.value.decode(errors="replace")
    return doc


class ReplayLedger:
    """Which dead-letter records were replayed: one document per (dead-letter topic, partition, offset)."""

    def __init__(self, db: Database):
        self.collection = db[LEDGER]

    @staticmethod
    def _key(letter: DeadLetter) -> str:
        return f"{letter.topic}:{letter.id}"

    def replayed(self, letters: list[DeadLetter]) -> set[str]:
        keys = [self._key(d) for d in letters]
        return {doc["_id"] for doc in self.collection.find({"_id": {"$in": keys}}, {"_id": 1})}

    def is_replayed(self, letter: DeadLetter, done: set[str]) -> bool:
        return self._key(letter) in done

    def mark(self, letter: DeadLetter, *, to_topic: str) -> None:
        self.collection.update_one({"_id": self._key(letter)}, {"$setOnInsert": {
            "to_topic": to_topic, "replayed_at": datetime.now(timezone.utc)}}, upsert=True)


def replay(letters: list[DeadLetter], *, ledger: ReplayLedger, publisher: Publisher) -> tuple[list[str], list[str]]:
    """Re-publishes each record not replayed before to its original topic; returns (replayed ids, skipped ids).

    Publish first, then record: a crash in between replays that record again next time, which the
    idempotent handlers absorb; the other order could mark a record replayed that never was.
    """
    done = ledger.replayed(letters)
    replayed, skipped = [], []
    for letter in letters:
        if ledger.is_replayed(letter, done):
            skipped.append(letter.id)
            continue
        target = letter.original_topic
        headers = [("replayed_from", f"{letter.topic}:{letter.id}".encode())]
        publisher.publish_raw(target, key=letter.key, value=letter.value, headers=headers)
        ledger.mark(letter, to_topic=target)
        replayed.append(letter.id)
    return replayed, skipped
