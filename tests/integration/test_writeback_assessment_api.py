"""Greenhouse's Assessment partner calls against the write-back's HTTP app on the real database: send_test, then
test_status shows the score, and a lower score after a revocation PATCHes Greenhouse and shows in test_status."""
from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.writeback.app import create_app
from services.writeback.assessment import TEST_ID
from services.writeback.connector import Connector
from services.writeback.dispatcher import Dispatcher
from services.writeback.handlers import handle_application, handle_score
from services.writeback.repository import WritebackRepository
from services.writeback.service import Policy
from shared.events import new_event
from shared.fetch import Fetcher
from shared.tenants import TenantRepository
from tests.support.fake_ats_write import FakeAtsWrites
from tests.support.waiting import wait_for

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TENANT = "t_assess"


@pytest.fixture
def ats():
    with FakeAtsWrites() as fake:
        yield fake


@pytest.fixture
def world(settings, db, ats, monkeypatch, capsys):
    """The tenant's assessment connection made with the CLI; the app; a running dispatcher."""
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    tenants.tenants.insert_one({"_id": TENANT, "name": "Acme"})
    tenants.add_connection(TENANT, "greenhouse", secret="s")
    from services.cli import main
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    assert main(["connection", "writeback", TENANT, "greenhouse", "--enable", "--assessment",
                 "--base-url", ats.base_url, "--profile-url", "https://recruit.example/{application_id}"]) == 0
    key = json.loads(capsys.readouterr().out)["partner_api_key"]
    ats.partner_key = key
    repo = WritebackRepository(db, tenants)
    fetcher = Fetcher(replace(settings, fetch_allow_loopback=1, fetch_deadline_s=3))
    dispatcher = Dispatcher(repo=repo, connect=Connector(repo=repo, tenants=tenants, fetcher=fetcher),
                            policy_=Policy(max_attempts=3, backoff_s=0.2), poll_s=0.1)
    dispatcher.start()
    client = create_app(settings).test_client()
    yield {"client": client, "repo": repo, "dispatcher": dispatcher,
           "auth": {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}}
    dispatcher.stop()
    dispatcher.join(timeout=20)
    fetcher.close()


def _score(world, value: int, *, met: int, minute: int) -> None:
    reqs = [{"id": f"r{i}", "competency": f"Skill {i}", "status": "met" if i < met else "missing", "reason": "…"}
            for i in range(4)]
    handle_score(new_event("score.computed", tenant=TENANT, payload={
        "application_id": "26234709", "role_id": "j1", "status": "scored", "score": value,
        "score_version": "2026-12.1", "computed_at": (T0 + timedelta(minutes=minute)).isoformat(),
        "reason": f"{met} of 4 met", "requirements": reqs}), repo=world["repo"], wake=world["dispatcher"].wake)


def _send_test(world, ats, **overrides):
    body = {"partner_test_id": TEST_ID, "url": f"{ats.base_url}/integrations/testing_partners/take_home_tests/12345",
            "candidate": {"first_name": "Ada", "last_name": "L", "email": "ada@example.org",
                          "greenhouse_profile_url": "https://app.greenhouse.io/people/17681532?application_id=26234709"},
            **overrides}
    return world["client"].post(f"/v1/assessments/greenhouse/{TENANT}/send_test", json=body, headers=world["auth"])


