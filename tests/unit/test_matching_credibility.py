"""The issuer's credibility weighs its credentials' evidence: tiers from the tenant's list and trust registry, a role's policy."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.matching import service
from services.matching.credibility import (ACCREDITED, KNOWN, RECOGNISED, UNKNOWN, CredibilityList, Policy,
                                           with_standing)
from services.matching.evidence import Credential
from services.matching.scoring import MET, MISSING, PARTIAL, Requirement, score_application
from tests.unit.matching_fakes import KEY_T2, FakeMatchingRepository, RecordingPublisher, api_client, bearer

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
LIST = CredibilityList.from_dicts([
    {"kind": "domain", "value": "uni.example", "tier": ACCREDITED, "accredited_by": "QAA"},
    {"kind": "issuer", "value": "https://bootcamp.example/issuer", "tier": KNOWN},
    {"kind": "did", "value": "did:web:bootcamp.example", "tier": RECOGNISED}])
POLICY = Policy.from_dict({"weights": {KNOWN: 0.75, UNKNOWN: 0.5}, "essential_minimum": RECOGNISED})


def cred(issuer: str, *, trusted: str | None = None, achievement: str = "SQL") -> Credential:
    return Credential(credential_id=f"urn:{issuer}", verdict="verified", achievement=achievement, issuer_id=issuer,
                      issuer_name="Some Issuer", issuer_trusted=trusted)


def assessed(credential: Credential, *, importance: str = "essential", policy: Policy | None = POLICY):
    requirement = Requirement(id="sql", competency="SQL", importance=importance, weight=1, credibility=policy)
    (held,) = with_standing([credential], listed=LIST)
    return score_application(requirements=[requirement], credentials=[held], computed_at=NOW).requirements[0]


# --- tiers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("issuer, trusted, tier, why", [
    ("did:web:www.uni.example", None, ACCREDITED, "accredited by QAA"),          # a domain entry covers its hosts
    ("https://bootcamp.example/issuer", "passed", KNOWN, "on your credibility list"),  # the list beats the registry
    ("did:web:bootcamp.example#key-1", None, RECOGNISED, "on your credibility list"),
    ("did:web:academy.example", "passed", RECOGNISED, "in your trust registry"),
    ("did:web:academy.example", "skipped", UNKNOWN, "issuer not in your registry"),
    ("https://uni.example.attacker.test/issuer", None, UNKNOWN, "issuer not in your registry"),
])
def test_the_issuers_tier_comes_from_the_credibility_list_then_the_trust_registry(issuer, trusted, tier, why):
    standing = LIST.standing(issuer, trusted_check=trusted)
    assert (standing.tier, standing.why) == (tier, why)


def test_an_issuer_on_the_list_twice_gets_its_best_tier():
    both = CredibilityList.from_dicts([{"kind": "domain", "value": "uni.example", "tier": KNOWN},
                                       {"kind": "issuer", "value": "https://uni.example/i", "tier": RECOGNISED}])
    assert both.standing("https://uni.example/i", trusted_check=None).tier == RECOGNISED


# --- a role's policy -----------------------------------------------------------------------------
def test_an_accredited_issuers_credential_meets_the_requirement_and_the_reason_says_by_whom():
    result = assessed(cred("https://uni.example/issuer"))
    assert (result.status, result.credit) == (MET, 1.0)
    assert "issuer accredited by QAA" in result.reason


def test_a_known_issuers_credential_is_weighted_for_a_preferred_requirement():
    result = assessed(cred("https://bootcamp.example/issuer"), importance="preferred")
    assert (result.status, result.credit) == (PARTIAL, 0.75)
    assert "its issuer is known (on your credibility list), weighted 0.75" in result.reason


def test_an_essential_requirement_refuses_an_issuer_below_the_roles_floor_and_says_why():
    result = assessed(cred("did:web:stranger.example", trusted="skipped"))
    assert (result.status, result.credit) == (MISSING, 0.0)
    assert "issuer not in your registry" in result.reason and "below the recognised" in result.reason
    assert [u.credential.credential_id for u in result.used] == ["urn:did:web:stranger.example"]


def test_without_a_policy_the_tier_changes_nothing():
    result = assessed(cred("did:web:stranger.example", trusted="skipped"), policy=None)
    assert (result.status, result.credit) == (MET, 1.0) and "issuer" not in result.reason.split("(")[1]


# --- the API: the list, its CSV import, re-scoring ----------------------------------------------
ROLE = {"title": "Analyst", "credibility": {"weights": {"unknown": 0.5}, "essential_minimum": "known"},
        "requirements": [{"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1}]}


@pytest.fixture
def repo():
    return FakeMatchingRepository()


@pytest.fixture
def client(repo):
    return api_client(repo)

auth = bearer


def test_a_role_keeps_its_credibility_policy_and_refuses_a_bad_one(client):
    assert client.put("/v1/roles/job-1", json=ROLE, headers=auth()).json["credibility"] == ROLE["credibility"]
    for bad in ({"weights": {"unknown": 1.5}}, {"weights": {"famous": 1}}, {"essential_minimum": "great"}):
        response = client.put("/v1/roles/job-2", json={**ROLE, "credibility": bad}, headers=auth())
        assert response.status_code == 422 and "credibility" in response.json["errors"]


def test_replacing_the_list_re_scores_every_role_and_stays_with_its_tenant(client):
    assert client.put("/v1/roles/job-1", json=ROLE, headers=auth()).json["revision"] == 1
    body = {"issuers": [{"kind": "domain", "value": "Uni.Example.", "tier": "accredited", "accredited_by": "QAA"}]}
    response = client.put("/v1/credibility", json=body, headers=auth())
    assert response.status_code == 200
    assert response.json["issuers"] == [{"kind": "domain", "value": "uni.example", "tier": "accredited",
                                         "accredited_by": "QAA"}]
    assert client.get("/v1/roles/job-1", headers=auth()).json["revision"] == 2
    assert client.get("/v1/credibility", headers=auth(KEY_T2)).json == {"issuers": []}


def test_an_accreditation_list_imports_as_csv(client):
    text = ("kind,value,tier,accredited_by\n"
            "domain,uni.example,accredited,Quality Assurance Agency\n"
            "did,did:web:bootcamp.example,known,\n")
    response = client.put("/v1/credibility", data=text, headers={**auth(), "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert [(e["value"], e["tier"], e["accredited_by"]) for e in response.json["issuers"]] == [
        ("did:web:bootcamp.example", "known", None), ("uni.example", "accredited", "Quality Assurance Agency")]


@pytest.mark.parametrize("text, status", [
    ("kind,value,tier,accredited_by\ndomain,uni.example,accredited,\n", 422),   # accredited by whom?
    ("kind,value,tier\ndomain,https://uni.example/x,known\n", 422),              # not a bare domain
    ("kind,value,tier\nwebsite,uni.example,known\n", 422),                        # no such kind
    ("name,url\nUni,uni.example\n", 400),                                         # no usable header
])
def test_a_bad_csv_row_is_a_problem_naming_its_row(client, text, status):
    response = client.put("/v1/credibility", data=text, headers={**auth(), "Content-Type": "text/csv"})
    assert response.status_code == status and response.mimetype == "application/problem+json"
    if status == 422:
        assert "row 2" in response.json["errors"]["issuers"]
    assert client.get("/v1/credibility", headers=auth()).json == {"issuers": []}


def test_a_score_names_the_tier_of_the_issuer_whose_credential_is_used(repo):
    publish = RecordingPublisher()
    repo.put_role("t1", "job-1", title="Analyst", requirements=ROLE["requirements"], job_ids=[],
                  credibility={"weights": {"recognised": 0.9}})
    repo.record_evidence("t1", "c1", application_id="a1", candidate_id="cand-1", report={
        "verdict": "verified", "checks": [{"code": "issuer.trusted", "status": "passed"}],
        "achievement": {"name": "SQL"}, "issuer": {"id": "did:web:academy.example", "name": "Academy"}})
    application = repo.record_application("t1", "a1", job_id="job-1", candidate_id="cand-1", credential_ids=["c1"])
    doc = service.rescore_application("t1", application, repo=repo, publish=publish)
    (requirement,) = doc["requirements"]
    assert requirement["credit"] == 0.9 and "recognised (in your trust registry), weighted 0.9" in requirement["reason"]
    assert doc["credentials"][0]["issuer"]["tier"] == "recognised"


def test_the_score_view_shows_the_issuers_tier(client, repo):
    repo.put_role("t1", "job-1", title="Analyst", requirements=ROLE["requirements"], job_ids=[])
    repo.record_evidence("t1", "c1", application_id="a1", candidate_id="cand-1", report={
        "verdict": "verified", "checks": [], "achievement": {"name": "SQL"},
        "issuer": {"id": "did:web:academy.example", "name": "Academy"}})
    application = repo.record_application("t1", "a1", job_id="job-1", candidate_id="cand-1", credential_ids=["c1"])
    service.rescore_application("t1", application, repo=repo, publish=RecordingPublisher())
    issuer = client.get("/v1/applications/a1/score", headers=auth()).json["credentials"][0]["issuer"]
    assert (issuer["tier"], issuer["tier_why"]) == ("unknown", "issuer not in your registry")
