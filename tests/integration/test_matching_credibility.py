"""The credibility list on the real database: stored per tenant, imported as CSV, re-scoring with the tiers it gives."""
from __future__ import annotations

import pytest

from shared.tenants import TenantRepository

from services.matching import service
from services.matching.app import create_app
from services.matching.repository import MatchingRepository

pytestmark = pytest.mark.integration

ROLE = {"title": "Analyst", "credibility": {"weights": {"known": 0.5}, "essential_minimum": "known"},
        "requirements": [{"id": "sql", "competency": "SQL", "importance": "essential", "weight": 1}]}
CSV = "kind,value,tier,accredited_by\ndomain,uni.example,accredited,QAA\ndid,did:web:bootcamp.example,known,\n"


@pytest.fixture
def world(settings, db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    keys, ids = {}, {}
    for name in ("t1", "t2"):
        ids[name], _ = tenants.create_tenant(name)
        keys[name] = {"Authorization": f"Bearer {tenants.create_api_key(ids[name])}"}
    client = create_app(settings).test_client()
    assert client.put("/v1/roles/job-1", json=ROLE, headers=keys["t1"]).status_code == 201
    return client, keys, ids, repo


def score_of(repo, tenant: str, issuer: str) -> dict:
    repo.record_evidence(tenant, "c1", application_id="a1", candidate_id="cand-1", report={
        "verdict": "verified", "checks": [], "achievement": {"name": "SQL"}, "issuer": {"id": issuer, "name": "X"}})
    application = repo.record_application(tenant, "a1", job_id="job-1", candidate_id="cand-1", credential_ids=["c1"])
    return service.rescore_application(tenant, application, repo=repo, publish=lambda events: None)


def test_an_imported_list_is_the_tenants_alone_and_re_plans_its_roles(world):
    client, keys, _, _ = world
    response = client.put("/v1/credibility", data=CSV, headers={**keys["t1"], "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert len(client.get("/v1/credibility", headers=keys["t1"]).json["issuers"]) == 2
    assert client.get("/v1/credibility", headers=keys["t2"]).json == {"issuers": []}
    role = client.get("/v1/roles/job-1", headers=keys["t1"]).json
    assert (role["revision"], role["credibility"]) == (2, ROLE["credibility"])


def test_the_tiers_of_the_stored_list_weigh_the_score(world):
    client, keys, ids, repo = world
    assert client.put("/v1/credibility", data=CSV, headers={**keys["t1"], "Content-Type": "text/csv"}).status_code == 200
    assert score_of(repo, ids["t1"], "did:web:www.uni.example")["score"] == 100
    known = score_of(repo, ids["t1"], "did:web:bootcamp.example")
    assert known["score"] == 50 and "weighted 0.5" in known["requirements"][0]["reason"]
    stranger = score_of(repo, ids["t1"], "did:web:stranger.example")
    assert stranger["score"] == 0 and "below the known" in stranger["requirements"][0]["reason"]
