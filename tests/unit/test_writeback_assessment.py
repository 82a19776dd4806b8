"""The Greenhouse Assessment partner shape: the answers Greenhouse reads, who may ask, and the PATCH on a re-score."""
from __future__ import annotations

import base64

import pytest

from services.writeback import assessment, partner
from services.writeback.clients.greenhouse_assessment import ASSESSMENT_REF
from shared.problems import Problem
from tests.support.fake_ats_write import FakeAtsWrites
from tests.unit.writeback_world import CALLBACK_SECRET, World

PROFILE = "https://app.greenhouse.io/people/17681532?application_id=26234709"


def _record(score, *, status="scored", met=3):
    reqs = [{"status": "met" if i < met else "missing"} for i in range(4)]
    return {"desired": {"score": score, "status": status, "reason": "3 of 4 met", "score_version": "2026-12.1",
                        "requirements": reqs}}


def test_the_application_and_candidate_come_from_greenhouses_profile_url():
    assert assessment.ids_of(PROFILE) == ("26234709", "17681532")
    assert assessment.ids_of("https://app.greenhouse.io/people/1") is None
    assert assessment.ids_of("https://app.greenhouse.io/people/1?application_id=../x") is None


def test_a_final_score_is_complete_with_its_score_profile_url_and_flat_metadata():
    doc = assessment.test_status(_record(75), profile_url="https://x.example/a")
    assert doc["partner_status"] == "complete" and doc["partner_score"] == 75
    assert doc["partner_profile_url"] == "https://x.example/a"
    assert doc["metadata"]["Verified requirements"] == "3/4"
    assert all(isinstance(v, (str, int, float, bool)) for v in doc["metadata"].values())   # primitives only


def test_no_score_yet_is_sent_and_an_unscored_result_is_complete_without_a_number():
    assert assessment.test_status(None, profile_url="u") == {"partner_status": "sent"}
    unscored = assessment.test_status(_record(None, status="unscored"), profile_url="u")
    assert unscored["partner_status"] == "complete" and "partner_score" not in unscored


def test_the_profile_url_is_the_tenants_template_or_the_score_api_with_the_id_escaped():
    assert assessment.profile_url_for("https://r.example/{application_id}", default_base="b",
                                      application_id="a/1") == "https://r.example/a%2F1"
    assert assessment.profile_url_for(None, default_base="https://cb.example/", application_id="7") == \
        "https://cb.example/v1/applications/7/score"


@pytest.fixture
def ats():
    with FakeAtsWrites(callback_secret=CALLBACK_SECRET) as fake:
        yield fake


@pytest.fixture
def world(ats):
    return World(ats)


def _assessment(world, **options):
    return world.configure("greenhouse", assessment=True, secrets={"api_key": "partner-key"}, **options)


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@pytest.mark.parametrize("header", [None, "Bearer partner-key", _basic("another key"), "Basic !!!", _basic("")])
def test_only_the_organisations_partner_key_may_call(world, header):
    _assessment(world)
    with pytest.raises(Problem) as refused:
        partner.authorize("t1", header, repo=world.repo)
    assert refused.value.status == 401
    partner.authorize("t1", _basic("partner-key"), repo=world.repo)


def test_a_tenant_without_an_assessment_connection_refuses_every_key(world):
    world.configure("greenhouse")     # Harvest write-back, not an assessment
    with pytest.raises(Problem):
        partner.authorize("t1", _basic(""), repo=world.repo)


def test_a_score_before_the_test_was_sent_writes_nothing_then_send_test_patches_greenhouse_at_once(world, ats):
    _assessment(world, base_url=ats.base_url)
    world.application("greenhouse", candidate_id="c1")
    world.score(75, met=3)
    assert world.run_due() == ["written"] and ats.assessment_patches == []
    url = f"{ats.base_url}/integrations/testing_partners/take_home_tests/12345"
    answer = partner.receive_test("t1", {"partner_test_id": assessment.TEST_ID, "url": url, "candidate": {
        "email": "ada@example.org", "greenhouse_profile_url": "https://app.greenhouse.io/people/c1?application_id=a1"}},
        repo=world.repo, now=world.now)
    assert world.repo.origin("t1", "a1").refs[ASSESSMENT_REF] == url
    assert world.run_due() == ["written"] and ats.assessment_patches == ["12345"]
    world.score(25, met=1)                        # a revocation: Greenhouse is told again
    assert world.run_due() == ["written"] and ats.assessment_patches == ["12345", "12345"]
    assert answer["partner_interview_id"]


def test_an_assessment_url_off_greenhouses_hosts_is_never_patched_with_the_key(world, ats):
    _assessment(world, base_url=None)
    world.application("greenhouse", candidate_id="c1")
    world.repo.record_origin("t1", "a1", provider="greenhouse", candidate_id="c1",
                             refs={ASSESSMENT_REF: f"{ats.base_url}/integrations/testing_partners/take_home_tests/1"})
    world.score(75, met=3)
    assert world.run_due() == ["failed"] and ats.assessment_patches == []
    assert "not on Greenhouse's hosts" in world.repo.get("t1", "a1")["last_error"]
