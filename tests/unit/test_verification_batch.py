"""VerdictBatch: a poll batch's verdicts stored in one bulk write and published at the batch's end, idempotently."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.batch import VerdictBatch
from services.verification.repository import Verdict
from services.verification.verifier import Verifier
from shared import events
from shared.kafka import PublishError
from shared.settings import Settings
from tests.support.issuer import Issuer

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


class BulkVerdicts:
    """The repository's batch contract in memory: first write wins per (tenant, credential_id); counts round trips."""

    def __init__(self):
        self.docs: dict[tuple[str, str], dict] = {}
        self.reads = self.bulk_writes = 0

    def get(self, tenant, credential_id):
        self.reads += 1
        return copy.deepcopy(self.docs.get((tenant, credential_id)))

    def get_many(self, keys):
        self.reads += 1
        return {k: copy.deepcopy(self.docs[k]) for k in keys if k in self.docs}

    def save_many(self, verdicts: list[Verdict]) -> list[dict]:
        self.bulk_writes += 1
        for v in verdicts:
            self.docs.setdefault((v.tenant, v.credential_id), v.document(T0))
        return [copy.deepcopy(self.docs[(v.tenant, v.credential_id)]) for v in verdicts]


class Outbox:
    def __init__(self, failures: int = 0):
        self.calls: list[list[events.Event]] = []
        self.failures = failures

    def publish(self, batch):
        if self.failures:
            self.failures -= 1
            raise PublishError("KafkaTimeoutError")
        self.calls.append(list(batch))


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.generate()


def submitted(jwt: str, *, credential_id: str, tenant: str = "t_acme", trace_id: str = "trace-1") -> events.Event:
    return events.new_event("credential.submitted", tenant=tenant, trace_id=trace_id, payload={
        "credential_id": credential_id, "application_id": "app-7", "provenance": "ats:generic",
        "candidate": {"id": "cand-3", "emails": ["ada@example.org"]}, "jwt": jwt})


def batch_of(repo, outbox, *, at: datetime = T0) -> VerdictBatch:
    return VerdictBatch(repo=repo, publish=outbox.publish, settings=Settings(), now=lambda: at)