def test_greenhouse_sends_the_test_and_reads_the_score_then_the_lower_one_after_a_revocation(world, ats):
    handle_application(new_event("application.received", tenant=TENANT, payload={
        "provider": "greenhouse", "delivery_id": "d1", "application": {"id": "26234709", "job_id": "j1"},
        "candidate": {"id": "17681532"}, "enrich": None}), repo=world["repo"])
    _score(world, 75, met=3, minute=1)
    wait_for(lambda: (world["repo"].get(TENANT, "26234709") or {}).get("outcome") == "written", timeout_s=20,
             what="the score recorded before any test was sent")
    assert ats.assessment_patches == []
    sent = _send_test(world, ats)
    assert sent.status_code == 200 and _send_test(world, ats).json == sent.json      # the same test, the same id
    interview = sent.json["partner_interview_id"]
    wait_for(lambda: ats.assessment_patches, timeout_s=20, what="Greenhouse told the result is there")
    status = world["client"].get(f"/v1/assessments/greenhouse/{TENANT}/test_status",
                                 query_string={"partner_interview_id": interview}, headers=world["auth"]).json
    assert status["partner_status"] == "complete" and status["partner_score"] == 75
    assert status["partner_profile_url"] == "https://recruit.example/26234709"
    _score(world, 25, met=1, minute=2)

    def patched_lower():
        record = world["repo"].get(TENANT, "26234709") or {}
        return record.get("outcome") == "written" and (record.get("remote") or {}).get("partner_score") == 25
    wait_for(patched_lower, timeout_s=20, what="Greenhouse told the result changed")
    assert len(ats.assessment_patches) >= 2
    status = world["client"].get(f"/v1/assessments/greenhouse/{TENANT}/test_status",
                                 query_string={"partner_interview_id": interview}, headers=world["auth"]).json
    assert status["partner_score"] == 25 and status["metadata"]["Verified requirements"] == "1/4"
    shown = world["repo"].get(TENANT, "26234709")["remote"]["where"]
    assert shown == [{"kind": "assessment", "status": "complete", "partner_score": 25}]


def test_calls_without_the_partner_key_or_with_a_bad_body_get_a_problem_never_a_500(world, ats):
    client, base = world["client"], f"/v1/assessments/greenhouse/{TENANT}"
    refused = client.get(f"{base}/list_tests")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert client.get("/v1/assessments/greenhouse/other-tenant/list_tests", headers=world["auth"]).status_code == 401
    assert client.get(f"{base}/list_tests", headers=world["auth"]).json["tests"][0]["partner_test_id"] == TEST_ID
    assert _send_test(world, ats, partner_test_id="someone-elses").status_code == 422
    assert _send_test(world, ats, candidate={"email": "a@b.c", "greenhouse_profile_url": "https://x/people/1"}
                      ).status_code == 422
    assert client.post(f"{base}/send_test", data="x", headers=world["auth"]).status_code == 415
    assert client.get(f"{base}/test_status", query_string={"partner_interview_id": "nope"},
                      headers=world["auth"]).status_code == 404
    assert client.get(f"{base}/test_status", headers=world["auth"]).status_code == 400
    assert client.post(f"{base}/response_error", json={"errors": ["x"]}, headers=world["auth"]).status_code == 200


def test_any_body_or_query_from_a_caller_with_the_key_is_answered_as_the_openapi_says_never_a_5xx(world, ats):
    from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

    from tests.integration.test_http_fuzz import HOSTILE, bodies, json_values, _openapi_check
    client, base = world["client"], f"/v1/assessments/greenhouse/{TENANT}"
    world["dispatcher"].stop()      # only the HTTP answers are under test; a thread drawing randomness upsets hypothesis
    world["dispatcher"].join(timeout=20)
    conforms = _openapi_check(client.get("/openapi.json").get_json())
    send_tests = st.fixed_dictionaries({"partner_test_id": st.sampled_from([TEST_ID]) | HOSTILE, "url": HOSTILE,
                                        "candidate": st.fixed_dictionaries({"email": HOSTILE,
                                                                            "greenhouse_profile_url": HOSTILE}) | json_values})
    seen: dict[int, int] = {}

    @hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(route=st.sampled_from(["list_tests", "send_test", "test_status", "response_error"]),
           body=send_tests.map(lambda d: json.dumps(d).encode()) | bodies, query=HOSTILE,
           method=st.sampled_from(["GET", "POST"]))
    def one(route, body, query, method):
        path = f"{base}/{route}"
        resp = client.open(path, method=method, data=body, query_string={"partner_interview_id": query},
                           headers={**world["auth"], "Content-Type": "application/json"})
        seen[resp.status_code] = seen.get(resp.status_code, 0) + 1
        assert resp.status_code < 500, (route, resp.status_code, resp.get_data()[:300])
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json"
        conforms(method, path, resp)

    one()
    assert {200, 404, 405, 422} <= set(seen), seen
