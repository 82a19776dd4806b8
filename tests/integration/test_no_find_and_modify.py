"""Matching's and verification's writes on a real MongoDB: no findAndModify (O(collection) on secantusdb,
bench/repro/secantusdb_find_and_modify.py), and still idempotent and race-safe without it."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring

from services.matching.repository import MatchingRepository
from services.verification.repository import VerdictRepository

pytestmark = pytest.mark.integration


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.names: list[str] = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def watched(settings, db):
    """The test's database through a client that records every command sent."""
    commands = Commands()
    client = MongoClient(settings.mongo_uri, tz_aware=True, event_listeners=[commands])
    yield client[settings.mongo_db], commands
    client.close()


def report(verdict: str = "verified") -> dict:
    return {"verdict": verdict, "format": "vc-jwt", "checks": [], "checked_at": "2026-11-25T00:00:00+00:00"}


def test_an_application_and_its_verdicts_are_stored_without_find_and_modify(watched):
    database, commands = watched
    matching, verdicts = MatchingRepository(database), VerdictRepository(database)
    matching.ensure_indexes()
    verdicts.ensure_indexes()
    commands.names.clear()
    verdicts.save(tenant="t1", credential_id="c1", application_id="a1", candidate_id="p", source_event_id="e1",
                  report=report())
    matching.touch_application("t1", "a1", candidate_id="p")
    ready = matching.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=["c1"])
    bumped = matching.bump_application("t1", "a1")
    matching.put_role("t1", "job-1", title="Engineer", requirements=[], job_ids=[])
    role, _ = matching.put_role("t1", "job-1", title="Engineer", requirements=[], job_ids=[])
    assert "findAndModify" not in commands.names
    assert (ready["revision"], bumped["revision"], role["revision"]) == (2, 3, 2)
    assert matching.bump_application("t1", "gone") is None


def test_concurrent_bumps_of_one_application_each_get_their_own_revision(db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    seen: list[int] = []

    def touch():
        for _ in range(10):
            seen.append(repo.touch_application("t1", "a1", candidate_id="p")["revision"])

    threads = [threading.Thread(target=touch) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert repo.get_application("t1", "a1")["revision"] == 40
    assert max(seen) == 40  # each read back is at or after its own bump, so the last one sees them all


def test_the_first_verdict_stored_wins_and_a_second_save_returns_it(db):
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    first = repo.save(tenant="t1", credential_id="c1", application_id="a1", candidate_id="p", source_event_id="e1",
                      report=report("verified"))
    again = repo.save(tenant="t1", credential_id="c1", application_id="a1", candidate_id="p", source_event_id="e2",
                      report=report("failed"))
    assert first == again and again["report"]["verdict"] == "verified" and again["source_event_id"] == "e1"
    assert "_id" not in again


def test_two_workers_claiming_due_rechecks_never_take_the_same_verdict(db):
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    due = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    for i in range(20):
        repo.save(tenant="t1", credential_id=f"c{i:02d}", application_id="a1", candidate_id="p", source_event_id="e",
                  report={**report(), "recheck_at": (due - timedelta(minutes=i)).isoformat()})
    taken: list[list[str]] = [[], []]

    def claim(worker: int):
        while batch := repo.claim_due(due, limit=3, lease=timedelta(minutes=5)):
            taken[worker].extend(d["credential_id"] for d in batch)

    threads = [threading.Thread(target=claim, args=(w,)) for w in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(taken[0] + taken[1]) == [f"c{i:02d}" for i in range(20)]
    assert repo.claim_due(due, limit=3, lease=timedelta(minutes=5)) == []
