"""verify_credential: each way a credential can arrive goes to its format, and no other format is verified."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
SETTINGS = Settings()


def run(**submission) -> dict:
    return verify_credential(**submission, now=NOW, settings=SETTINGS)


def only_check(report: dict) -> tuple[str, str, str]:
    [check] = report["checks"]
    return check["code"], check["status"], check["message"]


def ob3_document(**extra) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "name": "Academy"},
        "credentialSubject": {"type": ["AchievementSubject"],
                              "achievement": {"id": "urn:a:1", "type": ["Achievement"], "name": "SQL"}},
        **extra,
    }


def test_a_json_credential_with_an_embedded_data_integrity_proof_goes_to_the_data_integrity_checks():
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
             "verificationMethod": "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#"
                                   "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "proofValue": "z3FXQ"}
    report = run(document=ob3_document(proof=proof))
    assert (report["verdict"], report["format"]) == ("failed", "data-integrity")
    statuses = {c["code"]: c["status"] for c in report["checks"]}
    assert statuses["issuer.matches_key"] == "passed" and statuses["proof.signature"] == "failed"
    assert report["achievement"]["name"] == "SQL"  # what it claims is still shown, under a failed verdict


def test_a_credential_given_by_url_is_unsupported():
    report = run(url="https://academy.example/credentials/42")
    assert (report["verdict"], report["format"]) == ("unsupported", "url-reference")
    assert only_check(report) == ("format", "unsupported", "fetching credentials by URL is not supported yet")


def test_a_json_credential_without_any_proof_fails():
    report = run(document=ob3_document())
    assert report["verdict"] == "failed"
    assert only_check(report)[:2] == ("proof.present", "failed")


def test_an_open_badges_2_assertion_is_unsupported_rather_than_failed():
    assertion = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://b.example/a/1",
                 "verification": {"type": "hosted"}}
    report = run(document=assertion)
    assert (report["verdict"], report["format"]) == ("unsupported", "openbadges-2.0")


def test_an_enveloped_sd_jwt_credential_is_unsupported():
    envelope = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential",
                "id": "data:application/vc+sd-jwt,eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"}
    assert (run(document=envelope)["verdict"], run(document=envelope)["format"]) == ("unsupported", "enveloped-vc")


def test_a_document_that_only_wraps_a_jwt_is_verified_as_that_jwt():
    token = Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1))
    report = run(document={"jwt": token})
    assert (report["verdict"], report["format"]) == ("verified", "vc-jwt")


def test_a_jwt_is_preferred_when_a_submission_carries_more_than_one_form():
    token = Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1))
    report = run(jwt=token, url="https://academy.example/credentials/42")
    assert report["format"] == "vc-jwt"


@pytest.mark.parametrize("token, fmt", [
    ("eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln~WyJzYWx0IiwibmFtZSIsIkFkYSJd~", "sd-jwt"),
    ("eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn", "jwe"),
])
def test_sd_jwts_and_encrypted_jwts_are_named_and_unsupported(token, fmt):
    report = run(jwt=token)
    assert (report["verdict"], report["format"]) == ("unsupported", fmt)


def test_a_submission_with_nothing_to_verify_fails():
    report = run()
    assert (report["verdict"], report["format"]) == ("failed", "unknown")
    assert only_check(report)[:2] == ("input", "failed")


def test_a_document_that_is_not_a_json_object_fails():
    assert run(document=["not", "an", "object"])["verdict"] == "failed"


def test_each_verification_is_counted_by_format_and_verdict():
    labels = {"format": "url-reference", "verdict": "unsupported"}
    before = REGISTRY.get_sample_value("credbridge_verification_verdicts_total", labels) or 0
    run(url="https://academy.example/credentials/42")
    assert REGISTRY.get_sample_value("credbridge_verification_verdicts_total", labels) == before + 1
