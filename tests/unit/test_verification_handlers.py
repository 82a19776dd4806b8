"""handle_credential_submitted: verify once per (tenant, credential), store, publish one derived event."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.handlers import handle_credential_submitted
from shared import events
from shared.kafka import PublishError
from tests.support.issuer import Issuer, tamper

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


class FakeVerdicts:
    """The repository's contract in memory: first write wins per (tenant, credential_id)."""

    def __init__(self):
        self.docs: dict[tuple[str, str], dict] = {}
        self.saves = 0

    def get(self, tenant, credential_id):
        return copy.deepcopy(self.docs.get((tenant, credential_id)))

    def save(self, *, tenant, credential_id, application_id, candidate_id, source_event_id, report,
             recheck_basis=None):
        self.saves += 1
        doc = {"tenant": tenant, "credential_id": credential_id, "application_id": application_id,
               "candidate_id": candidate_id, "source_event_id": source_event_id, "report": report,
               "recheck_basis": recheck_basis}
        self.docs.setdefault((tenant, credential_id), doc)
        return copy.deepcopy(self.docs[(tenant, credential_id)])


class Outbox:
    def __init__(self, failures: int = 0):
        self.events: list[events.Event] = []
        self.failures = failures

    def publish(self, batch):
        if self.failures:
            self.failures -= 1
            raise PublishError("KafkaTimeoutError")
        self.events.extend(batch)


@pytest.fixture(scope="module")
def token() -> str:
    return Issuer.generate().vc_jwt(nbf=T0 - timedelta(days=1), exp=T0 + timedelta(hours=1))


def submitted(*, jwt: str, tenant: str = "t_acme", credential_id: str = "cred-1") -> events.Event:
    return events.new_event("credential.submitted", tenant=tenant, trace_id="trace-1", payload={
        "credential_id": credential_id, "application_id": "app-7", "provenance": "ats:greenhouse",
        "candidate": {"id": "cand-3", "name": "Ada Lovelace", "emails": ["ada@example.org"]},
        "jwt": jwt,
    })


def handle(event, repo, outbox, *, at: datetime = T0):
    handle_credential_submitted(event, repo=repo, publish=outbox.publish, now=lambda: at)


def test_a_submitted_credential_is_stored_and_one_verified_event_is_published():
    repo, outbox = FakeVerdicts(), Outbox()
    event = submitted(jwt=Issuer.generate().vc_jwt(nbf=T0 - timedelta(days=1)))
    handle(event, repo, outbox)
    [published] = outbox.events
    assert published.type == "credential.verified"
    assert published.topic == events.CREDENTIALS_VERIFIED
    assert published.event_id == events.derive_id("verified", "t_acme", "cred-1")
    assert published.trace_id == "trace-1"
    assert published.payload["credential_id"] == "cred-1"
    assert published.payload["application_id"] == "app-7"
    assert published.payload["candidate_id"] == "cand-3"
    assert published.payload["report"]["verdict"] == "verified"
    assert repo.docs[("t_acme", "cred-1")]["source_event_id"] == event.event_id


def test_the_published_event_survives_the_wire_format_and_its_schema():
    repo, outbox = FakeVerdicts(), Outbox()
    handle(submitted(jwt=tamper(Issuer.generate().vc_jwt(nbf=T0 - timedelta(days=1)))), repo, outbox)
    decoded = events.decode(events.encode(outbox.events[0]))
    assert decoded.payload["report"]["verdict"] == "failed"


def test_a_redelivered_event_republishes_the_stored_verdict_instead_of_verifying_again(token):
    repo, outbox = FakeVerdicts(), Outbox()
    event = submitted(jwt=token)
    handle(event, repo, outbox, at=T0)
    # Two hours later the credential has expired: a recomputation would now say "failed".
    handle(event, repo, outbox, at=T0 + timedelta(hours=2))
    first, second = outbox.events
    assert repo.saves == 1
    assert second.event_id == first.event_id
    assert second.payload == first.payload
    assert second.payload["report"]["verdict"] == "verified"


def test_a_second_submission_of_the_same_credential_under_a_new_event_id_keeps_the_same_verified_event_id(token):
    repo, outbox = FakeVerdicts(), Outbox()
    handle(submitted(jwt=token), repo, outbox)
    handle(submitted(jwt=token), repo, outbox)
    assert len({e.event_id for e in outbox.events}) == 1


def test_when_publishing_fails_the_retry_publishes_the_verdict_that_was_already_stored(token):
    repo, outbox = FakeVerdicts(), Outbox(failures=1)
    event = submitted(jwt=token)
    with pytest.raises(PublishError):
        handle(event, repo, outbox, at=T0)
    handle(event, repo, outbox, at=T0 + timedelta(hours=2))
    [published] = outbox.events
    assert repo.saves == 1
    assert published.payload["report"]["checked_at"] == T0.isoformat()


def test_the_same_credential_id_in_two_tenants_gets_two_verdicts_and_two_event_ids(token):
    repo, outbox = FakeVerdicts(), Outbox()
    handle(submitted(jwt=token, tenant="t_acme"), repo, outbox)
    handle(submitted(jwt=token, tenant="t_globex"), repo, outbox)
    assert repo.saves == 2
    assert len({e.event_id for e in outbox.events}) == 2


def test_no_personal_data_from_the_submission_is_stored_with_the_verdict(token):
    repo, outbox = FakeVerdicts(), Outbox()
    handle(submitted(jwt=token), repo, outbox)
    stored = repr(repo.docs)
    assert "ada@example.org" not in stored and "Ada Lovelace" not in stored and token not in stored
