"""The publisher: a producer whose publish went unacknowledged is discarded, and the next publish uses a new one."""
from __future__ import annotations

import pytest
from kafka.errors import KafkaTimeoutError

from shared import events
from shared.kafka import Publisher, PublishError
from shared.settings import Settings


class Future:
    def __init__(self, error=None):
        self.error = error

    def get(self, timeout):
        if self.error:
            raise self.error


class FakeProducer:
    def __init__(self, *, fail_sends=False, close_raises=False):
        self.fail_sends, self.close_raises = fail_sends, close_raises
        self.sent, self.closed, self.force_closed = [], False, False
        self._sender = self

    def send(self, topic, key=None, value=None, headers=None):
        self.sent.append(topic)
        return Future(KafkaTimeoutError("Expiring 1 record(s)") if self.fail_sends else None)

    def close(self, timeout=None):
        if self.close_raises:
            raise KafkaTimeoutError("Timeout waiting for future")  # kafka-python's close() with records pending
        self.closed = True

    def force_close(self):
        self.force_closed = True


class Factory:
    """Hands out the given producers in order; an exception in the list is raised instead."""

    def __init__(self, *producers):
        self.queue, self.made = list(producers), []

    def __call__(self, **config):
        item = self.queue.pop(0)
        if isinstance(item, Exception):
            raise item
        self.made.append(item)
        return item


def event() -> events.Event:
    return events.new_event("score.computed", tenant="t", payload={
        "application_id": "a", "status": "scored", "score": 1, "score_version": "v", "computed_at": "now"})


def test_an_unacknowledged_publish_discards_the_producer_and_the_next_publish_uses_a_fresh_one():
    wedged, fresh = FakeProducer(fail_sends=True), FakeProducer()
    publisher = Publisher(Settings(), producer_factory=Factory(wedged, fresh))
    with pytest.raises(PublishError):
        publisher.publish([event()])
    assert wedged.closed
    publisher.publish([event()])
    publisher.publish_raw("scores.computed.dlq", key=None, value=b"x", headers=[])
    assert fresh.sent == ["scores.computed", "scores.computed.dlq"] and wedged.sent == ["scores.computed"]


def test_a_wedged_producer_whose_close_raises_is_force_closed_so_its_sender_thread_ends():
    wedged = FakeProducer(fail_sends=True, close_raises=True)
    publisher = Publisher(Settings(), producer_factory=Factory(wedged, FakeProducer()))
    with pytest.raises(PublishError):
        publisher.publish_raw("t.dlq", key=None, value=b"x", headers=[])
    assert wedged.force_closed


def test_while_the_broker_is_still_away_publishing_fails_fast_and_succeeds_once_it_is_back():
    back = FakeProducer()
    factory = Factory(FakeProducer(fail_sends=True), KafkaTimeoutError("bootstrap"), back)
    publisher = Publisher(Settings(), producer_factory=factory)
    for _ in range(2):
        with pytest.raises(PublishError):
            publisher.publish([event()])
    publisher.publish([event()])
    assert back.sent == ["scores.computed"] and len(factory.made) == 2


def test_a_publish_that_was_acknowledged_keeps_its_producer():
    only = FakeProducer()
    factory = Factory(only)
    publisher = Publisher(Settings(), producer_factory=factory)
    for _ in range(3):
        publisher.publish([event()])
    assert len(only.sent) == 3 and not only.closed and factory.queue == []


def test_the_producer_is_built_by_the_first_publish_not_by_the_constructor():
    factory = Factory(FakeProducer())
    publisher = Publisher(Settings(), producer_factory=factory)
    assert factory.made == []
    publisher.publish([event()])
    assert len(factory.made) == 1