def test_a_batch_of_verdicts_is_stored_in_one_bulk_write_and_published_in_one_call(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    batch = batch_of(repo, outbox)
    for i in range(5):
        batch.handle(submitted(issuer.vc_jwt(nbf=T0 - timedelta(days=1)), credential_id=f"c{i}"))
    assert outbox.calls == [] and repo.docs == {}  # nothing stored or announced before the batch ends
    assert batch.flush() == 5
    assert repo.bulk_writes == 1 and len(outbox.calls) == 1
    assert [e.payload["credential_id"] for e in outbox.calls[0]] == [f"c{i}" for i in range(5)]
    assert {e.payload["report"]["verdict"] for e in outbox.calls[0]} == {"verified"}


def test_a_credential_twice_in_one_batch_is_verified_once_and_both_events_carry_the_first_verdict(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    batch = batch_of(repo, outbox)
    token = issuer.vc_jwt(nbf=T0 - timedelta(days=1))
    batch.handle(submitted(token, credential_id="c1", trace_id="first"))
    batch.handle(submitted(token, credential_id="c1", trace_id="second"))
    batch.flush()
    first, second = outbox.calls[0]
    assert repo.reads == 1  # the second delivery is known from the batch, not read again
    assert first.event_id == second.event_id and first.payload == second.payload
    assert (first.trace_id, second.trace_id) == ("first", "second")


def test_a_redelivered_credential_republishes_the_stored_verdict_without_verifying_again(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    token = issuer.vc_jwt(nbf=T0 - timedelta(days=1), exp=T0 + timedelta(hours=1))
    earlier = batch_of(repo, outbox, at=T0)
    earlier.handle(submitted(token, credential_id="c1"))
    earlier.flush()
    # Two hours later the credential has expired: verifying it again would now say "failed".
    later = batch_of(repo, outbox, at=T0 + timedelta(hours=2))
    later.handle(submitted(token, credential_id="c1"))
    later.flush()
    assert outbox.calls[1][0].payload == outbox.calls[0][0].payload
    assert outbox.calls[1][0].payload["report"]["verdict"] == "verified"


def test_when_the_batch_publish_fails_the_reread_batch_publishes_the_verdicts_already_stored(issuer):
    repo, outbox = BulkVerdicts(), Outbox(failures=1)
    token = issuer.vc_jwt(nbf=T0 - timedelta(days=1), exp=T0 + timedelta(hours=1))
    batch = batch_of(repo, outbox, at=T0)
    batch.handle(submitted(token, credential_id="c1"))
    with pytest.raises(PublishError):
        batch.flush()
    # The consumer loop reads the batch again, later: the stored verdict goes out, not a new one.
    again = batch_of(repo, outbox, at=T0 + timedelta(hours=2))
    again.handle(submitted(token, credential_id="c1"))
    again.flush()
    [[event]] = outbox.calls
    assert event.payload["report"]["verdict"] == "verified"


def test_an_empty_batch_writes_and_publishes_nothing():
    repo, outbox = BulkVerdicts(), Outbox()
    assert batch_of(repo, outbox).flush() == 0
    assert repo.bulk_writes == 0 and outbox.calls == []


def test_before_the_verifier_waits_on_the_web_the_verdicts_held_so_far_are_stored_and_published(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    batch = batch_of(repo, outbox)
    batch.handle(submitted(issuer.vc_jwt(nbf=T0 - timedelta(days=1)), credential_id="quick"))
    fetched = []
    fetch = batch.sending_first(lambda url: fetched.append((url, len(outbox.calls))) or "a status list")
    assert fetch("https://status.example/1") == "a status list"
    assert fetched == [("https://status.example/1", 1)]  # the quick verdict went out before the fetch began
    assert [e.payload["credential_id"] for e in outbox.calls[0]] == ["quick"]
    assert batch.flush() == 0  # nothing is published twice


def test_when_the_broker_is_away_before_a_fetch_the_verdicts_stay_held_for_the_batchs_end(issuer):
    repo, outbox = BulkVerdicts(), Outbox(failures=1)
    batch = batch_of(repo, outbox)
    batch.handle(submitted(issuer.vc_jwt(nbf=T0 - timedelta(days=1)), credential_id="quick"))
    batch.sending_first(lambda url: None)("https://status.example/1")
    assert outbox.calls == []
    assert batch.flush() == 1
    assert [e.payload["credential_id"] for e in outbox.calls[0]] == ["quick"]


def test_the_batchs_stored_verdicts_are_read_ahead_in_one_query_whatever_else_the_batch_holds(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    token = issuer.vc_jwt(nbf=T0 - timedelta(days=1))
    earlier = batch_of(repo, outbox)
    earlier.handle(submitted(token, credential_id="c0"))
    earlier.flush()
    repo.reads = 0
    batch = batch_of(repo, outbox)
    records = [submitted(token, credential_id=f"c{i}") for i in range(4)]
    garbage = [b"", b"not json", b"[1, 2]", b"{\"type\": \"credential.submitted\", \"payload\": 7}",
               b"[" * 100_000, b'{"type": "credential.submitted", "tenant": "t_acme", "payload": {"credential_id": 42}}']
    batch.read_ahead([events.encode(e) for e in records] + garbage)
    for event in records:
        batch.handle(event)
    assert batch.flush() == 4
    assert repo.reads == 1  # one query for the batch, none per credential
    assert [e.payload["report"]["verdict"] for e in outbox.calls[-1]] == ["verified"] * 4


def test_when_the_read_ahead_finds_mongodb_away_each_credential_is_read_when_handled(issuer):
    from pymongo.errors import AutoReconnect

    class Away(BulkVerdicts):
        def get_many(self, keys):
            raise AutoReconnect("connection refused")

    repo, outbox = Away(), Outbox()
    batch = batch_of(repo, outbox)
    event = submitted(issuer.vc_jwt(nbf=T0 - timedelta(days=1)), credential_id="c1")
    batch.read_ahead([events.encode(event)])
    batch.handle(event)
    assert repo.reads == 1 and batch.flush() == 1


class Counting:
    def __init__(self):
        self.inner, self.calls = Verifier(Settings()), 0
        self.settings = self.inner.settings

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.inner(*args, **kwargs)


def test_a_credential_sent_early_in_the_batch_is_not_verified_again_by_a_later_delivery_of_it(issuer):
    repo, outbox = BulkVerdicts(), Outbox()
    batch = batch_of(repo, outbox)
    verifier = Counting()
    batch.verifier = verifier  # type: ignore[assignment]
    token = issuer.vc_jwt(nbf=T0 - timedelta(days=1))
    first, again = submitted(token, credential_id="c1"), submitted(token, credential_id="c1", trace_id="again")
    batch.read_ahead([events.encode(first), events.encode(again)])  # read ahead: no stored verdict yet
    batch.handle(first)
    batch.send_held()  # before a fetch: c1 is stored and published
    batch.handle(again)  # read again, found stored: not verified twice
    batch.flush()
    assert [len(c) for c in outbox.calls] == [1, 1] and verifier.calls == 1
    assert outbox.calls[0][0].payload == outbox.calls[1][0].payload
