"""The verification → matching contract: reports made by verify_credential itself, read by matching as standings and levels.

Credentials are minted by services/demo_issuer.py; status lists by tests/support/status_lists.py (W3C Bitstring
Status List v1.0), served to the verifier from memory (tests/support/memory_host.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.demo_issuer import tamper
from services.matching import service
from services.matching.evidence import standing_of
from services.matching.scoring import MISSING, PARTIAL, Requirement, score_application
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost
from tests.support.status_lists import credential_with_status, list_credential, status_entry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=30)
EMAIL = "ada@example.org"
REVOCATIONS, SUSPENSIONS = "https://status.example/revocation", "https://status.example/suspension"


@pytest.fixture(scope="module")
def issuer():
    return Issuer.generate()


@pytest.fixture
def host(issuer):
    return MemoryHost({REVOCATIONS: list_credential(issuer, url=REVOCATIONS, nbf=LONG_AGO, set_bits=[7]),
                       SUSPENSIONS: list_credential(issuer, url=SUSPENSIONS, nbf=LONG_AGO, purpose="suspension",
                                                    set_bits=[7])})


def verify(token, host, *, now=NOW, email=EMAIL):
    return verify_credential(jwt=token, now=now, settings=Settings(), fetch=host, emails=[email])


def with_status(issuer, url, index, *, purpose="revocation", **kw):
    return credential_with_status(issuer, [status_entry(url, index, purpose=purpose)], subject_email=kw.pop("to", EMAIL),
                                  nbf=LONG_AGO, achievement_name="SQL", **kw)


def scored(report, *, now=NOW, min_level=None):
    [credential] = service.credentials_of({"credential_ids": ["c"]}, [{"credential_id": "c", "report": report}], now=now)
    requirement = Requirement(id="sql", competency="SQL", importance="essential", weight=1, min_level=min_level)
    return credential, score_application(requirements=[requirement], credentials=[credential], computed_at=now)


# --- standings --------------------------------------------------------------------------------------
def test_a_credential_whose_revocation_bit_is_set_is_revoked_and_counts_for_nothing(issuer, host):
    report = verify(with_status(issuer, REVOCATIONS, 7), host)
    assert (report["verdict"], report["status"]) == ("failed", {"revoked": True})
    credential, result = scored(report)
    assert credential.standing == "revoked" and result.score == 0
    assert result.requirements[0].status == MISSING and "revoked by its issuer" in result.requirements[0].reason


def test_a_credential_whose_suspension_bit_is_set_is_suspended(issuer, host):
    report = verify(with_status(issuer, SUSPENSIONS, 7, purpose="suspension"), host)
    assert (report["verdict"], report["status"]) == ("failed", {"suspended": True})
    assert standing_of(report, now=NOW) == "suspended"


def test_a_credential_whose_status_bits_are_clear_stays_verified_and_counts(issuer, host):
    report = verify(with_status(issuer, REVOCATIONS, 8), host)
    assert (report["verdict"], report["status"]) == ("verified", {"revoked": False})
    credential, result = scored(report)
    assert credential.standing == "verified" and result.score == 100


def test_revocation_names_the_standing_even_when_the_credential_was_also_issued_to_someone_else(issuer, host):
    report = verify(with_status(issuer, REVOCATIONS, 7, to="someone.else@example.org"), host)
    assert {c["code"] for c in report["checks"] if c["status"] == "failed"} == {"recipient", "status.revocation"}
    assert standing_of(report, now=NOW) == "revoked"


def test_an_unreachable_status_list_leaves_the_credential_indeterminate_not_revoked(issuer, host):
    report = verify(with_status(issuer, "https://status.example/missing", 7), host)
    assert (report["verdict"], report["status"]) == ("indeterminate", {"revoked": None})
    assert standing_of(report, now=NOW) == "indeterminate"


def test_a_credential_past_its_valid_until_when_verified_is_expired(issuer, host):
    report = verify(issuer.vc_jwt(subject_email=EMAIL, nbf=LONG_AGO, exp=NOW - timedelta(days=1)), host)
    assert [c["code"] for c in report["checks"] if c["status"] == "failed"] == ["validity.expiry"]
    assert report["valid_until"] is not None and standing_of(report, now=NOW) == "expired"


def test_a_verified_or_undecided_verdict_goes_stale_as_expired_once_its_valid_until_passes(issuer, host):
    later = NOW + timedelta(days=2)
    verified = verify(issuer.vc_jwt(subject_email=EMAIL, nbf=LONG_AGO, exp=NOW + timedelta(days=1)), host)
    undecided = verify(with_status(issuer, "https://status.example/missing", 7, exp=NOW + timedelta(days=1)), host)
    assert [verified["verdict"], undecided["verdict"]] == ["verified", "indeterminate"]
    assert [standing_of(r, now=NOW) for r in (verified, undecided)] == ["verified", "indeterminate"]
    assert [standing_of(r, now=later) for r in (verified, undecided)] == ["expired", "expired"]


def test_an_unreadable_valid_until_is_a_failure_not_an_expiry(issuer, host):
    payload = issuer.claims(subject_email=EMAIL, nbf=LONG_AGO)
    payload["vc"]["validUntil"] = "next spring"
    report = verify(issuer.sign(payload), host)
    assert [c["code"] for c in report["checks"] if c["status"] == "failed"] == ["validity.expiry"]
    assert standing_of(report, now=NOW) == "failed"


@pytest.mark.parametrize("kind", ["forged", "someone else's"])
def test_forged_and_misaddressed_credentials_are_plainly_failed(issuer, host, kind):
    token = (tamper(issuer.vc_jwt(subject_email=EMAIL, nbf=LONG_AGO)) if kind == "forged"
             else issuer.vc_jwt(subject_email="someone.else@example.org", nbf=LONG_AGO))
    report = verify(token, host)
    assert report["status"] is None and standing_of(report, now=NOW) == "failed"


# --- levels -----------------------------------------------------------------------------------------
def leveled(issuer, level_id):
    """An OB 3.0 credential whose Result.achievedLevel names one RubricCriterionLevel of its ResultDescription."""
    payload = issuer.claims(subject_email=EMAIL, nbf=LONG_AGO, achievement_name="SQL")
    subject = payload["vc"]["credentialSubject"]
    subject["achievement"]["resultDescription"] = [{
        "id": "urn:example:rd:1", "type": ["ResultDescription"], "name": "Grade", "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [{"id": "urn:example:level:novice", "type": ["RubricCriterionLevel"], "name": "Novice"},
                                 {"id": "urn:example:level:expert", "type": ["RubricCriterionLevel"], "name": "Expert"}]}]
    subject["result"] = [{"type": ["Result"], "resultDescription": "urn:example:rd:1", "achievedLevel": level_id}]
    return issuer.sign(payload)


def test_the_achieved_level_reaches_matching_as_the_rubric_level_id_verification_read(issuer, host):
    report = verify(leveled(issuer, "urn:example:level:expert"), host)
    assert report["verdict"] == "verified" and report["achievement"]["achieved_level"] == "urn:example:level:expert"
    credential, _ = scored(report)
    assert credential.achieved_level == "urn:example:level:expert"


def test_the_rubric_travels_with_the_report_so_a_named_minimum_level_is_compared_in_rubric_order(issuer, host):
    report = verify(leveled(issuer, "urn:example:level:expert"), host)
    assert report["achievement"]["levels"] == [{"id": "urn:example:level:novice", "name": "Novice"},
                                               {"id": "urn:example:level:expert", "name": "Expert"}]
    _, at_minimum = scored(report, min_level="Expert")
    assert at_minimum.requirements[0].status != PARTIAL
    _, below = scored(verify(leveled(issuer, "urn:example:level:novice"), host), min_level="Expert")
    assert below.requirements[0].status == PARTIAL
