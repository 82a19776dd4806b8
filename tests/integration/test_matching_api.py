"""The recruiters' API on a real MongoDB: auth, tenant isolation, ranked pagination under concurrent writes, validation."""
from __future__ import annotations

import threading
import time

import pytest

from shared.tenants import TenantRepository

from services.matching import recruiter, service
from services.matching.app import create_app
from services.matching.repository import MatchingRepository

pytestmark = pytest.mark.integration

ROLE = {"title": "Backend engineer", "requirements": [
    {"id": "py", "competency": "Python programming", "importance": "essential", "weight": 2},
    {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1},
    {"id": "agile", "competency": "Agile", "importance": "preferred", "weight": 1}]}
# Achievement sets giving scores 100, 75, 50 (two ways), 40 (capped) and 0, so ties are common.
PROFILES = [("Python (computer programming)", "SQL", "Agile"), ("Python", "SQL"), ("Python",),
            ("SQL", "Agile"), ("SQL",), ()]


def report(name: str, verdict: str = "verified") -> dict:
    return {"verdict": verdict, "format": "vc-jwt", "checks": [], "achievement": {"name": name},
            "issuer": {"id": "did:key:z6Mk-test", "name": "Test Academy"}, "checked_at": "2026-11-25T00:00:00+00:00"}


class World:
    def __init__(self, settings, db):
        self.repo = MatchingRepository(db)
        self.repo.ensure_indexes()
        tenants = TenantRepository(db, settings)
        tenants.ensure_indexes()
        self.keys = {}
        for name in ("t1", "t2"):
            tenant_id, _ = tenants.create_tenant(name)
            self.keys[name] = (tenant_id, tenants.create_api_key(tenant_id))
        self.client = create_app(settings).test_client()
        self.published = []

    def tenant(self, name="t1") -> str:
        return self.keys[name][0]

    def auth(self, name="t1") -> dict:
        return {"Authorization": f"Bearer {self.keys[name][1]}"}

    def apply(self, application_id: str, achievements, *, tenant="t1", job="job-1", verdict="verified") -> None:
        t = self.tenant(tenant)
        ids = []
        for i, name in enumerate(achievements):
            cid = f"{application_id}-c{i}"
            ids.append(cid)
            self.repo.record_evidence(t, cid, application_id=application_id, candidate_id=f"cand-{application_id}",
                                      report=report(name, verdict))
        application = self.repo.record_application(t, application_id, job_id=job, candidate_id=f"cand-{application_id}",
                                                   credential_ids=ids + [f"{application_id}-unverified"])
        # The listed credential that never gets a verdict is past a zero deadline: unavailable, counting for nothing.
        service.rescore_application(t, application, repo=self.repo, publish=self.published.extend, verify_deadline_s=0)


@pytest.fixture
def world(settings, db):
    w = World(settings, db)
    assert w.client.put("/v1/roles/job-1", json=ROLE, headers=w.auth()).status_code == 201
    return w


