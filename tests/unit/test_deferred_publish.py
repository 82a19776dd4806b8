"""Deferred: a poll batch's publishes held and sent in one call at the batch's end; too large is refused at once."""
from __future__ import annotations

import pytest

from shared import events
from shared.kafka import Deferred, Publisher, RecordRefused
from shared.settings import Settings
from tests.unit.test_publisher import Factory, FakeProducer


def ready(i: int, *, credentials: int = 0) -> events.Event:
    return events.new_event("application.ready", tenant="t", payload={
        "provider": "generic", "delivery_id": f"d{i}", "application": {"id": f"a{i}", "job_id": "j"},
        "candidate": {"id": "c", "emails": []}, "credential_ids": [f"{n:064x}" for n in range(credentials)]})


def test_a_batchs_events_are_sent_in_one_publish_once_the_batch_ends():
    producer = FakeProducer()
    deferred = Deferred(Publisher(Settings(), producer_factory=Factory(producer)))
    for i in range(3):
        deferred.publish([ready(i)])
    assert producer.sent == []  # nothing leaves before the batch's end
    assert deferred.flush() == 3
    assert producer.sent == [events.APPLICATIONS_READY] * 3
    assert deferred.flush() == 0


def test_a_record_too_large_is_refused_when_handed_over_so_only_its_message_is_dead_lettered():
    producer = FakeProducer()
    deferred = Deferred(Publisher(Settings(kafka_max_record_bytes=2000), producer_factory=Factory(producer)))
    deferred.publish([ready(1)])
    with pytest.raises(RecordRefused):
        deferred.publish([ready(2, credentials=40)])
    deferred.publish([ready(3)])
    deferred.flush()
    assert len(producer.sent) == 2


def test_held_events_are_sent_before_a_slow_step_and_kept_for_the_batchs_end_if_the_broker_is_away():
    fresh = FakeProducer()
    deferred = Deferred(Publisher(Settings(), producer_factory=Factory(FakeProducer(fail_sends=True), fresh)))
    deferred.publish([ready(1)])
    deferred.send_held()  # the broker is away: kept, not lost
    deferred.send_held()  # a fresh producer: sent
    assert fresh.sent == [events.APPLICATIONS_READY]
    assert deferred.flush() == 0


def test_ingests_worker_sends_what_it_holds_before_each_fetch_so_a_slow_pull_holds_back_nothing_before_it():
    from services.ingest.worker import SendingFirst
    from shared.fetch import FetchError
    producer = FakeProducer()
    deferred = Deferred(Publisher(Settings(), producer_factory=Factory(producer)))
    deferred.publish([ready(1)])
    fetcher = SendingFirst(Settings(), deferred)
    with pytest.raises(FetchError):  # refused by policy (loopback), after the held event went out
        fetcher.get("http://127.0.0.1:9/credential", purpose="credential")
    assert producer.sent == [events.APPLICATIONS_READY]
    fetcher.close()
