"""The matching HTTP API over in-memory adapters: auth, tenant scoping, problem documents, the score view."""
from __future__ import annotations

import pytest

from services.matching import service
from services.matching.app import build_app
from tests.unit.matching_fakes import FakeMatchingRepository, FakeTenants, RecordingPublisher

KEY_T1, KEY_T2 = "cbk_one.secret", "cbk_two.secret"
ROLE = {"title": "Backend engineer", "requirements": [
    {"id": "py", "competency": "Python", "importance": "essential", "weight": 2},
    {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1}]}


@pytest.fixture
def repo():
    return FakeMatchingRepository()


@pytest.fixture
def client(repo):
    app = build_app(repo=repo, tenants=FakeTenants({KEY_T1: "t1", KEY_T2: "t2"}), ready_checks={})
    return app.test_client()


def auth(key=KEY_T1):
    return {"Authorization": f"Bearer {key}"}


def test_a_request_without_a_valid_api_key_is_refused_with_401(client):
    for headers in ({}, {"Authorization": "Bearer cbk_nope.nope"}, {"Authorization": f"Basic {KEY_T1}"}):
        response = client.get("/v1/roles", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_putting_a_new_role_creates_it_and_putting_it_again_replaces_it(client):
    created = client.put("/v1/roles/job-1", json=ROLE, headers=auth())
    assert created.status_code == 201 and created.headers["Location"].endswith("/v1/roles/job-1")
    assert created.json["revision"] == 1 and created.json["requirements"][0]["weight"] == 2.0
    replaced = client.put("/v1/roles/job-1", json={**ROLE, "title": "Senior backend engineer"}, headers=auth())
    assert replaced.status_code == 200
    assert (replaced.json["revision"], replaced.json["title"]) == (2, "Senior backend engineer")


def test_an_invalid_role_is_answered_with_422_and_field_errors(client):
    bad = {"title": "x", "requirements": [{"id": "a", "competency": "Go", "importance": "must", "weight": 0}]}
    response = client.put("/v1/roles/job-1", json=bad, headers=auth())
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(response.json["errors"]["requirements"]["0"]) == {"importance", "weight"}
    assert client.get("/v1/roles/job-1", headers=auth()).status_code == 404


def test_a_role_repeating_a_requirement_id_is_answered_with_422(client):
    twice = {"title": "x", "requirements": [{"id": "a", "competency": "Go", "importance": "preferred", "weight": 1},
                                            {"id": "a", "competency": "SQL", "importance": "preferred", "weight": 1}]}
    response = client.put("/v1/roles/job-1", json=twice, headers=auth())
    assert response.status_code == 422
    assert "repeated: a" in str(response.json["errors"]["requirements"])


def test_an_overlong_role_id_is_answered_with_422(client):
    response = client.put("/v1/roles/" + "x" * 201, json=ROLE, headers=auth())
    assert response.status_code == 422 and "role_id" in response.json["errors"]


def test_a_role_body_that_is_not_json_is_refused_with_415(client):
    response = client.put("/v1/roles/job-1", data="title=x", headers=auth(),
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_role_shows_its_rescoring_progress(client, repo):
    repo.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=[])
    client.put("/v1/roles/job-1", json=ROLE, headers=auth())
    assert client.get("/v1/roles/job-1", headers=auth()).json["rescoring"] == {"pending": 1, "done": 0}


def test_another_tenants_role_is_not_found(client):
    client.put("/v1/roles/job-1", json=ROLE, headers=auth(KEY_T1))
    response = client.get("/v1/roles/job-1", headers=auth(KEY_T2))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.delete("/v1/roles/job-1", headers=auth(KEY_T2)).status_code == 404
    assert client.get("/v1/roles", headers=auth(KEY_T2)).json["roles"] == []


def test_a_deleted_role_is_gone_from_the_api(client):
    client.put("/v1/roles/job-1", json=ROLE, headers=auth())
    assert client.delete("/v1/roles/job-1", headers=auth()).status_code == 204
    assert client.get("/v1/roles/job-1", headers=auth()).status_code == 404
    assert client.delete("/v1/roles/job-1", headers=auth()).status_code == 404
    assert client.put("/v1/roles/job-1", json=ROLE, headers=auth()).status_code == 201


def test_roles_are_listed_in_id_order_a_page_at_a_time(client):
    for role_id in ("c", "a", "b"):
        client.put(f"/v1/roles/{role_id}", json=ROLE, headers=auth())
    first = client.get("/v1/roles?limit=2", headers=auth()).json
    assert [r["role_id"] for r in first["roles"]] == ["a", "b"] and first["next_after"] == "b"
    rest = client.get("/v1/roles?limit=2&after=b", headers=auth()).json
    assert [r["role_id"] for r in rest["roles"]] == ["c"] and rest["next_after"] is None


def test_the_score_of_an_application_explains_each_requirement(client, repo):
    client.put("/v1/roles/job-1", json=ROLE, headers=auth())
    repo.record_evidence("t1", "c1", application_id="a1", candidate_id="p", report={
        "verdict": "verified", "achievement": {"name": "python"}, "issuer": {"id": "did:web:u", "name": "Uni"}})
    application = repo.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=["c1"])
    service.rescore_application("t1", application, repo=repo, publish=RecordingPublisher())

    response = client.get("/v1/applications/a1/score", headers=auth())
    assert response.status_code == 200
    score = response.json
    assert {k: score[k] for k in ("application_id", "role_id", "status", "score")} == {
        "application_id": "a1", "role_id": "job-1", "status": "scored", "score": 67}
    assert score["score_version"] and score["computed_at"].endswith("+00:00")
    assert [(r["id"], r["status"], r["reason"]) for r in score["requirements"]] == [
        ("py", "met", "Met by 'python' from Uni (verified)"),
        ("sql", "missing", "No verified credential shows 'SQL'")]
    assert [(c["credential_id"], c["verdict"]) for c in score["credentials"]] == [("c1", "verified")]


def test_the_score_of_an_unknown_or_another_tenants_application_is_not_found(client, repo):
    repo.record_application("t1", "a1", job_id="job-1", candidate_id="p", credential_ids=[])
    assert client.get("/v1/applications/nope/score", headers=auth()).status_code == 404
    assert client.get("/v1/applications/a1/score", headers=auth(KEY_T2)).status_code == 404


def test_an_application_known_only_from_a_verdict_is_awaiting_its_application(client, repo):
    repo.record_evidence("t1", "c1", application_id="a1", candidate_id="p", report={"verdict": "failed"})
    repo.touch_application("t1", "a1", candidate_id="p")
    score = client.get("/v1/applications/a1/score", headers=auth()).json
    assert (score["status"], score["score"], score["computed_at"]) == ("awaiting_application", None, None)
    assert score["credentials"][0]["verdict"] == "failed"