def walk(client, url: str, headers: dict, *, between_pages=lambda: None) -> list[dict]:
    rows, cursor = [], None
    while True:
        response = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert response.status_code == 200, response.json
        rows.extend(response.json["candidates"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return rows
        between_pages()


def test_candidates_are_ranked_by_score_with_ties_in_application_id_order(world):
    for i in range(24):
        world.apply(f"app-{i:03d}", PROFILES[i % len(PROFILES)])
    time.sleep(recruiter.SETTLE_S + 0.1)
    rows = walk(world.client, "/v1/roles/job-1/candidates?limit=5", world.auth())
    assert len(rows) == 24
    keys = [(-r["score"], r["application_id"]) for r in rows]
    assert keys == sorted(keys)
    assert [r["score"] for r in rows[:4]] == [100] * 4 and rows[-1]["score"] == 0
    assert rows[0]["requirements"] == {"py": "met", "sql": "met", "agile": "met"}


def test_min_score_and_status_filter_the_ranking(world):
    for i in range(12):
        world.apply(f"app-{i:03d}", PROFILES[i % len(PROFILES)])
    world.apply("app-elsewhere", ("Python",), job="job-without-role")
    time.sleep(recruiter.SETTLE_S + 0.1)
    high = world.client.get("/v1/roles/job-1/candidates?min_score=75", headers=world.auth()).json["candidates"]
    assert {r["score"] for r in high} == {100, 75} and len(high) == 4
    unscored = world.client.get("/v1/roles/job-without-role/candidates", headers=world.auth())
    assert unscored.status_code == 404  # no such role: its applications are kept, shown by their score


def test_pagination_never_repeats_nor_skips_an_unchanged_application_while_scores_are_written(world):
    for i in range(60):
        world.apply(f"app-{i:03d}", PROFILES[i % len(PROFILES)])
    time.sleep(recruiter.SETTLE_S + 0.1)
    changed, stop = set(), threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            # New applicants arrive, and existing ones gain or lose evidence, moving up and down the ranking.
            world.apply(f"new-{n:03d}", PROFILES[n % len(PROFILES)])
            victim = f"app-{(n * 7) % 60:03d}"
            world.apply(victim, PROFILES[(n * 5 + 1) % len(PROFILES)])
            changed.add(victim)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        rows = walk(world.client, "/v1/roles/job-1/candidates?limit=4", world.auth(),
                    between_pages=lambda: time.sleep(0.02))
    finally:
        stop.set()
        thread.join()
    ids = [r["application_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an application was listed twice"
    unchanged = {f"app-{i:03d}" for i in range(60)} - changed
    assert changed and unchanged <= set(ids), f"skipped: {sorted(unchanged - set(ids))}"
    assert not any(i.startswith("new-") for i in ids)  # arrived after the walk began
    keys = [(-r["score"], r["application_id"]) for r in rows]
    assert keys == sorted(keys)


def test_a_cursor_the_api_did_not_issue_or_for_other_filters_is_a_400_problem(world):
    for i in range(6):
        world.apply(f"app-{i:03d}", PROFILES[i])
    time.sleep(recruiter.SETTLE_S + 0.1)
    first = world.client.get("/v1/roles/job-1/candidates?limit=2", headers=world.auth()).json
    for url in ("/v1/roles/job-1/candidates?cursor=bm9wZQ", "/v1/roles/job-1/candidates?cursor=%%%",
                f"/v1/roles/job-1/candidates?min_score=50&cursor={first['next_cursor']}"):
        response = world.client.get(url, headers=world.auth())
        assert response.status_code == 400 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("query", ["min_score=abc", "min_score=101", "limit=0", "limit=201", "status=hired"])
def test_an_invalid_listing_query_is_a_422_problem_with_field_errors(world, query):
    response = world.client.get(f"/v1/roles/job-1/candidates?{query}", headers=world.auth())
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {query.split("=")[0]}


def test_every_recruiter_endpoint_refuses_a_missing_or_unknown_api_key(world):
    for path in ("/v1/roles/job-1/candidates", "/v1/applications/app-000/score", "/v1/candidates/c/credentials",
                 "/v1/synonyms"):
        for headers in ({}, {"Authorization": "Bearer cbk_nope.nope"}):
            response = world.client.get(path, headers=headers)
            assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_another_tenants_role_application_and_candidate_answer_404(world):
    world.apply("app-000", PROFILES[0])
    for path in ("/v1/roles/job-1/candidates", "/v1/roles/job-1", "/v1/applications/app-000/score",
                 "/v1/candidates/cand-app-000/credentials"):
        assert world.client.get(path, headers=world.auth()).status_code == 200, path
        other = world.client.get(path, headers=world.auth("t2"))
        assert other.status_code == 404 and other.mimetype == "application/problem+json", path


def test_a_candidates_credentials_are_listed_with_their_latest_verdict(world):
    world.apply("app-000", ("Python", "SQL"))
    world.repo.record_evidence(world.tenant(), "app-000-c1", application_id="app-000", candidate_id="cand-app-000",
                               report={**report("SQL", "failed"), "checks": [
                                   {"code": "status.revocation", "status": "failed", "message": "revoked by issuer"}]})
    body = world.client.get("/v1/candidates/cand-app-000/credentials", headers=world.auth()).json
    assert [(c["credential_id"], c["status"]) for c in body["credentials"]] == [
        ("app-000-c0", "verified"), ("app-000-c1", "revoked"), ("app-000-unverified", "unverified")]
    assert body["credentials"][0]["issuer"]["name"] == "Test Academy"


def test_a_role_with_an_unnamed_concept_or_an_impossible_stack_is_a_422_with_field_errors(world):
    bad = {"title": "x", "requirements": [
        {"id": "a", "competency": "Go", "importance": "preferred", "weight": 1, "concept": {"framework": "ESCO"}},
        {"id": "b", "competency": "Cloud", "importance": "preferred", "weight": 1,
         "any_of": {"count": 3, "of": [{"label": "AWS"}, {"label": "GCP"}]}},
        {"id": "c", "competency": "SQL", "importance": "preferred", "weight": 1, "min_level": True}]}
    response = world.client.put("/v1/roles/job-2", json=bad, headers=world.auth())
    assert response.status_code == 422
    errors = response.json["errors"]["requirements"]
    assert set(errors) == {"0", "1", "2"} and "concept" in errors["0"] and "any_of" in errors["1"]


def test_putting_synonyms_stores_them_and_plans_the_re_scoring_of_every_role(world):
    before = world.client.get("/v1/roles/job-1", headers=world.auth()).json["revision"]
    response = world.client.put("/v1/synonyms", json={"groups": [["k8s", "Kubernetes"]]}, headers=world.auth())
    assert response.status_code == 200 and response.json == {"groups": [["k8s", "Kubernetes"]]}
    assert world.client.get("/v1/synonyms", headers=world.auth()).json == {"groups": [["k8s", "Kubernetes"]]}
    assert world.client.get("/v1/synonyms", headers=world.auth("t2")).json == {"groups": []}
    assert world.client.get("/v1/roles/job-1", headers=world.auth()).json["revision"] == before + 1
    lonely = world.client.put("/v1/synonyms", json={"groups": [["k8s"]]}, headers=world.auth())
    assert lonely.status_code == 422


def test_the_openapi_document_and_its_offline_docs_page_are_served(world):
    spec = world.client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/v1/roles/{role_id}/candidates" in spec["paths"]
    assert "Requirement" in spec["components"]["schemas"]
    page = world.client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"/v1/roles/{role_id}/candidates" in page.data and b"<script" not in page.data


def test_the_ranked_query_is_answered_from_the_ranking_index(world, db):
    world.apply("app-000", PROFILES[0])
    names = [index["name"] for index in db["scores"].list_indexes()]
    assert any("rank_score" in name for name in names)
