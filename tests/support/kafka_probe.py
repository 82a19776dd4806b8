"""Reads what services published, straight from the real broker, for assertions."""
from __future__ import annotations

import time
from collections import defaultdict

from kafka import KafkaConsumer

from shared import events


class TopicReader:
    """Reads a topic from its current end, so each test sees only what it caused."""

    def __init__(self, bootstrap: str, *topics: str):
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                      consumer_timeout_ms=200)
        from kafka import TopicPartition
        parts = [TopicPartition(t, p) for t in topics for p in self.consumer.partitions_for_topic(t) or ()]
        self.consumer.assign(parts)
        self.consumer.seek_to_end()
        for tp in parts:
            self.consumer.position(tp)
        self.seen: dict[str, list] = defaultdict(list)

    def read(self, *, until=lambda seen: False, timeout_s: float = 20.0) -> dict[str, list]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for tp, records in self.consumer.poll(timeout_ms=200).items():
                for r in records:
                    self.seen[tp.topic].append(r)
            if until(self.seen):
                break
        return self.seen

    def events(self, topic: str) -> list[events.Event]:
        return [events.decode(r.value) for r in self.seen[topic]]

    def close(self):
        self.consumer.close()
