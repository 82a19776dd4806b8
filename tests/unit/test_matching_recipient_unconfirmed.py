"""A credential that names no recipient the verifier can compare (issue 11, item 5) counts for nobody: the report
verify_credential makes for it, read by matching, is named `recipient_unconfirmed` and earns nothing, in words."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.matching import service
from services.matching.scoring import MET, MISSING, PENDING, Requirement, score_application
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SQL = Requirement(id="sql", competency="SQL", importance="essential", weight=1)


def report_for(token: str, *, emails=("ada@example.org",)) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(), emails=list(emails))


def scored(*reports: dict):
    stored = [{"credential_id": f"c{i}", "report": r} for i, r in enumerate(reports)]
    credentials = service.credentials_of({"credential_ids": [s["credential_id"] for s in stored]}, stored, now=NOW)
    return credentials, score_application(requirements=[SQL], credentials=credentials, computed_at=NOW)


def unbound_sql_badge() -> str:
    """A genuine badge whose subject is a DID only: whoever submits it, nothing says it is theirs."""
    issuer = Issuer.generate()
    payload = issuer.claims(subject_email=None, achievement_name="SQL", nbf=NOW - timedelta(days=30))
    payload["vc"]["credentialSubject"]["id"] = "did:example:someone"
    return issuer.sign(payload)


def test_a_credential_naming_its_subject_only_by_did_is_not_counted_and_the_reason_says_why():
    report = report_for(unbound_sql_badge())
    assert report["verdict"] == "indeterminate"
    [credential], result = scored(report)
    assert credential.standing == "recipient_unconfirmed"
    requirement = result.requirements[0]
    assert (result.score, requirement.status) == (0, MISSING)
    assert requirement.reason == ("A credential claiming 'SQL' could not be confirmed as issued to this candidate "
                                  "(it names no email address of theirs as its recipient); it counts for nothing")


def test_a_credential_issued_to_the_applicants_email_still_counts_beside_an_unconfirmed_one():
    named = Issuer.generate().vc_jwt(subject_email="ada@example.org", achievement_name="SQL",
                                     nbf=NOW - timedelta(days=30))
    _, result = scored(report_for(unbound_sql_badge()), report_for(named))
    assert (result.score, result.requirements[0].status) == (100, MET)
    assert [c.standing for c in result.requirements[0].credentials] == ["verified", "recipient_unconfirmed"]


def test_an_unconfirmed_recipient_is_not_pending_since_waiting_will_not_tie_it_to_the_candidate():
    _, result = scored(report_for(unbound_sql_badge()))
    assert result.requirements[0].status != PENDING


def test_a_verified_credential_of_an_applicant_whose_ats_gave_no_email_counts_for_nothing():
    # Verified with the recipient check skipped (nothing to compare it with): it would count for whoever
    # submitted it, the same hole as a DID-bound subject.
    named = Issuer.generate().vc_jwt(subject_email="ada@example.org", achievement_name="SQL",
                                     nbf=NOW - timedelta(days=30))
    report = report_for(named, emails=())
    assert report["verdict"] == "verified"
    [credential], result = scored(report)
    assert credential.standing == "recipient_unconfirmed"
    assert (result.score, result.requirements[0].status) == (0, MISSING)
