"""OB 3.0 endorsements: each verified like a credential, about what it sits on, its endorser looked up; weighed by matching."""
from __future__ import annotations

from datetime import datetime, timezone

from services.matching.credibility import RECOGNISED, UNKNOWN, CredibilityList
from services.verification import endorsements
from services.verification.trust import Registry
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer

NOW = datetime.now(timezone.utc)
ACHIEVEMENT_ID = "https://bootcamp.example/achievements/sql"


def endorsement_jwt(endorser: Issuer, *, subject_id: str = ACHIEVEMENT_ID, types=("VerifiableCredential",
                                                                                  "EndorsementCredential")) -> str:
    claims = endorser.claims(achievement_name="Endorsement of SQL")
    claims["vc"]["type"] = list(types)
    claims["vc"]["credentialSubject"] = {"type": "EndorsementSubject", "id": subject_id,
                                         "endorsementComment": "Meets our standard for SQL."}
    return endorser.sign(claims)


def credential_with(issuer: Issuer, *jwts: str) -> str:
    claims = issuer.claims(achievement_name="SQL")
    achievement = claims["vc"]["credentialSubject"]["achievement"]
    achievement["id"] = ACHIEVEMENT_ID
    achievement["endorsementJwt"] = list(jwts)
    return issuer.sign(claims)


def verify(token: str, registry: Registry | None = None) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(), emails=["ada@example.org"], registry=registry)


def test_an_endorsement_of_the_achievement_is_verified_and_its_endorser_looked_up_in_the_registry():
    council, bootcamp = Issuer.generate(name="Open Skills Council"), Issuer.generate(name="Bootcamp")
    report = verify(credential_with(bootcamp, endorsement_jwt(council)),
                    registry=Registry(frozenset({("did", council.did)})))
    assert report["verdict"] == "verified"
    (entry,) = report["endorsements"]
    assert (entry["on"], entry["verdict"], entry["endorser"]["id"], entry["endorser_trusted"]) == (
        "achievement", "verified", council.did, True)


def test_a_forged_endorsement_or_one_about_something_else_vouches_for_nothing_and_leaves_the_verdict_alone():
    council, bootcamp = Issuer.generate(name="Open Skills Council"), Issuer.generate(name="Bootcamp")
    genuine, other = endorsement_jwt(council), endorsement_jwt(council, subject_id="urn:x")
    forged = ".".join(genuine.split(".")[:2] + other.split(".")[2:])  # someone else's signature
    elsewhere = endorsement_jwt(council, subject_id="https://other.example/achievements/x")
    not_one = endorsement_jwt(council, types=("VerifiableCredential", "OpenBadgeCredential"))
    report = verify(credential_with(bootcamp, forged, elsewhere, not_one))
    assert report["verdict"] == "verified"
    assert [(e["verdict"], e["endorser_trusted"]) for e in report["endorsements"]] == [("failed", None)] * 3
    assert "credentialSubject.id" in report["endorsements"][1]["reason"]


def test_no_more_than_the_limit_of_endorsements_are_verified():
    council, bootcamp = Issuer.generate(), Issuer.generate()
    report = verify(credential_with(bootcamp, *[endorsement_jwt(council)] * (endorsements.MAX_ENDORSEMENTS + 3)))
    assert len(report["endorsements"]) == endorsements.MAX_ENDORSEMENTS


def test_an_unknown_issuer_endorsed_by_a_trusted_endorser_is_recognised_and_says_by_whom():
    endorsed = [{"on": "achievement", "verdict": "verified", "endorser_trusted": True,
                 "endorser": {"id": "did:web:council.example", "name": "Open Skills Council"}}]
    standing = CredibilityList().standing("did:web:bootcamp.example", trusted_check="skipped", endorsements=endorsed)
    assert (standing.tier, standing.why) == (RECOGNISED, "endorsed by Open Skills Council (in your trust registry)")
    untrusted = [{**endorsed[0], "endorser_trusted": False}]
    assert CredibilityList().standing("did:web:bootcamp.example", trusted_check="skipped",
                                      endorsements=untrusted).tier == UNKNOWN
    failed = [{**endorsed[0], "verdict": "failed"}]
    assert CredibilityList().standing("did:web:bootcamp.example", trusted_check="skipped",
                                      endorsements=failed).tier == UNKNOWN


def test_a_score_names_the_endorsement_that_made_the_issuer_count_for_an_essential_requirement():
    from services.matching import service
    from tests.unit.matching_fakes import FakeMatchingRepository
    repo = FakeMatchingRepository()
    repo.put_role("t1", "job-1", title="Analyst", job_ids=[], credibility={"essential_minimum": "recognised"},
                  requirements=[{"id": "sql", "competency": "SQL", "importance": "essential", "weight": 1}])
    council, bootcamp = Issuer.generate(name="Open Skills Council"), Issuer.generate(name="Bootcamp")
    for i, jwts in enumerate(([endorsement_jwt(council)], [])):
        report = verify(credential_with(bootcamp, *jwts), registry=Registry(frozenset({("did", council.did)})))
        repo.record_evidence("t1", "c1", application_id=f"a{i}", candidate_id="cand-1", report=report)
        application = repo.record_application("t1", f"a{i}", job_id="job-1", candidate_id="cand-1",
                                              credential_ids=["c1"])
        doc = service.rescore_application("t1", application, repo=repo, publish=lambda events: None)
        reason = doc["requirements"][0]["reason"]
        if jwts:
            assert doc["score"] == 100 and "issuer recognised: endorsed by Open Skills Council" in reason
        else:
            assert doc["score"] == 0 and "issuer not in your registry" in reason
