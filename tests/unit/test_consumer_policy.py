"""The consumer loop's per-message policy: handle, retry what is transient, dead-letter the rest."""
from __future__ import annotations

from pymongo.errors import AutoReconnect

from shared import events
from shared.consumer import ConsumerLoop, PermanentError
from shared.settings import Settings


class RecordingPublisher:
    def __init__(self):
        self.raw = []

    def publish_raw(self, topic, *, key, value, headers):
        self.raw.append((topic, key, value, dict(headers)))


def application_event() -> bytes:
    return events.encode(events.new_event("application.received", tenant="t1", payload={
        "provider": "generic", "delivery_id": "d1", "application": {"id": "a1", "job_id": "j1"},
        "candidate": {"id": "c1", "emails": []}}))


def loop(handler, attempts=3):
    pub = RecordingPublisher()
    sleeps = []
    lp = ConsumerLoop(settings=Settings(consumer_max_attempts=attempts, consumer_backoff_s=0.1), group_id="g",
                      handlers={events.APPLICATIONS_RECEIVED: handler}, publisher=pub, sleep=sleeps.append)
    return lp, pub, sleeps


def test_a_handled_message_is_not_dead_lettered():
    seen = []
    lp, pub, _ = loop(seen.append)
    assert lp.process(events.APPLICATIONS_RECEIVED, b"k", application_event()).handled
    assert seen[0].payload["application"]["id"] == "a1" and pub.raw == []


def test_a_message_that_is_not_json_goes_to_the_dead_letter_topic_with_its_error():
    lp, pub, _ = loop(lambda e: None)
    out = lp.process(events.APPLICATIONS_RECEIVED, b"k", b"{not json")
    assert out.dead_lettered
    topic, key, value, headers = pub.raw[0]
    assert topic == "applications.received.dlq" and key == b"k" and value == b"{not json"
    assert b"invalid envelope" in headers["error"] and headers["original_topic"] == b"applications.received"


def test_an_envelope_whose_payload_breaks_its_schema_is_dead_lettered_without_calling_the_handler():
    called = []
    lp, pub, _ = loop(called.append)
    bad = application_event().replace(b'"job_id":"j1"', b'"job_id":""')
    assert lp.process(events.APPLICATIONS_RECEIVED, None, bad).dead_lettered
    assert called == []


def test_an_event_on_the_wrong_topic_is_dead_lettered():
    lp, pub, _ = loop(lambda e: None)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, _score_event()).dead_lettered


def _score_event():
    return events.encode(events.new_event("score.computed", tenant="t", payload={
        "application_id": "a", "status": "scored", "score": 1, "score_version": "v", "computed_at": "now"}))


def test_a_transient_failure_is_retried_with_doubling_backoff_and_then_succeeds():
    calls = []

    def flaky(event):
        calls.append(event)
        if len(calls) < 3:
            raise AutoReconnect("db blip")

    lp, pub, sleeps = loop(flaky, attempts=5)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).handled
    assert len(calls) == 3 and sleeps == [0.1, 0.2] and pub.raw == []


def test_a_failure_that_keeps_happening_is_dead_lettered_after_the_last_attempt():
    def down(event):
        raise AutoReconnect("db down")

    lp, pub, sleeps = loop(down, attempts=3)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).dead_lettered
    assert len(sleeps) == 2 and b"gave up after 3 attempts" in pub.raw[0][3]["error"]


def test_a_permanent_error_is_dead_lettered_at_once():
    def refuse(event):
        raise PermanentError("cannot ever work")

    lp, pub, sleeps = loop(refuse)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).dead_lettered
    assert sleeps == []


def test_a_bug_in_a_handler_dead_letters_the_message_instead_of_wedging_the_partition():
    lp, pub, sleeps = loop(lambda e: {}["missing"])
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).dead_lettered
    assert b"KeyError" in pub.raw[0][3]["error"]
