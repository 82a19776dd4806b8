"""Pending applications on a real MongoDB: the first-listed moment, the deadline sweep's query, the ranking kept apart."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from shared.tenants import TenantRepository

from services.matching import recruiter, service
from services.matching.app import create_app
from services.matching.repository import MatchingRepository
from services.matching.rescorer import rescore_overdue

pytestmark = pytest.mark.integration

ROLE = {"title": "Backend engineer", "requirements": [
    {"id": "py", "competency": "Python programming", "importance": "essential", "weight": 1}]}


def report(name: str) -> dict:
    return {"verdict": "verified", "format": "vc-jwt", "checks": [], "achievement": {"name": name},
            "issuer": {"id": "did:key:z6Mk-test", "name": "Test Academy"}, "checked_at": "2026-11-25T00:00:00+00:00"}


@pytest.fixture
def repo(db):
    r = MatchingRepository(db)
    r.ensure_indexes()
    return r


def test_a_redelivered_application_keeps_the_moment_each_credential_was_first_listed(repo):
    first = repo.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=["c1"])
    time.sleep(0.01)
    again = repo.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=["c1", "c2"])
    assert again["credentials_seen"]["c1"] == first["credentials_seen"]["c1"]
    assert again["credentials_seen"]["c2"] > first["credentials_seen"]["c1"]


def test_the_deadline_sweep_finds_only_overdue_pending_scores_through_its_index(repo, db):
    now = service.utcnow()
    base = {"tenant": "t1", "role_id": "job-1", "job_id": "job-1", "score": None, "computed_at": now,
            "pending_publish": False, "input_revision": 1, "fingerprint": "f"}
    repo.save_score({**base, "application_id": "due", "status": "pending", "rank_score": -2,
                     "pending_until": now - timedelta(seconds=1)})
    repo.save_score({**base, "application_id": "later", "status": "pending", "rank_score": -2,
                     "pending_until": now + timedelta(minutes=5)})
    repo.save_score({**base, "application_id": "final", "status": "scored", "score": 40, "rank_score": 40,
                     "pending_until": None})
    assert repo.scores_past_deadline(now, limit=10) == [("t1", "due")]
    plan = db.scores.find({"pending_until": {"$lte": now}}).explain()["queryPlanner"]["winningPlan"]
    assert "COLLSCAN" not in repr(plan)


def test_pending_applications_are_listed_apart_from_the_ranking_and_join_it_once_scored(settings, db, repo):
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    tenant, _ = tenants.create_tenant("t1")
    auth = {"Authorization": f"Bearer {tenants.create_api_key(tenant)}"}
    client = create_app(settings).test_client()
    assert client.put("/v1/roles/job-1", json=ROLE, headers=auth).status_code == 201

    def apply(application_id: str, *, verified: bool) -> None:
        if verified:
            repo.record_evidence(tenant, f"{application_id}-c", application_id=application_id, candidate_id="p",
                                 report=report("Python"))
        application = repo.record_application(tenant, application_id, job_id="job-1", candidate_id="p",
                                               credential_ids=[f"{application_id}-c"])
        service.rescore_application(tenant, application, repo=repo, publish=lambda events: None)

    apply("a-scored", verified=True)
    apply("a-waiting", verified=False)
    time.sleep(recruiter.SETTLE_S + 0.1)

    def listed(query: str = "") -> list[tuple[str, str]]:
        page = client.get(f"/v1/roles/job-1/candidates{query}", headers=auth)
        assert page.status_code == 200, page.json
        return [(c["application_id"], c["status"]) for c in page.json["candidates"]]

    assert listed() == [("a-scored", "scored")]
    assert listed("?status=scored") == [("a-scored", "scored")]
    assert listed("?status=pending") == [("a-waiting", "pending")]
    assert listed("?status=pending&min_score=0") == []
    waiting = client.get("/v1/applications/a-waiting/score", headers=auth).json
    assert (waiting["status"], waiting["score"], waiting["reason"]) == ("pending", None, "1 credential being verified")

    # Its deadline passes (the sweep runs on a clock 20 minutes on) and it is scored on what it has: nothing.
    later = service.utcnow() + timedelta(minutes=20)
    assert rescore_overdue(repo=repo, publish=lambda events: None, clock=lambda: later) == 1
    scored = client.get("/v1/applications/a-waiting/score", headers=auth).json
    assert (scored["status"], scored["score"]) == ("scored", 0)
    assert scored["credentials"][0]["status"] == "unavailable" and scored["credentials"][0]["reason"]
