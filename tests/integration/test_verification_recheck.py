"""Re-verification against the real database, broker and a real HTTP status host: a flipped bit re-publishes."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.fetching import Fetcher
from services.verification.handlers import handle_credential_submitted
from services.verification.repository import VerdictRepository
from services.verification.reverify import recheck_due
from services.verification.verifier import Verifier
from shared import events
from shared.kafka import Publisher
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader
from tests.support.status_host import StatusHost
from tests.support.status_lists import credential_with_status, list_credential, status_entry

LEASE = timedelta(seconds=60)


@pytest.fixture
def host():
    with StatusHost() as running:
        yield running


@pytest.fixture
def world(settings, db, servers):
    settings = dataclasses.replace(settings, fetch_allow_loopback=1)
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    publisher, fetcher = Publisher(settings, client_id="test-recheck"), Fetcher(settings)
    reader = TopicReader(servers.kafka.bootstrap, events.CREDENTIALS_VERIFIED)
    yield repo, publisher, Verifier(settings, fetch=fetcher.get), reader
    reader.close()
    fetcher.close()
    publisher.close()


def submitted(token: str, credential_id: str) -> events.Event:
    return events.new_event("credential.submitted", tenant="t_recheck", payload={
        "credential_id": credential_id, "application_id": "app-1", "provenance": "test",
        "candidate": {"id": "cand-1", "emails": ["ada@example.org"]}, "jwt": token})


def verdicts_of(reader, credential_id, count):
    def mine(seen):
        return [e for e in (events.decode(r.value) for r in seen[events.CREDENTIALS_VERIFIED])
                if e.payload["credential_id"] == credential_id]
    reader.read(until=lambda seen: len(mine(seen)) >= count, timeout_s=20)
    return mine(reader.seen)


def test_a_bit_flipped_on_the_served_list_republishes_a_failed_verdict_under_a_new_event_id(world, host):
    repo, publisher, verifier, reader = world
    issuer = Issuer.generate()
    url = host.serve("/l", list_credential(issuer, url=host.url("/l"), ttl_ms=1000))
    token = credential_with_status(issuer, [status_entry(url, 5)], subject_email="ada@example.org")
    now = datetime.now(timezone.utc)
    handle_credential_submitted(submitted(token, "c-flip"), repo=repo, publish=publisher.publish, verifier=verifier,
                                now=lambda: now)
    stored = repo.get("t_recheck", "c-flip")
    assert stored["report"]["verdict"] == "verified" and stored["recheck_at"] is not None
    assert "ada@example.org" not in repr(stored) and token not in repr(stored)

    assert recheck_due(repo=repo, publish=publisher.publish, verifier=verifier, now=now + timedelta(seconds=2),
                       lease=LEASE) == 0  # due, re-checked, unchanged: nothing new published
    host.serve("/l", list_credential(issuer, url=url, ttl_ms=1000, set_bits=[5]))
    assert recheck_due(repo=repo, publish=publisher.publish, verifier=verifier, now=now + timedelta(seconds=4),
                       lease=LEASE) == 1

    first, second = verdicts_of(reader, "c-flip", 2)
    assert (first.payload["report"]["verdict"], second.payload["report"]["verdict"]) == ("verified", "failed")
    assert second.payload["report"]["status"] == {"revoked": True}
    assert first.event_id != second.event_id
    assert repo.get("t_recheck", "c-flip")["revision"] == 1 and repo.get("t_recheck", "c-flip")["recheck_at"] is None


def test_a_credential_that_expires_gets_a_new_failed_verdict_at_its_expiry(world):
    repo, publisher, verifier, reader = world
    now = datetime.now(timezone.utc)
    token = Issuer.generate().vc_jwt(exp=now + timedelta(minutes=5))
    handle_credential_submitted(submitted(token, "c-exp"), repo=repo, publish=publisher.publish, verifier=verifier,
                                now=lambda: now)
    assert recheck_due(repo=repo, publish=publisher.publish, verifier=verifier, now=now + timedelta(minutes=1),
                       lease=LEASE) == 0  # not due yet
    assert recheck_due(repo=repo, publish=publisher.publish, verifier=verifier, now=now + timedelta(minutes=7),
                       lease=LEASE) == 1
    _, expired = verdicts_of(reader, "c-exp", 2)
    assert expired.payload["report"]["verdict"] == "failed"
    assert next(c for c in expired.payload["report"]["checks"] if c["code"] == "validity.expiry")["status"] == "failed"


def test_a_list_that_comes_back_after_being_unreachable_turns_indeterminate_into_verified(world, host):
    repo, publisher, verifier, reader = world
    issuer = Issuer.generate()
    url = host.url("/later")
    token = credential_with_status(issuer, [status_entry(url, 1)])
    now = datetime.now(timezone.utc)
    handle_credential_submitted(submitted(token, "c-later"), repo=repo, publish=publisher.publish, verifier=verifier,
                                now=lambda: now)
    assert repo.get("t_recheck", "c-later")["report"]["verdict"] == "indeterminate"
    host.serve("/later", list_credential(issuer, url=url))
    recheck_due(repo=repo, publish=publisher.publish, verifier=verifier, now=now + timedelta(hours=1), lease=LEASE)
    _, later = verdicts_of(reader, "c-later", 2)
    assert later.payload["report"]["verdict"] == "verified"


def test_a_claimed_verdict_is_not_claimed_again_by_another_worker_within_its_lease(world):
    repo, publisher, verifier, _ = world
    now = datetime.now(timezone.utc)
    token = Issuer.generate().vc_jwt(exp=now + timedelta(minutes=5))
    handle_credential_submitted(submitted(token, "c-lease"), repo=repo, publish=publisher.publish, verifier=verifier,
                                now=lambda: now)
    later = now + timedelta(minutes=10)
    assert len(repo.claim_due(later, limit=10, lease=LEASE)) == 1
    assert repo.claim_due(later, limit=10, lease=LEASE) == []
