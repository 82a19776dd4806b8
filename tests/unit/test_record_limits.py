"""Records over the broker's limit are refused at once (not an outage); reports are bounded to fit one record."""
from __future__ import annotations

import json

import pytest
from kafka.errors import MessageSizeTooLargeError

from services.verification.report import TRUNCATED, bounded
from shared import events
from shared.consumer import ConsumerLoop
from shared.kafka import Publisher, PublishError, RecordRefused
from shared.settings import Settings
from tests.unit.test_publisher import Factory, FakeProducer, Future


def event(reason: str = "r") -> events.Event:
    return events.new_event("credential.unavailable", tenant="t", payload={
        "application_id": "a", "candidate_id": "c", "provenance": "p", "reason": reason})


def test_a_batch_with_a_record_over_the_limit_is_refused_before_any_of_it_is_sent():
    producer = FakeProducer()
    publisher = Publisher(Settings(kafka_max_record_bytes=10_000), producer_factory=Factory(producer))
    with pytest.raises(RecordRefused, match="over the 10000-byte limit"):
        publisher.publish([event(), event("x" * 20_000)])
    assert producer.sent == []


def test_a_broker_that_refuses_a_record_as_too_large_is_not_reported_as_an_outage():
    class Refusing(FakeProducer):
        def send(self, topic, key=None, value=None, headers=None):
            return Future(MessageSizeTooLargeError("too large"))
    publisher = Publisher(Settings(), producer_factory=Factory(Refusing(), FakeProducer()))
    with pytest.raises(RecordRefused) as refused:
        publisher.publish([event()])
    assert not isinstance(refused.value, PublishError)


class RefusingPublisher:
    def __init__(self):
        self.raw = []

    def publish(self, batch):
        raise RecordRefused("a credentials.unavailable record of 2000000 bytes is over the 1048576-byte limit")

    def publish_raw(self, topic, *, key, value, headers):
        self.raw.append((topic, dict(headers)))


def test_a_message_whose_handling_produces_a_refused_record_is_dead_lettered_at_once_not_retried():
    publisher, calls = RefusingPublisher(), []

    def handler(ev):
        calls.append(ev)
        publisher.publish([event()])
    loop = ConsumerLoop(settings=Settings(), group_id="g", publisher=publisher,
                        handlers={events.CREDENTIALS_UNAVAILABLE: handler}, sleep=lambda _s: None)
    outcome = loop.process(events.CREDENTIALS_UNAVAILABLE, b"k", events.encode(event()))
    assert outcome.dead_lettered and len(calls) == 1
    [(topic, headers)] = publisher.raw
    assert topic == "credentials.unavailable.dlq" and headers["error"].startswith(b"RecordRefused")


def report(**achievement) -> dict:
    return {"verdict": "verified", "format": "ob3", "checked_at": "2026-01-01T00:00:00+00:00", "flags": ["issuer.unregistered"],
            "checks": [{"code": "proof.signature", "status": "passed", "message": "ok"}],
            "achievement": achievement, "issuer": {"id": "did:example:1", "name": "Issuer"}}


def test_a_report_within_the_limit_is_left_as_it_is():
    small = report(name="Python", alignments=[{"targetName": "Python"}])
    assert bounded(small, 65_536) is small


def test_a_report_whose_claims_escape_past_the_limit_keeps_its_verdict_and_checks_and_says_it_was_trimmed():
    giant = report(name="Python", alignments=[{"targetName": "\u0001" * 100, "targetCode": "x"}] * 20_000)
    out = bounded(giant, 65_536)
    assert len(json.dumps(out, separators=(",", ":"))) <= 65_536
    assert (out["verdict"], out["checks"]) == ("verified", giant["checks"])
    assert out["flags"] == ["issuer.unregistered", TRUNCATED]
    assert out["achievement"]["name"] == "Python" and 0 < len(out["achievement"]["alignments"]) <= 200
    assert bounded(out, 65_536) is out  # bounding twice changes nothing


def test_a_report_too_large_even_trimmed_keeps_only_the_services_own_findings():
    out = bounded(report(**{f"k{i}": "\U0001F600" * 100 for i in range(200)}), 1_000)
    assert out["achievement"] is None and out["issuer"] is None and out["verdict"] == "verified"


def test_a_re_checked_verdict_stored_with_an_oversized_report_is_published_trimmed_so_re_checking_goes_on():
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from services.verification.reverify import recheck_due

    giant = {"tenant": "t", "credential_id": "c", "application_id": "a", "candidate_id": "k", "revision": 1,
             "report": report(name="Python", alignments=[{"targetName": "\u0001" * 100}] * 20_000)}

    class Repo:
        published: list = []

        def unpublished(self, limit):
            return [giant]

        def mark_published(self, doc):
            self.published.append(doc["credential_id"])

        def claim_due(self, now, *, limit, lease):
            return []

    sent = []
    settings = Settings(kafka_max_record_bytes=1_048_576)
    publisher = Publisher(settings, producer_factory=Factory(FakeProducer()))
    verifier = SimpleNamespace(settings=settings)
    recheck_due(repo=Repo(), publish=lambda batch: (publisher.publish(batch), sent.extend(batch)), verifier=verifier,
                now=datetime.now(timezone.utc), lease=timedelta(seconds=60))
    [event] = sent
    assert TRUNCATED in event.payload["report"]["flags"] and Repo.published == ["c"]
